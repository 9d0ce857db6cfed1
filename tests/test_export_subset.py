"""Subsets (e.g. "100 diabetics living in département 59"): the chosen patients, everything they reference,
nothing dangling, nothing extra — checked on the CSV output and on the FHIR references."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from test_export_fhir import dangling, read_resources
from typer.testing import CliRunner

import dmpdata
from dmpdata.cli import app
from dmpdata.export import Subset, SubsetError, export

runner = CliRunner()

# (table, column) -> (table, key) it points at, within one export
FOREIGN_KEYS = {
    ("professionals", "organization_id"): ("organizations", "organization_id"),
    ("patients", "gp_professional_id"): ("professionals", "professional_id"),
    ("conditions", "patient_id"): ("patients", "patient_id"),
    ("encounters", "patient_id"): ("patients", "patient_id"),
    ("encounters", "professional_id"): ("professionals", "professional_id"),
    ("encounters", "organization_id"): ("organizations", "organization_id"),
    ("encounters", "follows_encounter_id"): ("encounters", "encounter_id"),
    ("documents", "patient_id"): ("patients", "patient_id"),
    ("documents", "encounter_id"): ("encounters", "encounter_id"),
    ("documents", "author_professional_id"): ("professionals", "professional_id"),
    ("documents", "organization_id"): ("organizations", "organization_id"),
    ("documents", "replaces_document_id"): ("documents", "document_id"),
    ("observations", "patient_id"): ("patients", "patient_id"),
    ("observations", "encounter_id"): ("encounters", "encounter_id"),
    ("observations", "document_id"): ("documents", "document_id"),
    ("access_events", "patient_id"): ("patients", "patient_id"),
    ("access_events", "document_id"): ("documents", "document_id"),
    ("access_events", "actor_professional_id"): ("professionals", "professional_id"),
    ("access_events", "target_professional_id"): ("professionals", "professional_id"),
}
PATIENT_TABLES = ("patients", "conditions", "encounters", "documents", "observations", "access_events")


def read_csv_export(root: Path, schemas: dict[str, pl.Schema]) -> dict[str, pl.DataFrame]:
    return {table: pl.read_csv(root / f"{table}.csv", schema=schema) for table, schema in schemas.items()}


def dangling_keys(tables: dict[str, pl.DataFrame]) -> dict[str, int]:
    """Number of non-null foreign-key values pointing at no row of the export, per (table.column)."""
    out = {}
    for (table, column), (target, key) in FOREIGN_KEYS.items():
        values = tables[table][column].drop_nulls()
        missing = (~values.is_in(tables[target][key].implode())).sum()
        if missing:
            out[f"{table}.{column}"] = missing
    return out


def referenced(tables: dict[str, pl.DataFrame], target: str) -> set[int]:
    return {
        v
        for (table, column), (t, _) in FOREIGN_KEYS.items()
        if t == target and table != target
        for v in tables[table][column].drop_nulls().to_list()
    }


@pytest.fixture(scope="module")
def diabetics(tiny_frames) -> tuple[str, list[int]]:
    """The department with the most type 2 diabetics in `tiny`, and those patients' ids (sorted)."""
    e11 = tiny_frames["conditions"].filter(pl.col("condition_code") == "E11").select("patient_id")
    frame = (
        tiny_frames["patients"]
        .join(e11, on="patient_id")
        .group_by("residence_department")
        .agg(pl.col("patient_id").sort())
        .sort(pl.col("patient_id").list.len(), "residence_department", descending=[True, False])
    )
    department, ids = frame.row(0)
    assert len(ids) >= 3, "the tiny dataset should have a few diabetics in its largest department"
    return department, ids


