"""Dataset: a generated folder (Parquet parts per table + manifest.json), opened lazily."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import polars as pl

from dmpdata.errors import DatasetError
from dmpdata.scenario import Scenario, load_scenario

__all__ = ["Dataset", "generate", "open_dataset", "read_part", "sha256_of"]


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in blocks (the checksums of the manifest)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_part(path: str | Path, columns: list[str] | None = None) -> pl.DataFrame:
    """One Parquet part, its path taken as it is: polars would expand `[x]`, `*` or `?` in it as a pattern (a dataset
    under `run[1]/` read nothing)."""
    return pl.read_parquet(path, columns=columns, glob=False)


class Dataset:
    """A dataset on disk. `table(name)` gives a polars LazyFrame; `validate()` a ValidationReport."""

    def __init__(self, path: Path, manifest: dict):
        self.path = path
        self.manifest = manifest

    def __repr__(self) -> str:
        rows = ", ".join(f"{t}={n:,}" for t, n in self.row_counts.items())
        return f"Dataset({str(self.path)!r}, scenario={self.manifest['scenario']['name']!r}, {rows})"

    @property
    def tables(self) -> list[str]:
        return list(self.manifest["tables"])

    @property
    def row_counts(self) -> dict[str, int]:
        return {name: entry["rows"] for name, entry in self.manifest["tables"].items()}

    @property
    def scenario(self) -> Scenario:
        return Scenario.from_dict(self.manifest["scenario"], origin=f"{self.path}/manifest.json")

    def files(self, name: str) -> list[Path]:
        if name not in self.manifest["tables"]:
            raise DatasetError(f"no table {name!r} in {self.path} (tables: {', '.join(self.tables)})")
        return [self.path / f["path"] for f in self.manifest["tables"][name]["files"]]

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
    path = Path(path)
    manifest_path = path / "manifest.json"
    if not path.is_dir():
        raise DatasetError(f"{path} is not a folder")
    if not manifest_path.is_file():
        raise DatasetError(f"{path} is not a complete dmpdata dataset (no manifest.json)")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise DatasetError(f"{manifest_path} cannot be read: {err}") from None
    if not isinstance(manifest, dict) or manifest.get("generator") != "dmpdata" or "tables" not in manifest:
        raise DatasetError(f"{manifest_path} is not a dmpdata manifest")
    return Dataset(path, manifest)


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
