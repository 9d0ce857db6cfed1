"""Validation of a dataset folder: manifest and checksums, one Pandera model per table, cross-table checks."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from itertools import pairwise
from pathlib import Path

import duckdb
import pandera.polars as pa
import polars as pl

from dmpdata import _pandera
from dmpdata.layout import MANIFEST, manifest_json, read_part, sha256_of
from dmpdata.parallel import pool
from dmpdata.schemas import MODELS, PATIENT_TABLES, SHARED_TABLES, TABLES
from dmpdata.schemas.integrity import CHECKS
from dmpdata.validation_records import read_record, remember

__all__ = ["Finding", "ValidationReport", "validate_path", "validated_before"]


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
    # Per (table, key) of the keys unique across chunks: each chunk's (min, max) when its keys strictly increase
    # down its rows (then unique within it), None when they do not; read by _global_unique.
    key_spans: dict[tuple[str, tuple[str, ...]], list[tuple[int, int] | None]] = field(
        default_factory=dict, repr=False
    )

    @property
    def ok(self) -> bool:
        return not self.findings

    def add(self, table: str, check: str, failing: int, examples=(), column: str | None = None) -> None:
        self.checks_run += 1
        if failing:
            self._record(
                Finding(table, check, int(failing), tuple(str(e)[:200] for e in examples[:3]), column)
            )

    def _record(self, finding: Finding) -> None:
        """Add a finding; the same (table, check, column) found in another chunk adds up into one."""
        for i, f in enumerate(self.findings):
            if (f.table, f.check, f.column) == (finding.table, finding.check, finding.column):
                self.findings[i] = Finding(
                    f.table,
                    f.check,
                    f.failing + finding.failing,
                    (f.examples + finding.examples)[:3],
                    f.column,
                )
                return
        self.findings.append(finding)

    def merge(self, other: ValidationReport, *, count_checks: bool) -> None:
        """Fold a chunk's partial report in (its checks are counted once: every chunk runs the same ones)."""
        for f in other.findings:
            self._record(f)
        for name, n in other.rows.items():
            self.rows[name] = self.rows.get(name, 0) + n
        for key, spans in other.key_spans.items():
            self.key_spans.setdefault(key, []).extend(spans)
        if count_checks:
            self.checks_run += other.checks_run

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
            schema={
                "table": pl.String,
                "check": pl.String,
                "column": pl.String,
                "failing": pl.Int64,
                "examples": pl.String,
            },
        )


def _read_manifest(path: Path, report: ValidationReport) -> dict | None:
    try:
        manifest = manifest_json(path)
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


PER_PATIENT = PATIENT_TABLES
SHARED = SHARED_TABLES  # organizations, professionals: read whole
_PART = re.compile(r"part-(\d+)\.parquet$")


def _read_parts(path: Path, name: str, files: list[dict], report: ValidationReport) -> pl.DataFrame | None:
    """Check these parts' checksums and row counts, then read them (None when they cannot be read)."""
    bad_sum, unreadable, wrong_rows, frames = [], [], [], []
    for f in files:
        part = path / f["path"]
        if not part.is_file():
            bad_sum.append(f"{f['path']}: file missing")
            continue
        if sha256_of(part) != f.get("sha256"):
            bad_sum.append(f"{f['path']}: sha256 differs from the manifest (file changed or corrupted)")
        try:
            frame = read_part(part)
        except Exception as err:
            unreadable.append(f"{f['path']}: {type(err).__name__}: {str(err)[:120]}")
            continue
        if frame.height != f.get("rows"):
            wrong_rows.append(
                f"{f['path']}: manifest says {f.get('rows')} rows, the file holds {frame.height}"
            )
        frames.append(frame)
    report.add(name, "checksums_match_manifest", len(bad_sum), bad_sum)
    report.add(name, "parquet_readable", len(unreadable), unreadable)
    report.add(name, "row_count_matches_manifest", len(wrong_rows), wrong_rows)
    if unreadable or len(frames) != len(files) or not frames:
        return None
    frame = pl.concat(frames) if len(frames) > 1 else frames[0]
    report.rows[name] = report.rows.get(name, 0) + frame.height
    return frame


def _period(manifest: dict) -> pl.DataFrame:
    """The scenario's period from the manifest (a one-row frame for the period checks)."""
    scenario = manifest.get("scenario", {})
    try:
        start, end = dt.date.fromisoformat(scenario["start"]), dt.date.fromisoformat(scenario["end"])
    except (KeyError, TypeError, ValueError):
        start, end = dt.date.min, dt.date.max
    return pl.DataFrame({"start": [start], "end": [end]})