@pytest.fixture(scope="module")
def subset_csv(tiny, diabetics, tmp_path_factory) -> Path:
    department, ids = diabetics
    out = tmp_path_factory.mktemp("subset") / "csv"
    result = runner.invoke(
        app,
        [
            "export",
            str(tiny.path),
            "--format",
            "csv",
            "--department",
            department,
            "--condition",
            "E11",
            "--patients",
            str(len(ids) - 1),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    return out


def test_subset_keeps_the_lowest_matching_patients(subset_csv, tiny_frames, diabetics):
    department, ids = diabetics
    tables = read_csv_export(subset_csv, {t: f.schema for t, f in tiny_frames.items()})
    assert tables["patients"]["patient_id"].to_list() == ids[:-1]
    assert set(tables["patients"]["residence_department"]) == {department}
    with_e11 = tables["conditions"].filter(pl.col("condition_code") == "E11")["patient_id"]
    assert set(with_e11) == set(ids[:-1])
    meta = json.loads((subset_csv / "export.json").read_text())
    assert meta["subset"]["departments"] == [department] and meta["subset"]["conditions"] == ["E11"]
    assert (
        meta["subset"]["max_patients"] == len(ids) - 1
        and meta["subset"]["selected"]["patients"] == len(ids) - 1
    )


def test_subset_holds_every_row_of_its_patients_and_everything_they_reference(
    subset_csv, tiny_frames, diabetics
):
    _, ids = diabetics
    tables = read_csv_export(subset_csv, {t: f.schema for t, f in tiny_frames.items()})
    for table in PATIENT_TABLES:
        expected = tiny_frames[table].filter(pl.col("patient_id").is_in(ids[:-1]))
        assert tables[table].equals(expected), table
    assert tables["documents"]["replaces_document_id"].is_not_null().any(), "no versioned document to check"
    assert dangling_keys(tables) == {}


def test_subset_holds_nothing_unreferenced(subset_csv, tiny_frames):
    tables = read_csv_export(subset_csv, {t: f.schema for t, f in tiny_frames.items()})
    assert set(tables["professionals"]["professional_id"]) == referenced(tables, "professionals")
    assert set(tables["organizations"]["organization_id"]) == referenced(tables, "organizations")
    for table in ("professionals", "organizations"):
        key = f"{table[:-1]}_id"
        expected = tiny_frames[table].filter(pl.col(key).is_in(tables[table][key].implode()))
        assert tables[table].equals(expected), table


def test_fhir_subset_references_resolve_and_match_the_csv_subset(
    tiny, tiny_frames, diabetics, subset_csv, tmp_path
):
    department, ids = diabetics
    out = export(
        tiny,
        tmp_path / "fhir",
        format="fhir",
        subset=Subset(departments=(department,), conditions=("E11",), patients=len(ids) - 1),
    ).path
    resources = read_resources(out)
    assert not dangling(resources), dangling(resources)[:5]
    tables = read_csv_export(subset_csv, {t: f.schema for t, f in tiny_frames.items()})
    assert {r["id"] for r in resources["Patient"]} == {str(i) for i in ids[:-1]}
    assert {r["id"] for r in resources["Practitioner"]} == {
        str(i) for i in tables["professionals"]["professional_id"]
    }
    sites = {r["id"] for r in resources["Organization"] if r["id"].isdigit()}
    assert sites == {str(i) for i in tables["organizations"]["organization_id"]}
    assert len(resources["DocumentReference"]) == tables["documents"].height
    assert len(resources["AuditEvent"]) == tables["access_events"].height


def test_subset_across_parts_of_a_chunked_dataset(tmp_path):
    scenario = dmpdata.load_scenario("tiny").with_overrides(patients=300, chunk_size=100, seed=11)
    ds = dmpdata.generate(scenario, out=tmp_path / "ds")
    frames = {t: ds.table(t).collect() for t in ds.tables}
    departments = (
        frames["patients"]
        .group_by("residence_department")
        .len()
        .sort("len", "residence_department", descending=[True, False])
    )
    chosen = tuple(departments["residence_department"].head(3))
    out = export(ds, tmp_path / "csv", format="csv", subset=Subset(departments=chosen)).path
    tables = read_csv_export(out, {t: f.schema for t, f in frames.items()})
    expected = frames["patients"].filter(pl.col("residence_department").is_in(chosen))["patient_id"]
    assert tables["patients"]["patient_id"].to_list() == expected.to_list()
    assert expected.min() <= 100 and expected.max() > 200, "the subset should span the three parts"
    assert dangling_keys(tables) == {}


def test_invalid_subsets_are_refused():
    with pytest.raises(SubsetError, match="unknown department '596'"):
        Subset(departments=("596",))
    with pytest.raises(SubsetError, match="unknown condition 'E99'"):
        Subset(conditions=("E99",))
    assert Subset(conditions=(" e11", "Heart_Failure", "cancer")).conditions == (
        "E11",
        "cancer",
        "heart_failure",
    )
    with pytest.raises(SubsetError, match="at least 1"):
        Subset(patients=0)
    assert Subset(departments=("2a", " 59 ")).departments == ("2A", "59")


def test_no_matching_patient_is_one_error_line(tiny, tmp_path):
    result = runner.invoke(
        app, ["export", str(tiny.path), "--department", "975", "--out", str(tmp_path / "x")]
    )
    assert result.exit_code == 2, result.output
    assert result.stderr.lstrip().startswith("error: no patient"), result.stderr
    assert not (tmp_path / "x").exists()
