"""Validation of a dataset folder: manifest and checksums, one Pandera model per table, cross-table checks."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandera.polars as pa
import polars as pl

from dmpdata.dataset import sha256_of
from dmpdata.schemas import MODELS, TABLES
from dmpdata.schemas.integrity import CHECKS

__all__ = ["Finding", "ValidationReport", "validate_path"]

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Finding:
    table: str
    check: str
    failing: int
    examples: tuple[str, ...] = ()
    column: str | None = None


@dataclass
class ValidationReport:
    path: Path
    findings: list[Finding] = field(default_factory=list)
    checks_run: int = 0
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.findings

    def add(self, table: str, check: str, failing: int, examples=(), column: str | None = None) -> None:
        self.checks_run += 1
        if failing:
            self.findings.append(Finding(table, check, int(failing), tuple(str(e)[:200] for e in examples[:3]), column))

    def summary(self) -> str:
        if self.ok:
            return f"{self.path}: valid ({self.checks_run} checks over {sum(self.rows.values()):,} rows)"
        return f"{self.path}: INVALID — {len(self.findings)} of {self.checks_run} checks failed"

    def to_frame(self) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "table": [f.table for f in self.findings],
                "check": [f.check for f in self.findings],
                "column": [f.column for f in self.findings],
                "failing": [f.failing for f in self.findings],
                "examples": [" | ".join(f.examples) for f in self.findings],
            },
            schema={"table": pl.String, "check": pl.String, "column": pl.String, "failing": pl.Int64, "examples": pl.String},
        )


def _read_manifest(path: Path, report: ValidationReport) -> dict | None:
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        report.add("dataset", "manifest_present", 1, [f"{path / MANIFEST} is missing"])
        return None
    except (OSError, ValueError) as err:
        report.add("dataset", "manifest_readable", 1, [str(err)])
        return None
    report.add("dataset", "manifest_present", 0)
    problems = []
    if manifest.get("generator") != "dmpdata":
        problems.append("manifest 'generator' is not 'dmpdata'")
    if manifest.get("synthetic") is not True:
        problems.append("manifest does not state the data is synthetic")
    if not isinstance(manifest.get("tables"), dict):
        problems.append("manifest has no 'tables' section")
    report.add("dataset", "manifest_well_formed", len(problems), problems)
    return manifest if isinstance(manifest.get("tables"), dict) else None


def _load_table(path: Path, name: str, entry: dict, report: ValidationReport) -> pl.DataFrame | None:
    """Check every part's checksum and row count, then read the table (None when it cannot be read)."""
    files = entry.get("files", [])
    bad_sum, unreadable, frames = [], [], []
    for f in files:
        part = path / f["path"]
        if not part.is_file():
            bad_sum.append(f"{f['path']}: file missing")
            continue
        if sha256_of(part) != f.get("sha256"):
            bad_sum.append(f"{f['path']}: sha256 differs from the manifest (file changed or corrupted)")
        try:
            frames.append(pl.read_parquet(part))
        except Exception as err:  # noqa: BLE001 - any reader error means an unreadable part
            unreadable.append(f"{f['path']}: {type(err).__name__}: {str(err)[:120]}")
    report.add(name, "checksums_match_manifest", len(bad_sum), bad_sum)
    report.add(name, "parquet_readable", len(unreadable), unreadable)
    if unreadable or len(frames) != len(files) or not frames:
        return None
    frame = pl.concat(frames)
    expected = entry.get("rows")
    report.add(name, "row_count_matches_manifest", int(frame.height != expected),
               [f"manifest says {expected} rows, files hold {frame.height}"])
    report.rows[name] = frame.height
    return frame


def _period(manifest: dict) -> pl.DataFrame:
    """The scenario's period from the manifest (a one-row frame for the period checks)."""
    import datetime as dt

    scenario = manifest.get("scenario", {})
    try:
        start, end = dt.date.fromisoformat(scenario["start"]), dt.date.fromisoformat(scenario["end"])
    except (KeyError, TypeError, ValueError):
        start, end = dt.date.min, dt.date.max
    return pl.DataFrame({"start": [start], "end": [end]})


def _schema_checks(name: str, frame: pl.DataFrame, report: ValidationReport) -> None:
    model = MODELS[name]
    n_checks = sum(len(c.checks) + 2 for c in model.to_schema().columns.values()) + len(model.to_schema().checks)
    try:
        model.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
        grouped = (
            cases.with_columns(pl.col("column").fill_null(""), pl.col("check").fill_null("schema"))
            .group_by("column", "check", maintain_order=True)
            .agg(pl.len().alias("n"), pl.col("failure_case").head(3).alias("examples"))
        )
        for row in grouped.iter_rows(named=True):
            report.add(name, row["check"], row["n"], [str(e) for e in row["examples"]], column=row["column"] or None)
        report.checks_run += max(n_checks - grouped.height, 0)
        return
    except pa.errors.SchemaError as err:  # pragma: no cover - lazy=True raises SchemaErrors
        report.add(name, "schema", 1, [str(err)])
        return
    report.checks_run += n_checks


def validate_path(path: Path | str) -> ValidationReport:
    """Validate the dataset at `path`; never raises for a broken dataset, reports it instead."""
    path = Path(path)
    report = ValidationReport(path=path)
    if not path.is_dir():
        report.add("dataset", "folder_exists", 1, [f"{path} is not a folder"])
        return report
    manifest = _read_manifest(path, report)
    if manifest is None:
        return report
    frames: dict[str, pl.DataFrame] = {}
    for name in TABLES:
        entry = manifest["tables"].get(name)
        report.add(name, "table_present", int(entry is None), [f"table {name!r} is missing from the manifest"])
        if entry is None:
            continue
        frame = _load_table(path, name, entry, report)
        if frame is None:
            continue
        _schema_checks(name, frame, report)
        frames[name] = frame
    frames["_scenario"] = _period(manifest)
    for check_name, (tables, check) in CHECKS.items():
        needed = set(tables)
        if not needed <= set(frames):
            report.add("integrity", check_name, 1, [f"not run: table(s) {sorted(needed - set(frames))} unavailable"])
            continue
        try:
            failing, examples = check(frames)
        except Exception as err:  # noqa: BLE001 - e.g. a column of the wrong type (already reported by its schema)
            failing, examples = 1, [f"could not run: {type(err).__name__}: {str(err)[:150]}"]
        report.add("integrity", check_name, failing, examples)
    return report

