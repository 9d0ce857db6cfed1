"""Build (or reuse) the DuckDB warehouse of a dataset: typed tables, reference tables, metadata, analysis views and
derived tables."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import cache
from importlib.resources import files as resource_files
from pathlib import Path

import duckdb

from dmpdata import reference
from dmpdata._version import __version__
from dmpdata.atomic import give_plain_mode
from dmpdata.errors import DatasetError
from dmpdata.layout import MANIFEST, DatasetFolder
from dmpdata.schemas import TABLES
from dmpdata.validate import validate_path, validated_before
from dmpdata.warehouse.ddl import (
    PRIMARY_KEYS,
    UNDECLARED_KEYS,
    columns,
    create_statements,
    key_statements,
    quote,
    table_statement,
    type_statements,
    typed_select,
)
from dmpdata.warehouse.lineage import derived_tables

__all__ = [
    "CONFIG",
    "DERIVE_BATCH_ROWS",
    "LINKED_TABLES",
    "META_TABLE",
    "WAREHOUSE_FORMAT",
    "connect",
    "derive",
    "derived_sql",
    "fingerprint",
    "views_sql",
]

# Bump when the layout of the warehouse changes in a way the fingerprint would not see.
WAREHOUSE_FORMAT = 2
# The tables a linked warehouse (connect(..., link=True)) reads from the dataset's Parquet parts through views instead
# of copying them: the four event tables, 97 % of the rows. The four small ones are copied with their keys.
LINKED_TABLES: tuple[str, ...] = tuple(t for t in TABLES if t in UNDECLARED_KEYS)
META_TABLE = "dmpdata_meta"
# No network: never download or auto-load an extension (parquet, json and icu are built in).
CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
_MAX_NAMED_CHECKS = 8
# Memory DuckDB may use while building a warehouse file (it spills to disk beyond it).
BUILD_MEMORY_LIMIT = os.environ.get("DMPDATA_DUCKDB_MEMORY", "2GB")


@cache
def views_sql() -> str:
    """The text of views.sql (the analysis views)."""
    return resource_files(__package__).joinpath("views.sql").read_text(encoding="utf-8")


def derived_sql() -> str:
    """The SQL files of the derived tables (warehouse/derived/), in build order: what a warehouse's fingerprint
    covers."""
    return "\n".join(table.sql for table in derived_tables().values())


# Encounters per batch of patients when derive() runs a batched statement of a derived table (see lineage.py): about
# 700,000 patients of the default scenario, whose joins fit the build's 2 GB memory limit instead of spilling.
DERIVE_BATCH_ROWS = 40_000_000


def _patient_batches(con: duckdb.DuckDBPyConnection, batch_rows: int) -> list[tuple[int, int]]:
    """[lo, hi) ranges of patient_id covering every patient of the dataset tables, about `batch_rows` encounters
    each (at least one batch; patient ids as dmpdata writes them are dense, so equal id ranges weigh alike)."""
    lo, hi, encounters = con.execute(
        "SELECT min(lo), max(hi), sum(n) FILTER (WHERE t = 'encounters') FROM ("
        + " UNION ALL ".join(
            f"SELECT '{t}' AS t, min(patient_id) AS lo, max(patient_id) AS hi, count(*) AS n FROM {t}"
            for t in ("patients", "encounters", "documents", "access_events")
        )
        + ")"
    ).fetchall()[0]
    if lo is None:
        return [(0, 1)]
    n = max(1, -(-int(encounters or 0) // batch_rows))
    edges = [lo + (hi + 1 - lo) * i // n for i in range(n + 1)]
    return [(a, b) for a, b in itertools.pairwise(edges) if b > a]


def derive(con: duckdb.DuckDBPyConnection, *, batch_rows: int | None = None) -> None:
    """Create (or replace) the derived tables of warehouse/derived/ on `con`, from the dataset tables it holds.

    Works on any connection holding the dataset tables (a warehouse, or tables built from frames): the analyses of
    dmpdata/analyses/ read these tables. `connect()` runs it when it builds a warehouse. The tables are built in the
    order their `reads` headers give (`lineage.build_order`); scratch tables are dropped once their last reader is
    built. Statements that use `$lo`/`$hi` run once per batch of patients of about `batch_rows` encounters
    (`DERIVE_BATCH_ROWS`); the tables are the same whatever the batch size.
    """
    if batch_rows is not None and (not isinstance(batch_rows, int) or batch_rows < 1):
        raise ValueError(f"batch_rows must be a positive number of encounters, not {batch_rows!r}")
    tables = derived_tables()
    readers_left = {
        name: sum(name in t.reads for t in tables.values()) for name, t in tables.items() if t.scratch
    }
    batches: list[tuple[int, int]] = []
    # The tables are aggregates: their row order carries nothing, and DuckDB builds them in parallel without it.
    with _unordered(con):
        for table in tables.values():
            for statement, append in table.plan():
                if append is None:
                    con.execute(statement)
                    continue
                batches = batches or _patient_batches(con, batch_rows or DERIVE_BATCH_ROWS)
                for i, (lo, hi) in enumerate(batches):
                    con.execute(append if i else statement, {"lo": lo, "hi": hi})
            for read in set(table.reads) & set(readers_left):
                readers_left[read] -= 1
                if not readers_left[read]:
                    con.execute(f"DROP TABLE {quote(read)}")


@contextmanager
def _unordered(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """DuckDB's `preserve_insertion_order` off for the statements run inside, then back as it was (the caller's
    connection keeps its setting)."""
    (keep,) = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()
    con.execute("SET preserve_insertion_order = false")
    try:
        yield
    finally:
        con.execute(f"SET preserve_insertion_order = {'true' if keep else 'false'}")


def fingerprint(ds: DatasetFolder, *, linked: bool = False) -> str:
    """What a warehouse is built from: the manifest (file hashes, scenario, seed), the DDL, views, derived tables and
    references; for a linked warehouse, also where the dataset's parts are (its views read them there)."""
    payload = {
        "warehouse_format": WAREHOUSE_FORMAT,
        "dmpdata_version": __version__,
        "manifest": ds.manifest,
        "ddl": create_statements() + list(key_statements().values()),
        "views": views_sql(),
        "derived": derived_sql(),
        "reference": reference.digest(),
    }
    if linked:
        payload["linked_to"] = str(Path(ds.path).resolve())
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _one_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def _check_valid(ds: DatasetFolder) -> None:
    if validated_before(ds.path, ds.manifest) is not None:  # validated clean, files unchanged: not again
        return
    report = validate_path(ds.path)
    if report.ok:
        return
    names = list(
        dict.fromkeys(f"{f.table}.{f.check}" + (f"({f.column})" if f.column else "") for f in report.findings)
    )
    shown = ", ".join(names[:_MAX_NAMED_CHECKS]) + (
        f" and {len(names) - _MAX_NAMED_CHECKS} more" if len(names) > _MAX_NAMED_CHECKS else ""
    )
    err = DatasetError(
        f"{ds.path} is not a valid dataset, not loading it: {len(names)} failing check(s): {shown} "
        f"(`dmpdata validate {ds.path}` prints the full report)"
    )
    err.report = report  # the full ValidationReport, for callers that show it
    raise err


