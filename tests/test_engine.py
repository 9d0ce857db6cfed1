"""Dataset on disk: manifest, determinism, atomic writing, never clobbering user files."""

from __future__ import annotations

import json

import polars as pl
import pytest

import dmpdata
from dmpdata import engine
from dmpdata.errors import DatasetError


def test_manifest_describes_a_synthetic_dataset(tiny):
    m = tiny.manifest
    assert m["generator"] == "dmpdata" and m["synthetic"] is True
    assert "SYNTHETIC" in m["notice"]
    assert m["ins_oid"] == "1.2.250.1.213.1.4.10"
    assert m["scenario"]["name"] == "tiny" and m["seed"] == 7
    assert set(m["tables"]) == {
        "organizations",
        "professionals",
        "patients",
        "gp_declarations",
        "identity_records",
        "conditions",
        "encounters",
        "documents",
        "observations",
        "access_events",
    }
    for name, entry in m["tables"].items():
        assert entry["rows"] == tiny.table(name).select(pl.len()).collect().item()
        for f in entry["files"]:
            assert len(f["sha256"]) == 64


def _hashes(ds):
    return {f["path"]: f["sha256"] for e in ds.manifest["tables"].values() for f in e["files"]}


def test_same_scenario_and_seed_give_identical_bytes(tiny, tmp_path):
    again = dmpdata.generate("tiny", out=tmp_path / "again", seed=7)
    assert _hashes(again) == _hashes(tiny)
    assert (again.path / "manifest.json").read_bytes() == (tiny.path / "manifest.json").read_bytes()


def test_chunking_does_not_change_the_patients(tmp_path):
    s = dmpdata.load_scenario("tiny").with_overrides(patients=600)
    one = dmpdata.generate(s.with_overrides(chunk_size=600), out=tmp_path / "one")
    three = dmpdata.generate(s.with_overrides(chunk_size=200), out=tmp_path / "three")
    a = one.table("patients").collect()
    b = three.table("patients").collect()
    assert a.height == b.height == 600
    assert a["patient_id"].equals(b["patient_id"])
    assert a["ins_matricule"].n_unique() == b["ins_matricule"].n_unique() == 600


def test_another_seed_gives_other_data(tiny, tmp_path):
    other = dmpdata.generate("tiny", out=tmp_path / "other", seed=8)
    assert _hashes(other) != _hashes(tiny)


def test_refuses_a_folder_holding_user_files(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_text("precious")
    for force in (False, True):
        with pytest.raises(DatasetError, match="not a dmpdata dataset"):
            dmpdata.generate("tiny", out=out, patients=50, force=force)
    assert (out / "thesis.docx").read_text() == "precious"


def test_force_replaces_only_a_previous_dataset(tmp_path):
    out = tmp_path / "ds"
    dmpdata.generate("tiny", out=out, patients=50)
    with pytest.raises(DatasetError, match="--force"):
        dmpdata.generate("tiny", out=out, patients=60)
    ds = dmpdata.generate("tiny", out=out, patients=60, force=True)
    assert ds.row_counts["patients"] == 60
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds"]


def test_a_failure_leaves_nothing_behind(tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(engine, "generate_conditions", boom)
    out = tmp_path / "never"
    with pytest.raises(RuntimeError):
        dmpdata.generate("tiny", out=out, patients=50)
    assert list(tmp_path.iterdir()) == []


def test_open_dataset_refuses_incomplete_folders(tmp_path):
    with pytest.raises(DatasetError, match="no manifest"):
        dmpdata.open_dataset(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"generator": "other"}))
    with pytest.raises(DatasetError, match="not a dmpdata manifest"):
        dmpdata.open_dataset(tmp_path)


def _column_chunks(path):
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata
    return [
        (c.path_in_schema, c.physical_type, c.encodings, c.statistics.to_dict() if c.statistics else None)
        for r in range(meta.num_row_groups)
        for c in (meta.row_group(r).column(i) for i in range(meta.num_columns))
    ]


@pytest.mark.parametrize("table", ["patients", "encounters", "documents", "observations", "access_events"])
def test_parts_read_like_a_plain_write(tiny, tmp_path, table):
    """Code columns are written from Enum columns, yet every reader sees what a plain write of the strings gives:
    same values, dtypes, Arrow schema, metadata, encodings and statistics; DuckDB reads the same types."""
    import duckdb
    import pyarrow.parquet as pq

    from dmpdata.schemas import code_sets

    frame = tiny.table(table).collect()
    assert frame.height and code_sets(table)
    assert all(frame.schema[c] == pl.String for c in code_sets(table))
    ours, plain = tmp_path / "ours.parquet", tmp_path / "plain.parquet"
    engine.write_parquet(table, frame, ours)
    frame.write_parquet(plain, **engine.PARQUET_OPTIONS)
    back = pl.read_parquet(ours)
    assert back.schema == frame.schema
    assert back.equals(frame)
    assert pq.read_table(ours).equals(pq.read_table(plain))
    assert pq.read_metadata(ours).metadata == pq.read_metadata(plain).metadata
    assert _column_chunks(ours) == _column_chunks(plain)
    describe = "DESCRIBE SELECT * FROM read_parquet(?)"
    assert (
        duckdb.execute(describe, [str(ours)]).fetchall() == duckdb.execute(describe, [str(plain)]).fetchall()
    )


def test_a_value_outside_its_code_set_is_not_written(tiny, tmp_path):
    frame = tiny.table("access_events").collect().with_columns(pl.lit("teleport").alias("action"))
    with pytest.raises(pl.exceptions.InvalidOperationError, match="teleport"):
        engine.write_parquet("access_events", frame, tmp_path / "bad.parquet")
    assert not (tmp_path / "bad.parquet").exists()
