"""Scale: chunks on any number of workers or a dask cluster give the same bytes; validation works chunk by chunk."""

from __future__ import annotations

import hashlib
import json
import shutil

import polars as pl
import pytest
from typer.testing import CliRunner

import dmpdata
from dmpdata.cli import app
from dmpdata.engine import ID_STRIDE
from dmpdata.validate import _plan, validate_path

# 2,500 patients in chunks of 1,000: three chunks, the last one short.
SCENARIO = dmpdata.load_scenario("tiny").with_overrides(patients=2_500, chunk_size=1_000, seed=11)


def _digest(path) -> dict[str, str]:
    return {
        p.relative_to(path).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def chunked(tmp_path_factory):
    return dmpdata.generate(SCENARIO, out=tmp_path_factory.mktemp("scale") / "w1", workers=1)


def test_one_and_two_workers_write_identical_bytes(chunked, tmp_path):
    two = dmpdata.generate(SCENARIO, out=tmp_path / "w2", workers=2)
    assert _digest(two.path) == _digest(chunked.path)
    assert len([f for f in _digest(chunked.path) if f.startswith("patients/")]) == 3


def test_a_dask_cluster_writes_the_same_files(chunked, tmp_path):
    on_dask = dmpdata.generate(SCENARIO, out=tmp_path / "dask", engine="dask", workers=2)
    assert _digest(on_dask.path) == _digest(chunked.path)


def test_ids_are_unique_across_chunks_and_links_stay_inside_the_chunk(chunked):
    docs = chunked.table("documents").collect()
    assert docs["document_id"].n_unique() == docs.height
    chunk_of_doc = docs["document_id"] // ID_STRIDE
    chunk_of_patient = (docs["patient_id"] - 1) // SCENARIO.chunk_size
    assert (chunk_of_doc == chunk_of_patient).all()
    assert set(chunk_of_doc.unique().to_list()) == {0, 1, 2}
    events = chunked.table("access_events").collect().filter(pl.col("document_id").is_not_null())
    assert events.join(docs, on="document_id", how="anti").height == 0


def test_chunking_keeps_the_matricules_unique_over_the_dataset(chunked):
    patients = chunked.table("patients").collect()
    assert patients.height == 2_500 and patients["ins_matricule"].n_unique() == 2_500


def test_validation_plans_one_group_per_chunk(chunked):
    groups = _plan(chunked.manifest)
    assert len(groups) == 3
    for k, group in enumerate(groups):
        assert set(group) == {
            "patients",
            "gp_declarations",
            "identity_records",
            "conditions",
            "encounters",
            "documents",
            "observations",
            "access_events",
        }
        assert all(f["path"].endswith(f"part-{k:05d}.parquet") for files in group.values() for f in files)


def test_chunked_dataset_is_valid_with_any_number_of_workers(chunked):
    one, two = validate_path(chunked.path, workers=1), validate_path(chunked.path, workers=2)
    assert one.ok and two.ok
    assert one.checks_run == two.checks_run and one.rows == two.rows
    assert one.rows["patients"] == 2_500


def _rewrite(ds_path, rel: str, change) -> None:
    part = ds_path / rel
    frame = change(pl.read_parquet(part))
    frame.write_parquet(part)
    manifest = json.loads((ds_path / "manifest.json").read_text())
    for entry in manifest["tables"].values():
        for f in entry["files"]:
            if f["path"] == rel:
                f["sha256"] = hashlib.sha256(part.read_bytes()).hexdigest()
                f["rows"] = frame.height
        entry["rows"] = sum(f["rows"] for f in entry["files"])
    (ds_path / "manifest.json").write_text(json.dumps(manifest))


def _broken_copy(chunked, tmp_path):
    path = tmp_path / "broken"
    shutil.copytree(chunked.path, path)
    return path


def test_a_duplicate_id_across_chunks_is_found(chunked, tmp_path):
    path = _broken_copy(chunked, tmp_path)
    first = pl.read_parquet(path / "access_events/part-00000.parquet").head(1)
    # The same event row copied into chunk 2 (with a patient of chunk 2, so only the id is wrong).
    patient = pl.read_parquet(path / "patients/part-00002.parquet")["patient_id"][0]
    _rewrite(
        path,
        "access_events/part-00002.parquet",
        lambda f: pl.concat(
            [
                f,
                first.with_columns(
                    pl.lit(patient, pl.Int64).alias("patient_id"), pl.lit(None, pl.Int64).alias("document_id")
                ),
            ]
        ),
    )
    report = validate_path(path, workers=2)
    failed = {(f.table, f.check): f for f in report.findings}
    assert ("integrity", "access_events_id_unique") in failed
    assert failed[("integrity", "access_events_id_unique")].failing == 2


def test_defects_in_several_chunks_add_up_in_one_finding(chunked, tmp_path):
    path = _broken_copy(chunked, tmp_path)
    for k in (0, 2):
        _rewrite(
            path,
            f"encounters/part-{k:05d}.parquet",
            lambda f: f.with_columns(
                pl.when(pl.int_range(pl.len()) == 0)
                .then(pl.lit(999_999_999))
                .otherwise(pl.col("professional_id"))
                .alias("professional_id")
            ),
        )
    report = validate_path(path, workers=2)
    found = [f for f in report.findings if f.check == "encounter_professional_exists"]
    assert len(found) == 1 and found[0].failing == 2


def test_a_link_to_another_chunk_is_reported(chunked, tmp_path):
    """A patient's rows all live in their chunk: a document pointing to another chunk's encounter is an orphan."""
    path = _broken_copy(chunked, tmp_path)
    foreign = pl.read_parquet(path / "encounters/part-00000.parquet")["encounter_id"][0]
    _rewrite(
        path,
        "documents/part-00001.parquet",
        lambda f: f.with_columns(
            pl.when(
                pl.col("encounter_id").is_not_null()
                & (pl.int_range(pl.len()) == pl.col("encounter_id").is_not_null().arg_max())
            )
            .then(pl.lit(foreign))
            .otherwise(pl.col("encounter_id"))
            .alias("encounter_id")
        ),
    )
    report = validate_path(path, workers=1)
    assert "document_encounter_exists" in {f.check for f in report.findings}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--workers", "0"], "--workers must be at least 1"),
        (["--engine", "spark"], "unknown engine 'spark'"),
        (["--scheduler", "tcp://127.0.0.1:1"], "--scheduler only applies with --engine dask"),
    ],
)
def test_bad_scale_options_are_one_clear_error(tmp_path, args, message):
    result = CliRunner().invoke(app, ["generate", "--scenario", "tiny", "--out", str(tmp_path / "x"), *args])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "x").exists()
    assert not list(tmp_path.iterdir())  # no work folder left behind either