# An `isin` check with more allowed values than this is named in a report by its first ones and their count.
_NAMED_VALUES = 8


@cache
def _check_labels(name: str) -> dict[str, str]:
    """Report names of table `name`'s `isin` checks that list many values: Pandera names such a check by its whole
    list (the patients' residence_commune: 35,000 commune codes, a 315 KB name printed in full by `dmpdata validate`
    and by `load`'s one-line error). Here: `isin(35,014 values: '01001', '01002', '01004', …)`."""
    labels = {}
    for column in MODELS[name].to_schema().columns.values():
        for check in column.checks:
            values = (check.statistics or {}).get("allowed_values")
            if check.name == "isin" and values is not None and len(values) > _NAMED_VALUES:
                shown = ", ".join(repr(v) for v in list(values)[:3])
                labels[check.error] = f"isin({len(values):,} values: {shown}, …)"
    return labels


@cache
def _chunk_schema(name: str) -> pa.DataFrameSchema:
    """The table's Pandera schema as run on one chunk: without the uniqueness of keys that `_global_unique` counts
    over every part anyway (on a chunk it would be the same check twice, and only half of it), and with its `isin` checks over many codes as `_light_isin` (same test, same report name)."""
    schema = MODELS[name].to_schema()
    for table, keys in (CHECKS[check][1].unique_key for check in GLOBAL):
        if table == name and len(keys) == 1 and schema.columns[keys[0]].unique:
            schema = schema.update_column(keys[0], unique=False)
    for column in list(schema.columns.values()):
        checks = [_light_isin(check, name) for check in column.checks]
        if any(new is not old for new, old in zip(checks, column.checks, strict=True)):
            schema = schema.update_column(column.name, checks=checks)
    return schema


def _light_isin(check: pa.Check, table: str) -> pa.Check:
    """An `isin` check over many codes as the same test on a polars list of them (else the check itself).

    Pandera deep-copies every column's checks on each validate, and its `isin` keeps its codes as a frozenset and a
    list, turned into a polars Series at each run: for the patients' birthplace and commune codes (35,000 each)
    that copying outweighs the test itself. A function keeps its list uncopied."""
    label = _check_labels(table).get(check.error)  # only isin checks over many codes have one
    if label is None:
        return check
    allowed = pl.Series(
        sorted(check.statistics["allowed_values"])
    ).implode()  # one list: is_in's set of values

    def in_codes(data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col(data.key).is_in(allowed))

    return pa.Check(in_codes, name="isin_codes", error=label, ignore_na=check.ignore_na)


def _schema_of(name: str) -> pa.DataFrameSchema:
    """The Pandera schema validation runs on table `name`'s frames (a chunk's, for the per-patient tables)."""
    return _chunk_schema(name) if name in PER_PATIENT else MODELS[name].to_schema()


def _schema_checks(name: str, frame: pl.DataFrame, report: ValidationReport) -> None:
    schema = _schema_of(name)
    n_checks = sum(len(c.checks) + 2 for c in schema.columns.values()) + len(schema.checks)
    if _pandera.passes(schema, frame):
        report.checks_run += n_checks
        return
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
        grouped = (
            cases.with_columns(pl.col("column").fill_null(""), pl.col("check").fill_null("schema"))
            .group_by("column", "check", maintain_order=True)
            .agg(pl.len().alias("n"), pl.col("failure_case").head(3).alias("examples"))
        )
        labels = _check_labels(name)
        for row in grouped.iter_rows(named=True):
            report.add(
                name,
                labels.get(row["check"], row["check"]),
                row["n"],
                [str(e) for e in row["examples"]],
                column=row["column"] or None,
            )
        report.checks_run += max(n_checks - grouped.height, 0)
        return
    except pa.errors.SchemaError as err:  # pragma: no cover - lazy=True raises SchemaErrors
        report.add(name, "schema", 1, [str(err)])
        return
    report.checks_run += n_checks


def _plan(manifest: dict) -> list[dict[str, list[dict]]]:
    """Group the per-patient tables' parts by chunk (part number): a patient's rows all live in one chunk.

    Parts whose names carry no part number fall back to one group holding everything.
    """
    groups: dict[int, dict[str, list[dict]]] = {}
    for name in PER_PATIENT:
        for f in manifest["tables"].get(name, {}).get("files", []):
            m = _PART.search(str(f.get("path", "")))
            if m is None:
                return [{name: manifest["tables"].get(name, {}).get("files", []) for name in PER_PATIENT}]
            groups.setdefault(int(m.group(1)), {}).setdefault(name, []).append(f)
    return [groups[k] for k in sorted(groups)] or [{}]


