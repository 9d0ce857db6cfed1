"""Dataset: a generated folder (Parquet parts per table + manifest.json), opened lazily; the public face of dmpdata.

Only this module and the command line reach up to the engine, validation and the warehouse; the layers below read a
dataset folder through `dmpdata.layout` and never import this module.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl

from dmpdata.layout import MANIFEST, DatasetFolder, read_part, sha256_of
from dmpdata.scenario import Scenario, load_scenario

__all__ = ["Dataset", "generate", "open_dataset", "read_part", "sha256_of"]  # the last two: dmpdata.layout's

# The engine, validation and the warehouse are imported when first used, not here: `import dmpdata` (and the command
# line's start) then costs polars alone, not pandera, DuckDB and every generator. None of them imports this module
# (tests/test_imports.py), so these late imports hide no cycle.


class Dataset(DatasetFolder):
    """A dataset on disk. `table(name)` gives a polars LazyFrame; `validate()` a ValidationReport."""

    def __repr__(self) -> str:
        rows = ", ".join(f"{t}={n:,}" for t, n in self.row_counts.items())
        return f"Dataset({str(self.path)!r}, scenario={self.manifest['scenario']['name']!r}, {rows})"

    @property
    def scenario(self) -> Scenario:
        return Scenario.from_dict(self.manifest["scenario"], origin=f"{self.path}/{MANIFEST}")

    def table(self, name: str) -> pl.LazyFrame:
        """The table as a polars LazyFrame over its Parquet parts."""
        return pl.scan_parquet(self.files(name), glob=False)  # paths as they are: a folder may be named [x]

    def validate(self, *, workers: int | None = None):
        """Check every table and the cross-table rules (a ValidationReport; chunks on `workers` processes)."""
        from dmpdata.validate import validate_path

        return validate_path(self.path, workers=workers)

    def duckdb(self, db=None, *, validate: bool = True, link: bool | None = None):
        """The DuckDB warehouse of this dataset (in memory, or the file `db`, reused when built from this data);
        link=True reads the event tables from the Parquet parts instead of copying them (`warehouse.connect`)."""
        from dmpdata.warehouse import connect

        return connect(self, db, validate=validate, link=link)


def open_dataset(path: str | Path) -> Dataset:
    """Open a dataset folder written by dmpdata; refuses a folder without a complete manifest."""
    return Dataset.open(path)


def generate(
    scenario: str | Path | Scenario = "tiny",
    *,
    out: str | Path,
    patients: int | None = None,
    seed: int | None = None,
    force: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
    workers: int | None = None,
    engine: str = "local",
    scheduler: str | None = None,
) -> Dataset:
    """Generate a scenario (preset name, TOML path or Scenario) into `out` and open it.

    `workers` processes run the chunks (default: every core); `engine="dask"` sends them to a
    dask.distributed cluster (`scheduler` address, or a local cluster). Same bytes whatever the choice.
    """
    from dmpdata.engine import generate_dataset

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    scenario = scenario.with_overrides(patients=patients, seed=seed)
    generate_dataset(
        scenario,
        Path(out),
        force=force,
        progress=progress,
        workers=workers,
        engine=engine,
        scheduler=scheduler,
    )
    return open_dataset(out)
