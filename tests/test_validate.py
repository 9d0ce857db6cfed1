"""`validate`: a clean dataset passes; each injected defect fails and is named."""

from __future__ import annotations

import json
import shutil

import polars as pl
import pytest

from dmpdata.validate import validate_path


def _copy(ds, tmp_path):
    target = tmp_path / "copy"
    shutil.copytree(ds.path, target)
    return target


def _rewrite(path, table, change):
    """Apply `change` to a table and refresh the manifest checksum, as a careless tool would."""
    import hashlib

    manifest = json.loads((path / "manifest.json").read_text())
    entry = manifest["tables"][table]["files"][0]
    part = path / entry["path"]
    frame = change(pl.read_parquet(part))
    frame.write_parquet(part)
    entry["sha256"] = hashlib.sha256(part.read_bytes()).hexdigest()
    (path / "manifest.json").write_text(json.dumps(manifest))


def _failed(report) -> set[tuple[str, str]]:
    return {(f.table, f.check) for f in report.findings}


def test_a_generated_dataset_is_valid(tiny):
    report = validate_path(tiny.path)
    assert report.ok, report.to_frame()
    assert report.checks_run > 50


def test_a_wrong_nir_key_is_caught(tiny, tmp_path):
    path = _copy(tiny, tmp_path)

    def break_key(p):
        m = p["ins_matricule"]
        wrong = m.str.slice(0, 13) + ((m.str.slice(13, 2).cast(pl.Int64) % 97) + 1).cast(pl.String).str.zfill(
            2
        )
        return p.with_columns(
            pl.when(pl.col("patient_id") == 1).then(wrong).otherwise(m).alias("ins_matricule")
        )

    _rewrite(path, "patients", break_key)
    report = validate_path(path)
    assert ("patients", "nir_key") in _failed(report)
    finding = next(f for f in report.findings if f.check == "nir_key")
    assert finding.failing == 1


def test_a_missing_medecin_traitant_is_caught(tiny, tmp_path):
    path = _copy(tiny, tmp_path)
    _rewrite(
        path,
        "patients",
        lambda p: p.with_columns(
            pl.when(pl.col("patient_id") <= 3)
            .then(pl.lit(10**9))
            .otherwise(pl.col("gp_professional_id"))
            .alias("gp_professional_id")
        ),
    )
    report = validate_path(path)
    assert ("integrity", "medecin_traitant_exists") in _failed(report)
    assert next(f for f in report.findings if f.check == "medecin_traitant_exists").failing == 3


def test_overlapping_or_stale_medecin_traitant_declarations_are_caught(tiny, tmp_path):
    """Declarations of one patient do not overlap, end at death, and patients.gp_professional_id is the last one."""
    path = _copy(tiny, tmp_path)
    declarations = pl.read_parquet(path / "gp_declarations" / "part-00000.parquet")
    first = declarations.filter(pl.col("declared_until").is_null() & (pl.col("end_reason").is_null()))[
        "patient_id"
    ][0]

    def overlap(d):  # the patient's declaration again, from the next day: two médecins traitants at once
        extra = d.filter(pl.col("patient_id") == first).with_columns(
            pl.col("declared_from") + pl.duration(days=1)
        )
        return pl.concat([d, extra]).sort("patient_id", "declared_from")

    _rewrite(path, "gp_declarations", overlap)
    _rewrite(
        path,
        "patients",
        lambda p: p.with_columns(
            pl.when(pl.col("patient_id") == first)
            .then(None)
            .otherwise(pl.col("gp_professional_id"))
            .alias("gp_professional_id")
        ),
    )
    report = validate_path(path)
    failed = _failed(report)
    assert ("integrity", "gp_declarations_do_not_overlap") in failed
    assert ("integrity", "medecin_traitant_is_the_current_declaration") in failed
    assert next(f for f in report.findings if f.check == "gp_declarations_do_not_overlap").failing == 1


