"""Engine: runs the stages chunk by chunk and writes the dataset atomically (Parquet parts + manifest)."""

from __future__ import annotations

import contextlib
import ctypes
import io
import json
from collections.abc import Callable
from functools import cache, partial
from pathlib import Path

import numpy as np
import polars as pl

from dmpdata._version import __version__
from dmpdata.atomic import check_target, staging
from dmpdata.generators.access import generate_access
from dmpdata.generators.conditions import generate_conditions, mortality_multiplier
from dmpdata.generators.documents import generate_documents
from dmpdata.generators.geography import area_of
from dmpdata.generators.medecin_traitant import declarations, with_history
from dmpdata.generators.observations import generate_observations
from dmpdata.generators.pathways import CODE_COLUMNS, generate_encounters
from dmpdata.generators.population import (
    birthplace_vocabulary,
    generate_patients,
    nir_traits,
)
from dmpdata.generators.staff import Staff
from dmpdata.generators.workforce import generate_workforce
from dmpdata.identifiers import nir_buckets_indexed, safe_order_numbers, unique_nirs_indexed
from dmpdata.layout import MANIFEST, REPORT, SYNTHETIC_NOTICE, WAREHOUSE, manifest_json, sha256_of
from dmpdata.parallel import available_cores, leave_if_bootstrapping, pool
from dmpdata.rng import stream
from dmpdata.scenario import Scenario
from dmpdata.schemas import TABLES, columns_of, conform
from dmpdata.schemas._common import test_oid

__all__ = ["generate_dataset", "is_dmpdata_dataset"]

FORMAT_VERSION = 1

Progress = Callable[[str, int, int], None]


NIR_TRAITS = ["_nir_sex", "_birth_year", "_birth_month", "_place_idx"]

# Ids of the per-patient tables are `chunk × ID_STRIDE + n` (n = 1, 2, … within the chunk): every chunk
# numbers its rows without knowing how many rows earlier chunks made, so chunks run in any order, on any
# number of workers or machines, and give the same bytes. Chunk 0 keeps plain 1..n. patient_id stays dense
# (chunk sizes are known in advance).
ID_STRIDE = 10_000_000_000

# (table, id column) -> the columns referencing it, all shifted by the chunk's base.
ID_COLUMNS = {
    ("encounters", "encounter_id"): [
        ("encounters", "follows_encounter_id"),
        ("documents", "encounter_id"),
        ("observations", "encounter_id"),
    ],
    ("documents", "document_id"): [
        ("documents", "replaces_document_id"),
        ("observations", "document_id"),
        ("access_events", "document_id"),
    ],
    ("observations", "observation_id"): [],
    ("access_events", "event_id"): [],
}


def _shifted(table: str, frame: pl.DataFrame, k: int) -> pl.DataFrame:
    """Chunk k's `table` with its local ids (1..n) and the local ids it references made global: k × ID_STRIDE + n."""
    if (
        any(owner == table for owner, _ in ID_COLUMNS) and frame.height >= ID_STRIDE
    ):  # pragma: no cover - 10^10 rows
        raise RuntimeError(f"chunk {k}: {frame.height} {table} rows exceed the id stride; lower chunk_size")
    columns = [col for key, refs in ID_COLUMNS.items() for name, col in [key, *refs] if name == table]
    return frame.with_columns(pl.col(columns) + k * ID_STRIDE) if k and columns else frame


def simulate_chunk(
    scenario: Scenario, k: int, area, staff, patients: pl.DataFrame, emit: Callable[[str, pl.DataFrame], None]
) -> None:
    """Every per-patient stage for chunk k: conditions, encounters, identity records, documents, observations, access
    traces.

    Each table goes to `emit(name, frame)` (local ids) once final; observations, which no later stage reads, before
    the access stage, so that the chunk's peak memory does not hold them."""
    seed = scenario.seed
    emit("gp_declarations", declarations(patients, scenario))
    conditions = generate_conditions(scenario, stream(seed, "conditions", k), patients)
    encounters = generate_encounters(scenario, stream(seed, "pathways", k), area, staff, patients, conditions)
    documents, identity_records, encounters = generate_documents(
        scenario, stream(seed, "documents", k), patients, encounters, staff, stream(seed, "identity", k)
    )
    emit(
        "observations",
        generate_observations(
            scenario, stream(seed, "documents", k, 1), patients, conditions, encounters, documents
        ),
    )
    access_events, documents = generate_access(
        scenario, stream(seed, "access", k), patients, encounters, documents, staff
    )
    for name, frame in (
        ("patients", patients),
        ("identity_records", identity_records),
        ("conditions", conditions),
        ("encounters", encounters.drop(CODE_COLUMNS)),
        ("documents", documents),
        ("access_events", access_events),
    ):
        emit(name, frame)