def _part_paths(ds: DatasetFolder, table: str) -> list[str]:
    """The absolute paths of `table`'s Parquet parts (a linked view names them so)."""
    return [str(p.resolve()) for p in ds.files(table)]


def _load_table(con: duckdb.DuckDBPyConnection, ds: DatasetFolder, table: str, *, link: bool = False) -> None:
    """Copy `table`'s parts into its (created) table, or with `link` create it as a view over them (a table with no
    part is created empty either way)."""
    parts = _part_paths(ds, table)
    expected = ds.manifest["tables"][table].get("rows")
    if link and parts:
        con.execute(f"CREATE VIEW {quote(table)} AS {typed_select(table, parts)}")
    else:
        con.execute(table_statement(table))
    if parts:
        try:
            if not link:
                cols = ", ".join(quote(c.name) for c in columns(table))
                con.execute(f"INSERT INTO {quote(table)} ({cols}) {typed_select(table, parts)}")
            loaded = con.execute(f"SELECT count(*) FROM {quote(table)}").fetchall()[0][0]
        except duckdb.Error as err:
            raise DatasetError(f"{ds.path}: loading table {table} failed: {_one_line(err)}") from err
    else:
        loaded = 0
    if expected is not None and loaded != expected:
        raise DatasetError(f"{ds.path}: table {table} holds {loaded} rows, the manifest says {expected}")