def test_a_dmp_opened_after_creations_stopped_is_caught(tiny, tmp_path):
    """DMP creations stopped on 1 July 2021: a dmp_opened_at after that is no DMP of before Mon espace santé."""
    import datetime as dt

    path = _copy(tiny, tmp_path)
    _rewrite(
        path,
        "patients",
        lambda p: p.with_columns(
            pl.when(pl.col("patient_id") == 1)
            .then(pl.lit(dt.date(2021, 8, 1)))
            .otherwise(pl.col("dmp_opened_at"))
            .alias("dmp_opened_at")
        ),
    )
    report = validate_path(path)
    assert ("patients", "prior_dmp_before_mon_espace_sante") in _failed(report)


def test_a_changed_file_fails_its_checksum(tiny, tmp_path):
    path = _copy(tiny, tmp_path)
    part = next((path / "organizations").glob("*.parquet"))
    pl.read_parquet(part).head(5).write_parquet(part)
    report = validate_path(path)
    assert ("organizations", "checksums_match_manifest") in _failed(report)
    assert ("organizations", "row_count_matches_manifest") in _failed(report)


def test_the_production_oid_is_refused(tiny, tmp_path):
    path = _copy(tiny, tmp_path)
    _rewrite(path, "patients", lambda p: p.with_columns(pl.lit("1.2.250.1.213.1.4.8").alias("ins_oid")))
    assert ("patients", "isin") in {(t, c.split("(")[0]) for t, c in _failed(validate_path(path))}


def test_a_missing_table_and_a_missing_manifest(tiny, tmp_path):
    path = _copy(tiny, tmp_path)
    shutil.rmtree(path / "conditions")
    report = validate_path(path)
    assert ("conditions", "checksums_match_manifest") in _failed(report)
    (path / "manifest.json").unlink()
    assert ("dataset", "manifest_present") in _failed(validate_path(path))


@pytest.mark.parametrize("column", ["birth_date", "sex"])
def test_a_nir_contradicting_the_person_is_caught(tiny, tmp_path, column):
    path = _copy(tiny, tmp_path)
    if column == "sex":

        def change(p):
            return p.with_columns(
                pl.when(pl.col("sex") == "M").then(pl.lit("F")).otherwise(pl.lit("M")).alias("sex")
            )
    else:
        change = lambda p: p.with_columns(pl.col("birth_date").dt.offset_by("1y"))  # noqa: E731
    _rewrite(path, "patients", change)
    assert ("patients", "nir_matches_sex_birth_date_birthplace") in _failed(validate_path(path))


def test_a_duplicate_key_is_reported_once_and_the_models_still_enforce_keys(tiny, tmp_path):
    """validate counts key uniqueness over every part in one place (integrity *_id_unique); the Pandera models used on
    their own keep `unique=True` on the keys."""
    import pandera.errors

    from dmpdata.schemas import MODELS

    path = tmp_path / "ds"
    shutil.copytree(tiny.path, path)
    manifest = json.loads((path / "manifest.json").read_text())
    entry = manifest["tables"]["observations"]["files"][0]
    part = path / entry["path"]
    frame = pl.read_parquet(part)
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 1)
        .then(pl.col("observation_id").first())
        .otherwise("observation_id")
        .alias("observation_id")
    )
    frame.write_parquet(part)
    import hashlib

    entry["sha256"] = hashlib.sha256(part.read_bytes()).hexdigest()
    (path / "manifest.json").write_text(json.dumps(manifest))
    report = validate_path(path)
    failed = [(f.table, f.check) for f in report.findings if f.failing]
    assert failed == [("integrity", "observations_id_unique")]
    with pytest.raises(pandera.errors.SchemaErrors, match="observation_id"):
        MODELS["observations"].validate(frame, lazy=True)