# --- the work of one chunk, runnable in any process (local pool or dask worker) ----------------------------


class _Context:
    """What every chunk of a scenario shares: its area and workforce (regenerated identically in each process)."""

    def __init__(self, scenario: Scenario):
        self.area = area_of(scenario)
        self.organizations, self.professionals = generate_workforce(
            scenario, stream(scenario.seed, "workforce"), self.area
        )
        self.staff = Staff(self.area, self.professionals, self.organizations)


_CONTEXTS: dict[str, _Context] = {}


def _context(scenario: Scenario) -> _Context:
    key = json.dumps(scenario.to_json(), sort_keys=True)
    if key not in _CONTEXTS:
        _CONTEXTS.clear()  # one scenario at a time per process
        _CONTEXTS[key] = _Context(scenario)
    return _CONTEXTS[key]


def _chunk_span(scenario: Scenario, k: int) -> tuple[int, int]:
    """(first patient index, number of patients) of chunk k."""
    first = k * scenario.chunk_size
    return first, min(scenario.chunk_size, scenario.patients - first)


def _chunk_patients(
    scenario: Scenario, k: int, ctx: _Context, *, order: np.ndarray | None = None
) -> pl.DataFrame:
    first, n = _chunk_span(scenario, k)
    patients = generate_patients(
        scenario,
        stream(scenario.seed, "population", k),
        ctx.area,
        ctx.professionals,
        first_id=first + 1,
        n=n,
        order=order,
        # Deaths gather on the sick: the chunk's pathologies at the start, drawn from the conditions stage's stream
        # (which draws them again, identically, for the conditions table).
        death_multiplier=partial(mortality_multiplier, scenario, stream(scenario.seed, "conditions", k)),
    )
    # The médecin traitant's history: a sub-stream of its own, so that every other column keeps its values.
    return with_history(scenario, stream(scenario.seed, "population", k, 1), ctx.staff, patients)


def _chunk_traits(scenario: Scenario, k: int) -> dict[str, np.ndarray]:
    return nir_traits(
        scenario, stream(scenario.seed, "population", k), _context(scenario).area, _chunk_span(scenario, k)[1]
    )


def chunk_traits(scenario: Scenario, k: int) -> pl.DataFrame:
    """The NIR traits (sex, birth year and month, birthplace index) of chunk k's patients."""
    return pl.DataFrame(_chunk_traits(scenario, k)).select(NIR_TRAITS)


def chunk_buckets(scenario: Scenario, k: int) -> np.ndarray:
    """Pass 1 for chunk k: the NIR bucket (sex, yy, mm, encoded birthplace; int64) of each of its patients,
    computed on the worker so that the coordinator's ranking is one sort."""
    traits = _chunk_traits(scenario, k)
    return nir_buckets_indexed(
        *(traits[c] for c in NIR_TRAITS), birthplace_vocabulary(_context(scenario).area)
    )


def chunks_buckets(scenario: Scenario, chunks: range) -> np.ndarray:
    """`chunk_buckets` of consecutive chunks, concatenated: one task of pass 1."""
    return np.concatenate([chunk_buckets(scenario, k) for k in chunks])