# Uniqueness must hold across chunks: these checks run once over every part (_global_unique), not per chunk.
GLOBAL = {name for name, (_, check) in CHECKS.items() if hasattr(check, "unique_key")}
_GLOBAL_KEYS = sorted({tuple(CHECKS[name][1].unique_key) for name in GLOBAL}, key=str)


def _validate_group(path: str, manifest: dict, group: dict[str, list[dict]]) -> ValidationReport:
    """Every per-table and cross-table check of one chunk (with the shared tables), as a partial report."""
    root = Path(path)
    report = ValidationReport(path=root)
    frames = dict(
        _shared_frames(path, json.dumps({t: manifest["tables"].get(t) for t in SHARED}, sort_keys=True))
    )
    for name in PER_PATIENT:
        entry = manifest["tables"].get(name)
        if entry is None:
            continue
        frame = _read_parts(root, name, group.get(name, []), report) if group.get(name) else None
        if frame is None:
            continue
        _schema_checks(name, frame, report)
        frames[name] = frame
        for table, keys in _GLOBAL_KEYS:
            if table == name and frame.height:
                report.key_spans[(table, keys)] = [_span(frame[keys[0]]) if len(keys) == 1 else None]
    frames["_scenario"] = _period(manifest)
    frames["_memo"] = {}  # joins the checks share (integrity._pairs), for this chunk only
    for check_name, (tables, check) in CHECKS.items():
        if check_name in GLOBAL and set(tables) - set(SHARED):
            continue
        needed = set(tables)
        if not needed <= set(frames):
            report.add(
                "integrity", check_name, 1, [f"not run: table(s) {sorted(needed - set(frames))} unavailable"]
            )
            continue
        try:
            failing, examples = check(frames)
        except Exception as err:
            failing, examples = 1, [f"could not run: {type(err).__name__}: {str(err)[:150]}"]
        report.add("integrity", check_name, failing, examples)
    connection = frames["_memo"].get("access_rule")
    if connection is not None:
        connection.close()
    return report


_SHARED_CACHE: dict[tuple[str, str], dict[str, pl.DataFrame]] = {}


def _shared_frames(path: str, entries: str) -> dict[str, pl.DataFrame]:
    """organizations and professionals, read once per process (checked by the parent's report)."""
    key = (path, entries)
    if key not in _SHARED_CACHE:
        _SHARED_CACHE.clear()
        frames = {}
        for name, entry in json.loads(entries).items():
            if entry is None:
                continue
            try:
                parts = [read_part(Path(path) / f["path"]) for f in entry.get("files", [])]
            except Exception:
                parts = []
            if parts:
                frames[name] = pl.concat(parts)
        _SHARED_CACHE[key] = frames
    return _SHARED_CACHE[key]


def _quiet(stage: str, done: int, total: int) -> None:
    return None


def _span(values: pl.Series) -> tuple[int, int] | None:
    """(first, last) of integer keys that strictly increase down the rows (so are unique among them), else None."""
    if not values.dtype.is_integer() or values.null_count():
        return None
    array = values.to_numpy()
    return (int(array[0]), int(array[-1])) if bool((array[1:] > array[:-1]).all()) else None


def _disjoint(spans: list[tuple[int, int] | None]) -> bool:
    """Every chunk's keys strictly increase and no two chunks' [first, last] ranges overlap: the keys are unique over
    the whole table, without counting them."""
    if not spans or any(s is None for s in spans):
        return False
    ordered = sorted(spans)
    return all(prev[1] < nxt[0] for prev, nxt in pairwise(ordered))