def _load_reference(con: duckdb.DuckDBPyConnection) -> None:
    for name in reference.names():
        frame = reference.load(name).to_arrow()
        con.register("_dmpdata_reference", frame)
        try:
            con.execute(f"CREATE TABLE {quote('ref_' + name)} AS SELECT * FROM _dmpdata_reference")
        finally:
            con.unregister("_dmpdata_reference")


_META_DDL = f"""
CREATE TABLE {META_TABLE} (
    fingerprint VARCHAR NOT NULL,
    warehouse_format INTEGER NOT NULL,
    dmpdata_version VARCHAR NOT NULL,
    dataset_dmpdata_version VARCHAR,
    dataset_format_version INTEGER,
    dataset_path VARCHAR NOT NULL,
    scenario VARCHAR,
    seed BIGINT,
    patients BIGINT,
    period_start DATE NOT NULL,
    period_end DATE NOT NULL,
    validated BOOLEAN NOT NULL,
    linked BOOLEAN NOT NULL,
    built_at TIMESTAMP NOT NULL,
    build_seconds DOUBLE,
    duckdb_version VARCHAR NOT NULL,
    files STRUCT(table_name VARCHAR, path VARCHAR, "rows" BIGINT, sha256 VARCHAR)[] NOT NULL,
    manifest VARCHAR NOT NULL
)"""


def _write_meta(con, ds: DatasetFolder, fp: str, validated: bool, linked: bool, started: float) -> None:
    m = ds.manifest
    scenario = m.get("scenario", {})
    files = [
        {"table_name": table, "path": f.get("path"), "rows": f.get("rows"), "sha256": f.get("sha256")}
        for table, entry in m["tables"].items()
        for f in entry.get("files", [])
    ]
    try:
        start = dt.date.fromisoformat(scenario["start"])
        end = dt.date.fromisoformat(scenario["end"])
    except (KeyError, TypeError, ValueError) as err:
        raise DatasetError(f"{ds.path}/{MANIFEST}: no scenario start/end period ({err})") from None
    con.execute(
        f"INSERT INTO {META_TABLE} VALUES ($fp, $wf, $ver, $dver, $fmt, $path, $scenario, $seed, $patients, $start, "
        f"$end, $validated, $linked, $built_at, $seconds, $duckdb, $files, $manifest)",
        {
            "fp": fp,
            "wf": WAREHOUSE_FORMAT,
            "ver": __version__,
            "dver": m.get("dmpdata_version"),
            "fmt": m.get("format_version"),
            "path": str(Path(ds.path).resolve()),
            "scenario": scenario.get("name"),
            "seed": m.get("seed", scenario.get("seed")),
            "patients": scenario.get("patients"),
            "start": start,
            "end": end,
            "validated": validated,
            "linked": linked,
            "built_at": dt.datetime.now().replace(microsecond=0),
            "seconds": round(time.perf_counter() - started, 3),
            "duckdb": duckdb.__version__,
            "files": files,
            "manifest": json.dumps(m, sort_keys=True),
        },
    )


def _build(con: duckdb.DuckDBPyConnection, ds: DatasetFolder, fp: str, validated: bool, link: bool) -> None:
    started = time.perf_counter()
    for stmt in type_statements():  # each table is created as it is loaded
        con.execute(stmt)
    # A table's rows have no order (SQL gives one with ORDER BY): without keeping the files' order, DuckDB's threads
    # append the rows they read as they go, instead of handing them over in order: the same rows, sooner.
    with _unordered(con):
        for table in TABLES:
            _load_table(con, ds, table, link=link and table in LINKED_TABLES)
    for table, stmt in key_statements().items():
        try:
            con.execute(stmt)
        except duckdb.Error as err:
            raise DatasetError(
                f"{ds.path}: table {table} has duplicate or null keys {PRIMARY_KEYS[table]}: {_one_line(err)}"
            ) from err
    _load_reference(con)
    con.execute(_META_DDL)
    con.execute(views_sql())
    if link:
        _derive_linked(con, ds)
    else:
        derive(con)
    _write_meta(con, ds, fp, validated, link, started)