def pass1_tasks(scenario: Scenario, workers: int) -> list[range]:
    """The chunks of pass 1 grouped into consecutive runs, one task each. A chunk's buckets take ~3 ms at 20,000
    patients, comparable to a task's round trip through the pool: runs of chunks (about eight tasks per worker, at
    most 200,000 patients each) keep the workers busy. Concatenated in order, the tasks' results are the chunks'."""
    per_task = max(1, min(-(-scenario.n_chunks // (8 * max(workers, 1))), 200_000 // scenario.chunk_size))
    return [range(k, min(k + per_task, scenario.n_chunks)) for k in range(0, scenario.n_chunks, per_task)]


def chunk_patients(scenario: Scenario, k: int, order: np.ndarray) -> pl.DataFrame:
    """Chunk k's patients table, matricules INS included, from the chunk's NIR order numbers (pass 2's first step)."""
    return _chunk_patients(scenario, k, _context(scenario), order=order)


def chunk_history(scenario: Scenario, k: int, order: np.ndarray, root: str) -> dict[str, dict]:
    """Pass 2 for chunk k: patients (with their matricules) and their whole history, written under `root`.

    `order` holds the chunk's NIR order numbers, ranked over the whole dataset by the coordinator.
    Returns each table's file entry for the manifest. Deterministic: depends on (scenario, k) only.
    """
    ctx = _context(scenario)
    entries: dict[str, dict] = {}

    def emit(name: str, frame: pl.DataFrame) -> None:
        entries[name] = write_part(Path(root), name, k, _shifted(name, frame, k))

    simulate_chunk(scenario, k, ctx.area, ctx.staff, chunk_patients(scenario, k, order), emit)
    return {name: entries[name] for name in TABLES if name in entries}


def workforce_parts(scenario: Scenario, root: str) -> dict[str, dict]:
    """The organizations and professionals tables written under `root`, with their manifest entries.

    Runs on a worker like the chunks (which build the same workforce anyway): the coordinating process never holds
    the workforce, only the chunks' NIR order numbers (~100 MB less in it at 1 M patients)."""
    ctx = _context(scenario)
    return {
        "organizations": write_part(Path(root), "organizations", 0, ctx.organizations),
        "professionals": write_part(Path(root), "professionals", 0, ctx.professionals),
    }


PARQUET_OPTIONS = {"compression": "zstd", "compression_level": 1, "statistics": True}


@cache
def parquet_metadata(table: str) -> dict[str, str]:
    """The key-value metadata of a Parquet part of `table`: the Arrow schema polars stores for the contract's dtypes
    (its closed code sets as plain strings), whatever dtype the written columns had in memory."""
    buffer = io.BytesIO()
    pl.DataFrame(schema=columns_of(table)).write_parquet(buffer, **PARQUET_OPTIONS)
    buffer.seek(0)
    return {"ARROW:schema": pl.read_parquet_metadata(buffer)["ARROW:schema"]}


def write_parquet(table: str, frame: pl.DataFrame, path: Path) -> int:
    """Write a frame of `table` (its contract columns, code columns String or Enum) to Parquet as every part is
    written, conformed to the contract (`schemas.conform`); returns its rows.

    Its closed code sets (`schemas.code_dtypes`) are written from Enum columns (generators give them so; String
    columns are converted): polars then writes their dictionary pages from the categories instead of hashing every
    string of the column, a tenth to a quarter of the write. Under the Arrow schema of the contract's String columns
    (`parquet_metadata`), every reader (polars, pyarrow, DuckDB) reads them as strings, as from a plain write, with
    the same encodings and statistics. A value outside its code set cannot be written (polars raises): it could not
    pass validation either.
    """
    frame = conform(table, frame, codes_as_enum=True)
    frame.write_parquet(path, **PARQUET_OPTIONS, metadata=parquet_metadata(table))
    return frame.height


def write_part(root: Path, table: str, part: int, frame: pl.DataFrame) -> dict:
    """Write one Parquet part of `table` and return its manifest entry."""
    rel = f"{table}/part-{part:05d}.parquet"
    path = root / rel
    path.parent.mkdir(exist_ok=True)
    rows = write_parquet(table, frame, path)
    return {"path": rel, "rows": rows, "bytes": path.stat().st_size, "sha256": sha256_of(path)}


def is_dmpdata_dataset(path: Path) -> bool:
    """True when `path` holds a dataset written by dmpdata (its manifest says so)."""
    try:
        manifest = manifest_json(path)
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and manifest.get("generator") == "dmpdata"


# Files dmpdata itself leaves in a dataset folder besides the manifest's parts (load, report).
OWN_FILES = {MANIFEST, WAREHOUSE, f"{WAREHOUSE}.wal", REPORT}


def _own_files(out: Path) -> set[str] | None:
    """The files dmpdata wrote in a dataset folder (its parts, manifest, warehouse, report); None if not a dataset."""
    if not is_dmpdata_dataset(out):
        return None
    manifest = manifest_json(out)
    return set(OWN_FILES) | {
        f["path"] for e in manifest.get("tables", {}).values() for f in e.get("files", [])
    }


def check_output(out: Path, force: bool) -> None:
    """Refuse to write over user files: only an empty folder or, with force, a previous dmpdata dataset."""
    check_target(out, force, what="dmpdata dataset", own_files=_own_files)


def _manifest(scenario: Scenario, files: dict[str, list[dict]]) -> dict:
    return {
        "generator": "dmpdata",
        "dmpdata_version": __version__,
        "format_version": FORMAT_VERSION,
        "synthetic": True,
        "notice": SYNTHETIC_NOTICE,
        "ins_oid": test_oid(),
        "scenario": scenario.to_json(),
        "seed": scenario.seed,
        "tables": {
            name: {"rows": sum(f["rows"] for f in files[name]), "files": files[name]} for name in TABLES
        },
    }


def _order_numbers(buckets: list[np.ndarray]) -> np.ndarray:
    """The NIR order number (uint16) of every patient from every chunk's buckets (`chunk_buckets`, in chunk
    order): ranks within (sex, yy, mm, birthplace) over the whole dataset, shifted above the birthplace's
    plausible monthly births where the bucket fits (`safe_order_numbers`), so that a matricule is not a real one.

    Only these (2 bytes per patient) travel to the workers, which build their chunk's matricules."""
    return safe_order_numbers(pl.Series("nir_bucket", np.concatenate(buckets))).astype(np.uint16)


def _matricules(traits: list[pl.DataFrame], area) -> pl.Series:
    """The matricule INS of every patient (the two halves above in one process: benchmarks, tests)."""
    t = pl.concat(traits)
    return unique_nirs_indexed(*(t[c].to_numpy() for c in NIR_TRAITS), birthplace_vocabulary(area))


def _return_freed_memory() -> None:
    """Hand this process's freed heap back to the OS (glibc's malloc_trim). Pass 1's buckets, freed before the
    history pass, otherwise stay in the coordinator's RSS through it (~80 MB at 10 M patients)."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc (macOS, Windows, musl): nothing to do
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def generate_dataset(
    scenario: Scenario,
    out: Path,
    *,
    force: bool = False,
    progress: Progress | None = None,
    workers: int | None = None,
    engine: str = "local",
    scheduler: str | None = None,
) -> Path:
    """Generate `scenario` into folder `out`, atomically: the folder appears complete or not at all.

    Chunks of patients run on `workers` processes (default: every core; engine "local") or on a
    dask.distributed cluster (engine "dask", `scheduler` address or a local cluster); the bytes written
    are the same whatever the engine and the number of workers.
    """
    leave_if_bootstrapping()  # a worker re-importing an unguarded script stops before touching any file
    out = Path(out)
    check_output(out, force)
    report = progress or (lambda stage, done, total: None)
    # The pool inside the staging folder: on an error or Ctrl-C its workers are stopped before the folder is removed
    # (a worker still writing a part could otherwise leave the folder behind).
    with staging(out) as tmp, pool(engine, workers, scenario.n_chunks, scheduler) as run:
        report("workforce", 0, 1)
        files: dict[str, list[dict]] = {name: [] for name in TABLES}
        (workforce,) = run(workforce_parts, [(scenario, str(tmp))], lambda d, n: report("workforce", d, n))
        for name, entry in workforce.items():
            files[name].append(entry)

        chunks = range(scenario.n_chunks)
        tasks = pass1_tasks(scenario, workers or available_cores())
        buckets = run(
            chunks_buckets, [(scenario, ks) for ks in tasks], lambda d, n: report("population", d, n)
        )
        order = _order_numbers(buckets)
        del buckets
        _return_freed_memory()
        report("history", 0, scenario.n_chunks)
        starts = [k * scenario.chunk_size for k in chunks]
        calls = [
            (scenario, k, order[s : s + scenario.chunk_size], str(tmp))
            for k, s in zip(chunks, starts, strict=True)
        ]
        for entries in run(chunk_history, calls, lambda d, n: report("history", d, n)):
            for name, entry in entries.items():
                files[name].append(entry)
        (tmp / MANIFEST).write_text(
            json.dumps(_manifest(scenario, files), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    return out