def _worker_environment() -> dict[str, str | None]:
    import os

    return {
        name: os.environ.get(name)
        for name in (
            "POLARS_MAX_THREADS",
            "MALLOC_MMAP_THRESHOLD_",
            "MALLOC_TRIM_THRESHOLD_",
            "_RJEM_MALLOC_CONF",
        )
    }


def _ends_when(flag: str | None) -> bool:
    """A task that ends at once (no flag), or once `flag` exists (True), or after a bounded wait without it (False)."""
    import time
    from pathlib import Path

    deadline = time.monotonic() + 60
    while flag is not None and not Path(flag).exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_a_pool_reports_each_task_as_it_ends(tmp_path):
    """Progress bars follow the work: the local pool calls on_done after each task, not once at the end. The two long
    tasks end only once the parent was told the two short ones ended: a pool that reported at the end only would
    leave them waiting (then failing) instead."""
    from dmpdata.parallel import pool

    flag = tmp_path / "short-tasks-reported"
    seen: list[int] = []

    def on_done(done: int, total: int) -> None:
        seen.append(done)
        if done >= 2:
            flag.touch()

    with pool("local", 2, 4) as run:
        results = run(_ends_when, [(None,), (None,), (str(flag),), (str(flag),)], on_done)
    assert results == [True] * 4, f"the two short tasks were not reported before the long ones ended: {seen}"
    assert seen == sorted(set(seen)) and seen[-1] == 4