def test_a_clean_verdict_is_reused_by_load_while_the_files_and_the_code_are_unchanged(
    tiny, tmp_path, monkeypatch
):
    """`validate` then `load` validates once: load finds the record of the clean validation (same manifest, same
    validation code) and only checks the files' sha256. A changed file, or other validation code, means validating
    again."""
    import dmpdata
    from dmpdata import validation_records
    from dmpdata.errors import DatasetError
    from dmpdata.validate import validated_before
    from dmpdata.warehouse import build

    path = _copy(tiny, tmp_path)  # same files, same manifest: a verdict on tiny would hold for it too
    report = validate_path(path)
    assert report.ok
    record = validated_before(path)
    assert (
        record is not None
        and record["checks"] == report.checks_run
        and record["rows"] == sum(report.rows.values())
    )

    calls = []  # the datasets the warehouse build validates
    real = build.validate_path
    monkeypatch.setattr(build, "validate_path", lambda p, **kw: calls.append(p) or real(p, **kw))
    con = dmpdata.open_dataset(path).duckdb(tmp_path / "a.duckdb")
    assert con.execute("SELECT validated FROM dmpdata_meta").fetchone() == (True,)
    con.close()
    assert calls == []  # the clean verdict was reused

    # Other validation code: the record no longer applies.
    monkeypatch.setattr(validation_records, "_code_digest", lambda: "other validation code")
    assert validated_before(path) is None
    monkeypatch.undo()
    assert validated_before(path) is not None

    # A file changed behind the manifest's back: loading validates again, and refuses it.
    part = path / json.loads((path / "manifest.json").read_text())["tables"]["patients"]["files"][0]["path"]
    pl.read_parquet(part).with_columns(pl.col("birth_name").str.to_lowercase()).write_parquet(part)
    assert validated_before(path) is None
    monkeypatch.setattr(build, "validate_path", lambda p, **kw: calls.append(p) or real(p, **kw))
    with pytest.raises(DatasetError, match="checksums_match_manifest"):
        dmpdata.open_dataset(path).duckdb(tmp_path / "b.duckdb")
    assert calls == [path]
    assert not (tmp_path / "b.duckdb").exists()


def test_no_record_of_an_invalid_dataset(tiny, tmp_path):
    from dmpdata.validate import validated_before

    path = _copy(tiny, tmp_path)
    _rewrite(path, "patients", lambda f: f.with_columns(pl.lit("X").alias("sex")))
    assert not validate_path(path).ok
    assert validated_before(path) is None


@pytest.mark.parametrize("dense", [True, False])
def test_row_pairs_by_arithmetic_equal_the_join(dense):
    """integrity._pairs finds a target row by arithmetic when the target's keys are consecutive (ids within a
    chunk): the same pairs as the join, dangling and null references included."""
    import numpy as np

    from dmpdata.keys import dense_start
    from dmpdata.schemas import integrity

    rng = np.random.default_rng(3)
    keys = np.arange(1_000, 1_500) if dense else np.sort(rng.choice(5_000, 500, replace=False))
    target = pl.DataFrame({"id": keys, "x": rng.integers(0, 9, keys.size)})
    via = pl.Series("ref", rng.integers(900, 1_600 if dense else 5_100, 2_000)).set(
        pl.Series(rng.random(2_000) < 0.1), None
    )
    frames = {"t": target, "s": pl.DataFrame({"ref": via})}
    assert (dense_start(target["id"]) is not None) == dense
    got = integrity._pairs({**frames, "_memo": {}}, "s", "ref", "t", "id")
    expected = (
        frames["s"]
        .with_row_index("_l")
        .filter(pl.col("ref").is_not_null())
        .join(
            target.select(pl.col("id").alias("ref")).with_row_index("_t"),
            on="ref",
            how="left",
            maintain_order="left",
        )
        .select("_l", "_t")
    )
    assert got.equals(expected)
    assert got["_t"].null_count() > 0 and got["_t"].null_count() < got.height


def test_a_web_portal_trace_with_a_structure_certificate_is_caught(tiny, tiny_frames, tmp_path):
    """The web portal authenticates a person (CPS/e-CPS): DIRECTE only (channels.csv `auth_modes`)."""
    assert (
        tiny_frames["access_events"]
        .filter((pl.col("channel") == "web_ps") & (pl.col("auth_mode") == "INDIRECTE"))
        .is_empty()
    )
    path = _copy(tiny, tmp_path)

    def web_indirect(e):
        web = (pl.col("channel") == "web_ps") & (pl.col("actor_kind") == "professional")
        return e.with_columns(
            pl.when(web).then(pl.lit("INDIRECTE")).otherwise("auth_mode").alias("auth_mode")
        )

    _rewrite(path, "access_events", web_indirect)
    assert ("access_events", "auth_mode_allowed_on_channel") in _failed(validate_path(path))