# The linked table that derive() reads with its code columns as strings (see _derive_linked).
_DERIVE_AS_STRINGS = "access_events"


def _derive_linked(con: duckdb.DuckDBPyConnection, ds: DatasetFolder) -> None:
    """derive() on a linked warehouse, with the same derived tables as a copied one, faster.

    A linked view casts its code columns to their ENUMs on every read: the derived tables that scan access_events,
    the largest table, would spend most of their time there, and a filter on a cast column is not pushed into the
    Parquet scan. So derive() runs with a temporary view of that name shadowing the linked one,
    its code columns the parts' strings: the same rows, filters and groups (an ENUM lists its values in code-point
    order, which is how VARCHAR sorts). The shadow is dropped, then the derived columns that came out VARCHAR under the
    name of one of those code columns get its ENUM back, as a copied warehouse has them (tested)."""
    parts = _part_paths(ds, _DERIVE_AS_STRINGS)
    if not parts:
        derive(con)
        return
    con.execute(
        f"CREATE TEMP VIEW {quote(_DERIVE_AS_STRINGS)} AS {typed_select(_DERIVE_AS_STRINGS, parts, enums=False)}"
    )
    try:
        derive(con)
    finally:
        con.execute(f"DROP VIEW IF EXISTS temp.main.{quote(_DERIVE_AS_STRINGS)}")
    codes = {c.name: c for c in columns(_DERIVE_AS_STRINGS) if c.enum}
    derived = [name for name, table in derived_tables().items() if not table.scratch]
    found = con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE database_name <> 'temp' AND data_type = 'VARCHAR' "
        "AND table_name IN (SELECT unnest($tables)) AND column_name IN (SELECT unnest($codes))",
        {"tables": derived, "codes": list(codes)},
    ).fetchall()
    for table, column in found:
        con.execute(f"ALTER TABLE {quote(table)} ALTER {quote(column)} TYPE {quote(codes[column].sql_type)}")


def _existing_state(db: Path) -> tuple[str, bool, bool] | None:
    """(fingerprint, validated, linked) of an existing warehouse file, None when it is ours but unreadable/old.

    Refuses (DatasetError) to touch a file that is not a DuckDB database built by dmpdata.
    """
    try:
        con = duckdb.connect(str(db), config=CONFIG)
    except duckdb.Error as err:
        raise DatasetError(
            f"{db} exists and cannot be opened as a DuckDB database ({_one_line(err)}); not overwriting it"
        ) from None
    try:
        ours = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = ?", [META_TABLE]
        ).fetchall()[0][0]
        if not ours:
            # (DuckDB also opens data files, a JSON or CSV file for instance, as a database of their contents.)
            raise DatasetError(
                f"{db} exists and is not a warehouse built by dmpdata (no {META_TABLE} table); "
                f"not overwriting it"
            )
        try:
            row = con.execute(f"SELECT fingerprint, validated, linked FROM {META_TABLE}").fetchall()
        except duckdb.Error:
            return None
        return (row[0][0], bool(row[0][1]), bool(row[0][2])) if len(row) == 1 else None
    finally:
        con.close()


def _remove(path: Path) -> None:
    for p in (path, Path(f"{path}.wal")):
        with suppress(FileNotFoundError):
            p.unlink()


