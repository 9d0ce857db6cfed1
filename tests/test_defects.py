"""Defect injection (issue #9, part 1): every class of defect injected into a copy of a valid dataset is caught.

Each defect is a small function that damages a copy of the session's `tiny` dataset the way a careless tool
would: it rewrites one Parquet part and refreshes that part's sha256 in manifest.json, so that only the
content checks can catch it (except the cases about the files themselves: checksum, truncation, missing
table or manifest). `validate_path` must then report the dataset invalid with a finding naming the check.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import multiprocessing
import os
import re
import shutil
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from dmpdata.cli import app
from dmpdata.validate import validate_path

PRODUCTION_OID = "1.2.250.1.213.1.4.8"  # INS-NIR production OID: must never appear in synthetic data
ORPHAN = 10**9  # an id no table holds


# ---------------------------------------------------------------------------------------------------- helpers


def _manifest(path: Path) -> dict:
    return json.loads((path / "manifest.json").read_text(encoding="utf-8"))


def _part(path: Path, table: str) -> Path:
    files = _manifest(path)["tables"][table]["files"]
    assert len(files) == 1, f"the tiny dataset holds {table} in one part"
    return path / files[0]["path"]


def _read(path: Path, table: str) -> pl.DataFrame:
    return pl.read_parquet(_part(path, table))


def _rewrite(
    path: Path, table: str, change: Callable[[pl.DataFrame], pl.DataFrame], *, refresh: bool = True
) -> None:
    """Apply `change` to a table's part; with `refresh`, update its sha256 in the manifest (a careless tool)."""
    manifest = _manifest(path)
    entry = manifest["tables"][table]["files"][0]
    part = path / entry["path"]
    before = pl.read_parquet(part)
    after = change(before)
    assert after.height == before.height, (
        "defects keep the row count (row_count_matches_manifest is not the point)"
    )
    assert after.schema != before.schema or not after.equals(before), f"the defect on {table} changed nothing"
    after.write_parquet(part)
    if refresh:
        entry["sha256"] = hashlib.sha256(part.read_bytes()).hexdigest()
        entry["bytes"] = part.stat().st_size
        (path / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def _set(frame: pl.DataFrame, key: str, key_value, **values) -> pl.DataFrame:
    """The frame with the row(s) where `key == key_value` given new column values (literals or expressions)."""
    hit = pl.col(key) == key_value
    assert frame.filter(hit).height >= 1, f"no row with {key} = {key_value}"
    exprs = []
    for column, value in values.items():
        value = value if isinstance(value, pl.Expr) else pl.lit(value, dtype=frame.schema[column])
        exprs.append(
            pl.when(hit).then(value).otherwise(pl.col(column)).cast(frame.schema[column]).alias(column)
        )
    return frame.with_columns(exprs)


def _first(frame: pl.DataFrame, column: str, where: pl.Expr | None = None):
    rows = frame if where is None else frame.filter(where)
    assert rows.height, f"no row matches {where}"
    return rows.sort(column)[column][0]


def _edit(table: str, key: str, where: pl.Expr | None = None, **values) -> Callable[[Path], None]:
    """A defect: set columns of the first row (by `key`) matching `where`."""

    def defect(path: Path) -> None:
        frame = _read(path, table)
        _rewrite(path, table, lambda f: _set(f, key, _first(frame, key, where), **values))

    defect.__name__ = f"{table}: {', '.join(values)} set to a bad value"
    return defect


def _findings(report) -> set[tuple[str, str]]:
    """(table, check) of every finding; a Pandera built-in check like `isin([...])` is named by its function."""
    return {(f.table, f.check.split("(")[0]) for f in report.findings}


# ---------------------------------------------------------------------------------------------------- defects
# patients: INS identity


def wrong_nir_key(path: Path) -> None:
    def change(p: pl.DataFrame) -> pl.DataFrame:
        m = pl.col("ins_matricule")
        wrong = m.str.slice(0, 13) + ((m.str.slice(13, 2).cast(pl.Int64) % 97) + 1).cast(pl.String).str.zfill(
            2
        )
        return _set(
            p, "patient_id", _first(p, "patient_id", pl.col("matricule_kind") == "NIR"), ins_matricule=wrong
        )

    _rewrite(path, "patients", change)


_NIR_IN_FRANCE = (pl.col("matricule_kind") == "NIR") & ~pl.col("birth_place_code").str.contains(
    r"^(99|2A|2B)"
)


def nir_contradicts_sex(path: Path) -> None:
    _rewrite(
        path,
        "patients",
        lambda p: _set(
            p,
            "patient_id",
            _first(p, "patient_id", _NIR_IN_FRANCE),
            sex=pl.when(pl.col("sex") == "M").then(pl.lit("F")).otherwise(pl.lit("M")),
        ),
    )


def nir_contradicts_birth_date(path: Path) -> None:
    _rewrite(
        path,
        "patients",
        lambda p: _set(
            p,
            "patient_id",
            _first(p, "patient_id", _NIR_IN_FRANCE & (pl.col("birth_date") < dt.date(1990, 1, 1))),
            birth_date=pl.col("birth_date").dt.offset_by("-1y"),
        ),
    )


def nir_contradicts_birthplace(path: Path) -> None:
    def change(p: pl.DataFrame) -> pl.DataFrame:
        victim = p.filter(pl.col("patient_id") == _first(p, "patient_id", _NIR_IN_FRANCE)).row(0, named=True)
        other = _first(
            p,
            "birth_place_code",
            _NIR_IN_FRANCE & (pl.col("birth_place_code").str.slice(0, 2) != victim["birth_place_code"][:2]),
        )
        return _set(
            p, "patient_id", victim["patient_id"], birth_place_code=other
        )  # a real commune, the wrong one

    _rewrite(path, "patients", change)


production_oid = _edit("patients", "patient_id", ins_oid=PRODUCTION_OID)
unknown_residence_commune = _edit("patients", "patient_id", residence_commune="00000")


def duplicate_patient_id(path: Path) -> None:
    _rewrite(
        path,
        "patients",
        lambda p: _set(p, "patient_id", p["patient_id"].sort()[1], patient_id=p["patient_id"].min()),
    )


null_sex = _edit("patients", "patient_id", sex=None)


def death_before_birth(path: Path) -> None:
    _rewrite(
        path,
        "patients",
        lambda p: _set(
            p,
            "patient_id",
            _first(p, "patient_id", pl.col("death_date").is_not_null()),
            death_date=pl.col("birth_date") - pl.duration(days=1),
        ),
    )


def gp_is_not_a_physician(path: Path) -> None:
    pros = _read(path, "professionals")
    gps = set(_read(path, "patients")["gp_professional_id"].drop_nulls())
    nurse = _first(
        pros,
        "professional_id",
        ~pl.col("professional_id").is_in(list(gps))
        & (pl.col("kind") != "medecin")
        & (
            pl.col("profession_code")
            != _first(pros.filter(pl.col("professional_id").is_in(list(gps))), "profession_code")
        ),
    )
    _rewrite(
        path,
        "patients",
        lambda p: _set(
            p,
            "patient_id",
            _first(p, "patient_id", pl.col("gp_professional_id").is_not_null()),
            gp_professional_id=nurse,
        ),
    )


# encounters


def duplicate_encounter_id(path: Path) -> None:
    _rewrite(
        path,
        "encounters",
        lambda e: _set(e, "encounter_id", e["encounter_id"].sort()[1], encounter_id=e["encounter_id"].min()),
    )


orphan_follows_encounter = _edit(
    "encounters", "encounter_id", pl.col("follows_encounter_id").is_not_null(), follows_encounter_id=ORPHAN
)

encounter_after_the_period = _edit(
    "encounters", "encounter_id", start_at=dt.datetime(2030, 3, 1, 9), end_at=dt.datetime(2030, 3, 1, 10)
)

unknown_activity = _edit("encounters", "encounter_id", activity="hba1c_typo")

encounter_ends_before_it_starts = _edit(
    "encounters", "encounter_id", end_at=pl.col("start_at") - pl.duration(hours=1)
)


def encounter_before_the_scenario_period(path: Path) -> None:
    """An encounter in 2021-02 while the tiny scenario starts 2021-07-01 (still inside the schemas' 2021-2027 bounds)."""
    assert _manifest(path)["scenario"]["start"] == "2021-07-01"
    born_before = _read(path, "patients").filter(pl.col("birth_date") < dt.date(2000, 1, 1))["patient_id"]
    _edit(
        "encounters",
        "encounter_id",
        pl.col("patient_id").is_in(born_before.implode()),
        start_at=dt.datetime(2021, 2, 1, 9),
        end_at=dt.datetime(2021, 2, 1, 10),
    )(path)


def encounter_after_death(path: Path) -> None:
    dead = _read(path, "patients").filter(
        pl.col("death_date").is_not_null() & (pl.col("death_date") < dt.date(2026, 1, 1))
    )
    enc = _read(path, "encounters").filter(pl.col("patient_id").is_in(dead["patient_id"].implode()))
    victim = enc.sort("encounter_id").row(0, named=True)
    death = dead.filter(pl.col("patient_id") == victim["patient_id"])["death_date"][0]
    after = dt.datetime.combine(death + dt.timedelta(days=30), dt.time(9))
    _rewrite(
        path,
        "encounters",
        lambda e: _set(
            e, "encounter_id", victim["encounter_id"], start_at=after, end_at=after + dt.timedelta(hours=1)
        ),
    )


# documents


def orphan_document_encounter(path: Path) -> None:
    """A document (not a lab report holding observations) pointing to an encounter that does not exist."""
    with_observations = _read(path, "observations")["document_id"].drop_nulls().unique()
    _edit(
        "documents",
        "document_id",
        pl.col("encounter_id").is_not_null() & ~pl.col("document_id").is_in(with_observations.implode()),
        encounter_id=ORPHAN,
    )(path)


orphan_document_patient = _edit("documents", "document_id", patient_id=ORPHAN)


def document_type_class_mismatch(path: Path) -> None:
    def change(d: pl.DataFrame) -> pl.DataFrame:
        row = d.sort("document_id").row(0, named=True)
        other_class = _first(
            d, "class_code", pl.col("class_code") != row["class_code"]
        )  # a valid class, the wrong one
        return _set(d, "document_id", row["document_id"], class_code=other_class)

    _rewrite(path, "documents", change)


unknown_document_type = _edit("documents", "document_id", type_code="99999-9")

submitted_before_created = _edit(
    "documents", "document_id", created_at=pl.col("submitted_at") + pl.duration(days=2)
)

null_document_created_at = _edit("documents", "document_id", created_at=None)


def duplicate_document_unique_id(path: Path) -> None:
    _rewrite(
        path,
        "documents",
        lambda d: _set(
            d, "document_id", d["document_id"].sort()[1], unique_id=d.sort("document_id")["unique_id"][0]
        ),
    )


def document_fed_after_the_dmp_closed(path: Path) -> None:
    closed = _read(path, "patients").filter(
        pl.col("mes_closed_at").is_not_null() & (pl.col("mes_closed_at") < dt.date(2026, 1, 1))
    )
    docs = _read(path, "documents").filter(pl.col("patient_id").is_in(closed["patient_id"].implode()))
    victim = docs.sort("document_id").row(0, named=True)
    closed_at = closed.filter(pl.col("patient_id") == victim["patient_id"])["mes_closed_at"][0]
    later = dt.datetime.combine(closed_at + dt.timedelta(days=10), dt.time(12))
    _rewrite(
        path,
        "documents",
        lambda d: _set(
            d, "document_id", victim["document_id"], created_at=later, submitted_at=later, status_at=later
        ),
    )


# identity records


def document_fed_without_qualified_identity(path: Path) -> None:
    """The author's structure's record of the patient loses its INS (a consistent VALI record): the document it fed
    went without a qualified identity."""
    doc = (
        _read(path, "documents")
        .filter(pl.col("organization_id").is_not_null())
        .sort("document_id")
        .row(0, named=True)
    )
    hit = (pl.col("patient_id") == doc["patient_id"]) & (pl.col("organization_id") == doc["organization_id"])
    _rewrite(
        path,
        "identity_records",
        lambda r: r.with_columns(
            pl.when(hit).then(None).otherwise(pl.col(c)).alias(c)
            for c in ("ins_retrieved_at", "qualified_at")
        ).with_columns(pl.when(hit).then(pl.lit("VALI")).otherwise(pl.col("status")).alias("status")),
    )


identity_status_contradicts_steps = _edit(
    "identity_records", "created_at", pl.col("status") == "QUAL", status="PROV"
)


# observations


def observation_on_the_wrong_patient(path: Path) -> None:
    def change(o: pl.DataFrame) -> pl.DataFrame:
        row = o.sort("observation_id").row(0, named=True)
        other = _first(
            o, "patient_id", pl.col("patient_id") != row["patient_id"]
        )  # an existing patient, the wrong one
        return _set(o, "observation_id", row["observation_id"], patient_id=other)

    _rewrite(path, "observations", change)


orphan_observation_encounter = _edit(
    "observations", "observation_id", pl.col("document_id").is_null(), encounter_id=ORPHAN
)


def observation_unit_mismatch(path: Path) -> None:
    def change(o: pl.DataFrame) -> pl.DataFrame:
        row = o.sort("observation_id").row(0, named=True)
        return _set(
            o, "observation_id", row["observation_id"], unit=_first(o, "unit", pl.col("unit") != row["unit"])
        )

    _rewrite(path, "observations", change)


# access events

_CONSULT = (pl.col("action") == "consult") & (pl.col("actor_kind") == "professional")

granted_despite_the_matrix = _edit(
    "access_events", "event_id", _CONSULT & (pl.col("outcome") == "denied_matrix"), outcome="granted"
)


def granted_despite_the_mask(path: Path) -> None:
    """A consult recorded granted one second after the patient masked the document from that reader.

    (Moves the first mask event onto the first granted consult by a professional who is neither the document's
    author nor the médecin traitant: the data need not hold a masked denial of its own.)"""
    events = _read(path, "access_events")
    documents = _read(path, "documents").select("document_id", "author_professional_id")
    patients = _read(path, "patients").select("patient_id", "gp_professional_id")
    reader = pl.col("actor_professional_id")
    victim = (
        events.filter(_CONSULT & (pl.col("outcome") == "granted") & pl.col("document_id").is_not_null())
        .join(documents, on="document_id")
        .join(patients, on="patient_id")
        .filter(
            (reader != pl.col("author_professional_id").fill_null(-1))
            & (reader != pl.col("gp_professional_id").fill_null(-1))
        )
        .sort("event_id")
        .row(0, named=True)
    )
    mask = _first(events, "event_id", pl.col("action") == "mask")
    _rewrite(
        path,
        "access_events",
        lambda e: _set(
            e,
            "event_id",
            mask,
            patient_id=victim["patient_id"],
            document_id=victim["document_id"],
            occurred_at=victim["occurred_at"] - dt.timedelta(seconds=1),
        ),
    )


def consult_before_submission(path: Path) -> None:
    docs = _read(path, "documents").select("document_id", "submitted_at")
    events = (
        _read(path, "access_events")
        .filter(_CONSULT & (pl.col("outcome") == "granted") & pl.col("document_id").is_not_null())
        .join(docs, on="document_id")
    )
    victim = events.sort("event_id").row(0, named=True)
    _rewrite(
        path,
        "access_events",
        lambda e: _set(
            e, "event_id", victim["event_id"], occurred_at=victim["submitted_at"] - dt.timedelta(hours=1)
        ),
    )


masked_without_a_mask_event = _edit("documents", "document_id", ~pl.col("masked_ps"), masked_ps=True)

orphan_access_event_document = _edit(
    "access_events", "event_id", pl.col("document_id").is_not_null() & ~_CONSULT, document_id=ORPHAN
)

unknown_channel = _edit("access_events", "event_id", channel="fax")


# type mismatch: a column written with another dtype


def mandatory_stored_as_integer(path: Path) -> None:
    _rewrite(path, "documents", lambda d: d.with_columns(pl.col("mandatory").cast(pl.Int8)))


def encounter_id_stored_as_text(path: Path) -> None:
    _rewrite(path, "encounters", lambda e: e.with_columns(pl.col("encounter_id").cast(pl.String)))


# the files themselves (no checksum refresh)


def checksum_mismatch(path: Path) -> None:
    _rewrite(
        path,
        "organizations",
        lambda o: _set(o, "organization_id", o["organization_id"].min(), name=pl.col("name") + " (edited)"),
        refresh=False,
    )


def truncated_parquet(path: Path) -> None:
    part = _part(path, "encounters")
    data = part.read_bytes()
    part.write_bytes(data[: len(data) // 2])


def missing_table_folder(path: Path) -> None:
    shutil.rmtree(path / "conditions")


def table_missing_from_the_manifest(path: Path) -> None:
    manifest = _manifest(path)
    del manifest["tables"]["conditions"]
    (path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    shutil.rmtree(path / "conditions")


def missing_manifest(path: Path) -> None:
    (path / "manifest.json").unlink()


def corrupt_manifest(path: Path) -> None:
    (path / "manifest.json").write_text('{"generator": "dmpdata", "tables": {', encoding="utf-8")


def manifest_not_marked_synthetic(path: Path) -> None:
    manifest = _manifest(path)
    manifest["synthetic"] = False
    (path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


# (defect, the (table, check) a finding must name)
DEFECTS = [
    pytest.param(wrong_nir_key, ("patients", "nir_key"), id="nir-wrong-key"),
    pytest.param(nir_contradicts_sex, ("patients", "nir_matches_sex_birth_date_birthplace"), id="nir-vs-sex"),
    pytest.param(
        nir_contradicts_birth_date,
        ("patients", "nir_matches_sex_birth_date_birthplace"),
        id="nir-vs-birth-date",
    ),
    pytest.param(
        nir_contradicts_birthplace,
        ("patients", "nir_matches_sex_birth_date_birthplace"),
        id="nir-vs-birthplace",
    ),
    pytest.param(production_oid, ("patients", "isin"), id="production-oid"),
    pytest.param(unknown_residence_commune, ("patients", "isin"), id="unknown-commune"),
    pytest.param(duplicate_patient_id, ("integrity", "patients_id_unique"), id="duplicate-patient-id"),
    pytest.param(null_sex, ("patients", "not_nullable"), id="null-required-string"),
    pytest.param(death_before_birth, ("patients", "death_after_birth"), id="death-before-birth"),
    pytest.param(
        gp_is_not_a_physician, ("integrity", "medecin_traitant_is_physician"), id="gp-not-a-physician"
    ),
    pytest.param(duplicate_encounter_id, ("integrity", "encounters_id_unique"), id="duplicate-encounter-id"),
    pytest.param(
        orphan_follows_encounter,
        ("integrity", "encounter_follows_an_existing_encounter"),
        id="orphan-follows-encounter",
    ),
    pytest.param(encounter_after_the_period, ("encounters", "in_range"), id="encounter-outside-2021-2027"),
    pytest.param(
        encounter_before_the_scenario_period,
        ("integrity", "encounter_within_scenario_period"),
        id="encounter-before-scenario-start",
    ),
    pytest.param(
        encounter_ends_before_it_starts,
        ("encounters", "end_not_before_start"),
        id="encounter-end-before-start",
    ),
    pytest.param(unknown_activity, ("encounters", "isin"), id="unknown-activity"),
    pytest.param(encounter_after_death, ("integrity", "encounter_within_life"), id="encounter-after-death"),
    pytest.param(
        orphan_document_encounter, ("integrity", "document_encounter_exists"), id="orphan-document-encounter"
    ),
    pytest.param(
        orphan_document_patient, ("integrity", "document_patient_exists"), id="orphan-document-patient"
    ),
    pytest.param(
        document_type_class_mismatch, ("integrity", "document_class_per_ass_x16"), id="type-class-mismatch"
    ),
    pytest.param(unknown_document_type, ("documents", "isin"), id="unknown-type-code"),
    pytest.param(
        submitted_before_created, ("documents", "submitted_not_before_created"), id="submitted-before-created"
    ),
    pytest.param(null_document_created_at, ("documents", "not_nullable"), id="null-required-datetime"),
    pytest.param(
        duplicate_document_unique_id, ("integrity", "document_unique_id_unique"), id="duplicate-unique-id"
    ),
    pytest.param(
        document_fed_after_the_dmp_closed,
        ("integrity", "document_fed_while_dmp_open"),
        id="fed-after-dmp-closed",
    ),
    pytest.param(
        document_fed_without_qualified_identity,
        ("integrity", "document_fed_with_qualified_identity"),
        id="fed-without-qualified-identity",
    ),
    pytest.param(
        identity_status_contradicts_steps,
        ("identity_records", "status_matches_identity_steps"),
        id="identity-status-vs-steps",
    ),
    pytest.param(
        observation_on_the_wrong_patient,
        ("integrity", "observation_encounter_of_the_patient"),
        id="observation-wrong-patient",
    ),
    pytest.param(
        orphan_observation_encounter,
        ("integrity", "observation_encounter_exists"),
        id="orphan-observation-encounter",
    ),
    pytest.param(
        observation_unit_mismatch,
        ("observations", "unit_is_the_loinc_codes_unit"),
        id="observation-wrong-unit",
    ),
    pytest.param(
        observation_unit_mismatch,
        ("observations", "unit_agrees_with_loinc_property"),
        id="observation-unit-not-the-loinc-property",
    ),
    pytest.param(
        granted_despite_the_matrix,
        ("integrity", "consult_outcomes_follow_the_rule"),
        id="granted-despite-matrix",
    ),
    pytest.param(
        granted_despite_the_mask, ("integrity", "consult_outcomes_follow_the_rule"), id="granted-despite-mask"
    ),
    pytest.param(
        consult_before_submission,
        ("integrity", "consultations_target_available_documents"),
        id="consult-before-submission",
    ),
    pytest.param(
        masked_without_a_mask_event, ("integrity", "masked_ps_matches_mask_events"), id="masked-without-event"
    ),
    pytest.param(
        orphan_access_event_document,
        ("integrity", "access_event_document_exists"),
        id="orphan-event-document",
    ),
    pytest.param(unknown_channel, ("access_events", "isin"), id="unknown-channel"),
    pytest.param(mandatory_stored_as_integer, ("documents", "dtype"), id="column-type-mismatch"),
    pytest.param(encounter_id_stored_as_text, ("encounters", "dtype"), id="key-column-type-mismatch"),
    pytest.param(checksum_mismatch, ("organizations", "checksums_match_manifest"), id="checksum-mismatch"),
    pytest.param(truncated_parquet, ("encounters", "parquet_readable"), id="truncated-parquet"),
    pytest.param(missing_table_folder, ("conditions", "checksums_match_manifest"), id="missing-table-folder"),
    pytest.param(
        table_missing_from_the_manifest, ("conditions", "table_present"), id="table-missing-from-manifest"
    ),
    pytest.param(missing_manifest, ("dataset", "manifest_present"), id="missing-manifest"),
    pytest.param(corrupt_manifest, ("dataset", "manifest_readable"), id="corrupt-manifest"),
    pytest.param(
        manifest_not_marked_synthetic, ("dataset", "manifest_well_formed"), id="manifest-not-synthetic"
    ),
]


def _damaged_copy(tiny, path: Path, defect) -> Path:
    shutil.copytree(tiny.path, path)
    defect(path)
    return path


@pytest.fixture(scope="module")
def damaged(tiny, tmp_path_factory):
    """defect id -> (damaged copy, its ValidationReport or the exception that damaging/validating raised).

    The copies are damaged here, one by one; the ~40 validations (pure CPU, ~1 s each) then run in a pool of
    fresh processes, one per core, so that this module stays fast. Each test below then checks one defect.
    """
    root = tmp_path_factory.mktemp("defects")
    paths: dict[str, Path] = {}
    outcomes: dict[str, object] = {}
    for param in DEFECTS:
        try:
            paths[param.id] = _damaged_copy(tiny, root / param.id, param.values[0])
        except Exception as err:
            outcomes[param.id] = err
    spawn = multiprocessing.get_context("spawn")  # never fork a process whose polars thread pool is running
    with ProcessPoolExecutor(max_workers=max(os.cpu_count() or 1, 1), mp_context=spawn) as pool:
        futures = {name: pool.submit(validate_path, path) for name, path in paths.items()}
        for name, future in futures.items():
            try:
                outcomes[name] = future.result()
            except Exception as err:
                outcomes[name] = err
    return {name: (paths.get(name), outcomes[name]) for name in outcomes}


@pytest.mark.parametrize(("defect", "expected"), DEFECTS)
def test_validate_catches_the_defect_and_names_it(damaged, request, defect, expected):
    _, report = damaged[request.node.callspec.id]
    if isinstance(report, Exception):
        raise report
    assert report.ok is False, f"{defect.__name__} went unnoticed"
    found = _findings(report)
    assert expected in found, f"{defect.__name__}: expected a finding {expected}, got {sorted(found)}"
    finding = next(f for f in report.findings if (f.table, f.check.split("(")[0]) == expected)
    assert finding.failing >= 1 and finding.examples, finding


def test_a_check_listing_thousands_of_codes_is_named_in_a_few_words(damaged):
    """Pandera names an `isin` check by its whole list: 35,000 commune codes made a 315 KB check name, printed in
    full by `dmpdata validate` and `load`. The report names it by its first values and their count."""
    _, report = damaged["unknown-commune"]
    finding = next(f for f in report.findings if f.column == "residence_commune")
    assert re.fullmatch(r"isin\(\d{2},\d{3} values: '\d{5}', '\d{5}', '\d{5}', …\)", finding.check), (
        finding.check
    )
    assert finding.examples == ("00000",)
    short = next(f for f in damaged["production-oid"][1].findings if f.column == "ins_oid")
    assert short.check == "isin(['1.2.250.1.213.1.4.10'])"  # a short list stays as Pandera names it


def test_the_untouched_fixture_is_valid(tiny):
    """The baseline: without a defect, the same data validates (so each finding above is the defect's doing)."""
    assert validate_path(tiny.path).ok


def test_every_defect_has_its_own_id_and_there_are_enough():
    ids = [param.id for param in DEFECTS]
    assert len(ids) == len(set(ids))
    caught = [param for param in DEFECTS if not param.marks]
    assert len(caught) >= 18


@pytest.mark.parametrize(
    ("name", "check"),
    [
        ("granted-despite-matrix", "consult_outcomes_follow_the_rule"),
        ("truncated-parquet", "parquet_readable"),
        ("nir-vs-sex", "nir_matches_sex_birth_date_birthplace"),
    ],
)
def test_the_cli_exits_1_and_prints_the_check(damaged, name, check):
    path, _ = damaged[name]
    # wide enough that rich does not fold the check name across lines
    result = CliRunner().invoke(app, ["validate", str(path)], env={"COLUMNS": "1000"})
    assert result.exit_code == 1, result.output
    assert "INVALID" in result.output
    assert check in result.output, result.output