def _global_unique(path: Path, manifest: dict, report: ValidationReport, readable: set[str]) -> None:
    """Keys unique over the whole table (every part): proven from each chunk's key span when every chunk's keys
    increase and the spans do not overlap (ids as dmpdata writes them), otherwise counted by DuckDB over every part
    (memory bounded): their hashes first, the keys when a hash repeats, which names the duplicates."""
    spill = tempfile.mkdtemp(prefix=".dmpdata-validate-")
    con = duckdb.connect(config={"memory_limit": "1GB", "temp_directory": spill})  # spills beyond 1 GB
    try:
        con.execute("SET preserve_insertion_order = false")
        for check_name in sorted(GLOBAL, key=list(CHECKS).index):
            table, keys = CHECKS[check_name][1].unique_key
            if table not in readable:
                report.add("integrity", check_name, 1, [f"not run: table(s) {[table]} unavailable"])
                continue
            if _disjoint(report.key_spans.get((table, tuple(keys)), [])):
                report.add("integrity", check_name, 0)
                continue
            files = [str(path / f["path"]) for f in manifest["tables"][table]["files"]]
            cols = ", ".join(f'"{k}"' for k in keys)
            try:
                # Equal keys have equal hashes: no repeated hash, no duplicate. Grouping 64-bit hashes is much cheaper
                # than grouping long string keys (documents.unique_id); the keys themselves are grouped only when a
                # hash repeats, to name the duplicates (or clear a hash collision).
                repeated = con.execute(
                    f"SELECT 1 FROM read_parquet($files) GROUP BY hash({cols}) HAVING count(*) > 1 LIMIT 1",
                    {"files": files},
                ).fetchall()
                if not repeated:
                    report.add("integrity", check_name, 0)
                    continue
                cur = con.execute(
                    f"SELECT {cols}, count(*) AS len FROM read_parquet($files) GROUP BY ALL HAVING count(*) > 1 "
                    f"ORDER BY {cols}",
                    {"files": files},
                )
                names = [d[0] for d in cur.description]
                dup = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
                failing, examples = sum(r["len"] for r in dup), [str(r) for r in dup[:3]]
            except Exception as err:
                failing, examples = 1, [f"could not run: {type(err).__name__}: {str(err)[:150]}"]
            report.add("integrity", check_name, failing, examples)
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


def validate_path(
    path: Path | str, *, workers: int | None = None, progress: Callable[[str, int, int], None] | None = None
) -> ValidationReport:
    """Validate the dataset at `path`; never raises for a broken dataset, reports it instead.

    Works chunk by chunk (the per-patient tables' parts of one chunk, plus organizations and
    professionals), on `workers` processes (default: every core), so memory stays bounded by the
    chunk size; keys that must be unique across chunks are proven so from each chunk's key range, or counted over
    every part by DuckDB.
    """
    path = Path(path)
    report = ValidationReport(path=path)
    if not path.is_dir():
        report.add("dataset", "folder_exists", 1, [f"{path} is not a folder"])
        return report
    manifest = _read_manifest(path, report)
    if manifest is None:
        return report
    readable: set[str] = set()
    for name in TABLES:
        entry = manifest["tables"].get(name)
        report.add(
            name, "table_present", int(entry is None), [f"table {name!r} is missing from the manifest"]
        )
        if entry is not None and name in SHARED:
            frame = _read_parts(path, name, entry.get("files", []), report)
            if frame is not None:
                _schema_checks(name, frame, report)
                readable.add(name)
    groups = _plan(manifest)
    calls = [(str(path), manifest, group) for group in groups]
    with pool("local", workers, len(calls)) as run:
        partial = run(_validate_group, calls, lambda done, total: (progress or _quiet)("chunks", done, total))
    broken: set[str] = set()
    for i, part in enumerate(partial):
        report.merge(part, count_checks=(i == 0))
        broken |= {
            f.table for f in part.findings if f.check in ("parquet_readable", "checksums_match_manifest")
        }
    for name in PER_PATIENT:
        entry = manifest["tables"].get(name)
        if entry is None:
            continue
        total = sum(f.get("rows", 0) for f in entry.get("files", []))
        report.add(
            name,
            "manifest_rows_add_up",
            int(total != entry.get("rows")),
            [f"manifest says {entry.get('rows')} rows, its parts {total}"],
        )
        if name not in broken:
            readable.add(name)
    _global_unique(path, manifest, report, readable)
    if report.ok:
        remember(path, manifest, checks=report.checks_run, rows=sum(report.rows.values()))
    return report


def validated_before(path: Path | str, manifest: dict | None = None) -> dict | None:
    """The record of a clean validation of this dataset (its manifest, by the same code), provided every file the
    manifest lists still has its sha256; None otherwise (never validated clean, or a file changed since).

    Checking the checksums reads every file once, a fraction of the cost of validating it again.
    """
    path = Path(path)
    if manifest is None:
        try:
            manifest = manifest_json(path)
        except (OSError, ValueError):
            return None
    try:
        record = read_record(manifest)
        files = [f for entry in manifest["tables"].values() for f in entry["files"]]
        parts = [(path / f["path"], f["sha256"]) for f in files]
    except (TypeError, KeyError, ValueError, AttributeError):
        return None
    if not isinstance(record, dict) or not all(p.is_file() for p, _ in parts):
        return None
    with ThreadPoolExecutor(max_workers=4) as hashing:  # hashlib releases the GIL on large blocks
        sums = list(hashing.map(lambda part: sha256_of(part[0]), parts))
    return record if all(got == want for got, (_, want) in zip(sums, parts, strict=True)) else None