def _build_file(db: Path, ds: DatasetFolder, fp: str, validated: bool, link: bool) -> None:
    """Build into a temporary file beside `db`, then rename it over `db` (readers never see a partial build)."""
    db.parent.mkdir(parents=True, exist_ok=True)
    tmp = db.with_name(f".{db.name}.building-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        # Bounded memory while loading: DuckDB spills to a temporary folder beside the file beyond this.
        spill = tmp.with_name(tmp.name + ".spill")
        con = duckdb.connect(
            str(tmp), config={**CONFIG, "memory_limit": BUILD_MEMORY_LIMIT, "temp_directory": str(spill)}
        )
        try:
            _build(con, ds, fp, validated, link)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        wal = Path(f"{db}.wal")
        if wal.exists():  # a WAL of the previous file must not be replayed onto the new one
            wal.unlink()
        give_plain_mode(tmp)  # whatever mode DuckDB created it with, the warehouse is an ordinary file
        os.replace(tmp, db)
    finally:
        _remove(tmp)
        shutil.rmtree(tmp.with_name(tmp.name + ".spill"), ignore_errors=True)


def connect(
    dataset: DatasetFolder | str | os.PathLike,
    db: str | os.PathLike | None = None,
    *,
    validate: bool = True,
    link: bool | None = None,
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection on the warehouse of `dataset` (a Dataset or the path of a dataset folder).

    db=None builds an in-memory database. With a file path, a warehouse built from the same dataset (same manifest,
    hence same file hashes, scenario and seed) by the same dmpdata is reused as is; anything else is rebuilt into a
    temporary file renamed over `db`. validate=True first validates the dataset (only when building) and raises
    DatasetError naming the failing checks; no database file is written then. validate=False loads without those
    checks: only row counts, the column types, ENUM code sets, NOT NULL and the four small tables' primary keys are
    enforced, the event tables' ids (`ddl.UNDECLARED_KEYS`) are not.

    link=False copies every table into the warehouse (self-contained). link=True builds a linked warehouse: the four
    event tables (`LINKED_TABLES`) are views over the dataset's Parquet parts, with the same columns and types, so
    the build skips copying 97 % of the rows and the file is a few percent of the size; it needs the parts where
    they are (a moved dataset folder rebuilds it), queries on those tables read Parquet, and a value that does not
    fit its type fails when a query reads it (validate=False) rather than at the build. The derived tables and the
    analyses are the same. link=None (default) keeps the kind of an existing warehouse file (reused when up to date,
    rebuilt of the same kind otherwise) and copies for a new one.
    """
    ds = dataset if isinstance(dataset, DatasetFolder) else DatasetFolder.open(dataset)
    if link is not None and not isinstance(link, bool):
        raise ValueError(f"link must be True, False or None, not {link!r}")
    if db is None:
        return _in_memory(ds, validate, bool(link))
    db = Path(db)
    up_to_date, link = _up_to_date(db, ds, validate, link)
    if up_to_date:
        return duckdb.connect(str(db), config=CONFIG)
    if validate:
        _check_valid(ds)
    fp = fingerprint(ds, linked=bool(link))
    _build_file(db, ds, fp, validate, bool(link))
    con = duckdb.connect(str(db), config=CONFIG)
    got = con.execute(f"SELECT fingerprint FROM {META_TABLE}").fetchall()[0][0]
    if got != fp:
        con.close()
        raise DatasetError(
            f"{db} was rebuilt, but this process still holds an open connection to its previous "
            f"version: close every connection to it, then connect again"
        )
    return con


def _in_memory(ds: DatasetFolder, validate: bool, link: bool) -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse of `ds`, built now (validated first when asked)."""
    if validate:
        _check_valid(ds)
    con = duckdb.connect(":memory:", config=CONFIG)
    try:
        _build(con, ds, fingerprint(ds, linked=link), validate, link)
    except BaseException:
        con.close()
        raise
    return con


def _up_to_date(db: Path, ds: DatasetFolder, validate: bool, link: bool | None) -> tuple[bool, bool | None]:
    """(whether the warehouse file `db` can be reused as is, the kind to build otherwise): reused when built from
    the same dataset by the same dmpdata, of the kind asked, and validated if asked; link=None keeps its kind."""
    if db.exists():
        state = _existing_state(db)
        if state is not None:
            fp, validated, linked = state
            if (
                (link is None or link == linked)
                and fp == fingerprint(ds, linked=linked)
                and (validated or not validate)
            ):
                return True, link
            if link is None:
                link = linked
    return False, link