def test_workers_get_their_allocator_settings_and_the_user_keeps_theirs(monkeypatch):
    """The local pool's workers keep freed memory for the next chunk (allocator variables set for them only) and
    share the cores; a variable the user set is left as is, and this process's environment is restored after."""
    import os

    from dmpdata.parallel import WORKER_ALLOCATOR_ENV, pool

    for name in ("POLARS_MAX_THREADS", *WORKER_ALLOCATOR_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(
        "_RJEM_MALLOC_CONF", "dirty_decay_ms:500,muzzy_decay_ms:1000"
    )  # as `import polars` leaves it
    before = dict(os.environ)
    with pool("local", 2, 2) as run:
        seen = run(_worker_environment, [(), ()], lambda done, total: None)
    assert dict(os.environ) == before
    for env in seen:
        assert env["MALLOC_MMAP_THRESHOLD_"] == WORKER_ALLOCATOR_ENV["MALLOC_MMAP_THRESHOLD_"]
        assert env["MALLOC_TRIM_THRESHOLD_"] == WORKER_ALLOCATOR_ENV["MALLOC_TRIM_THRESHOLD_"]
        # the worker's `import polars` puts its own options first: the last dirty_decay_ms is the one jemalloc takes
        decay = [o for o in env["_RJEM_MALLOC_CONF"].split(",") if o.startswith("dirty_decay_ms:")]
        assert decay[-1] == "dirty_decay_ms:10000"  # polars' jemalloc keeps its pages between chunks
        assert int(env["POLARS_MAX_THREADS"]) >= 1

    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "65536")
    monkeypatch.setenv("POLARS_MAX_THREADS", "3")
    monkeypatch.setenv("_RJEM_MALLOC_CONF", "narenas:2")
    with pool("local", 2, 2) as run:
        seen = run(_worker_environment, [(), ()], lambda done, total: None)
    for env in seen:
        assert env["MALLOC_MMAP_THRESHOLD_"] == "65536" and env["POLARS_MAX_THREADS"] == "3"
        assert env["_RJEM_MALLOC_CONF"].endswith(",narenas:2") and "10000" not in env["_RJEM_MALLOC_CONF"]
        assert env["MALLOC_TRIM_THRESHOLD_"] == WORKER_ALLOCATOR_ENV["MALLOC_TRIM_THRESHOLD_"]


def _oracle_threads() -> int:
    import polars as pl

    from dmpdata.schemas import access_rule

    empty = {
        name: pl.DataFrame(schema=dict.fromkeys(columns, pl.Int64))
        for name, columns in access_rule.REQUIRED_COLUMNS.items()
    }
    con = access_rule.connect(empty)
    try:
        return int(con.execute("SELECT current_setting('threads')").fetchall()[0][0])
    finally:
        con.close()


def test_duckdb_in_a_worker_keeps_to_its_share_of_the_cores():
    """The access-rule oracle's DuckDB connection in a validation worker uses that worker's share of the cores (as
    polars does there), not every core; outside a pool it keeps DuckDB's default."""
    import duckdb

    from dmpdata.parallel import available_cores, pool, worker_threads

    assert worker_threads() is None
    with duckdb.connect() as con:
        default = int(con.execute("SELECT current_setting('threads')").fetchall()[0][0])
    assert _oracle_threads() == default
    with pool("local", 2, 2) as run:
        seen = run(_oracle_threads, [(), ()], lambda done, total: None)
    assert seen == [max(available_cores() // 2, 1)] * 2
    assert worker_threads() is None  # the variable was for the workers only


def test_ids_unique_across_chunks_are_proven_from_spans_or_counted():
    """A key is unique over the table without counting it when each chunk's keys strictly increase and the chunks'
    ranges do not overlap; anything else (an unsorted chunk, overlapping ranges, nulls) is left to DuckDB's count."""
    from dmpdata.validate import _disjoint, _span

    assert _span(pl.Series([3, 5, 9])) == (3, 9)
    assert _span(pl.Series([3, 5, 5])) is None and _span(pl.Series([5, 3])) is None
    assert _span(pl.Series([1, None, 3])) is None and _span(pl.Series(["a", "b"])) is None
    assert _disjoint([(21, 30), (1, 10), (11, 20)])
    assert not _disjoint([(1, 10), (10, 20)]) and not _disjoint([(1, 10), None]) and not _disjoint([])


def test_a_chunk_whose_increasing_ids_overlap_another_chunk_is_found(chunked, tmp_path):
    path = _broken_copy(chunked, tmp_path)
    start = pl.read_parquet(path / "encounters/part-00000.parquet")["encounter_id"][0]
    # Chunk 2's encounter ids renumbered from chunk 0's first id: increasing within the chunk, duplicates across.
    _rewrite(
        path,
        "encounters/part-00002.parquet",
        lambda f: f.with_columns((pl.int_range(pl.len(), dtype=pl.Int64) + start).alias("encounter_id")),
    )
    report = validate_path(path, workers=2)
    found = {(f.table, f.check): f for f in report.findings}
    assert found[("integrity", "encounters_id_unique")].failing > 0
