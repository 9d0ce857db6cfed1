"""FHIR export: every resource parses with fhir.resources (R4B), every reference resolves, TEST INS OID only."""

from __future__ import annotations

import importlib
import json
import re
from collections import Counter
from pathlib import Path

import polars as pl
import pytest

import dmpdata
from dmpdata import reference
from dmpdata.errors import DatasetError
from dmpdata.export import export
from dmpdata.export.fhir import RESOURCE_TYPES, patient_resources, strip_empty

TEST_OID = "1.2.250.1.213.1.4.10"


def read_resources(root: Path) -> dict[str, list[dict]]:
    """Every resource of an export folder, by resource type (file name)."""
    return {
        p.stem: [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines()]
        for p in sorted(root.glob("*.ndjson"))
    }


def _walk(node, path=""):
    """Yield (path, key, value) for every member of a JSON tree."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield path, key, value
            yield from _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item, path)


def references(resources: dict[str, list[dict]]) -> list[tuple[str, str, str]]:
    """(resource type, id, reference) of every Reference.reference in the export."""
    return [
        (rtype, r["id"], value)
        for rtype, items in resources.items()
        for r in items
        for _, key, value in _walk(r)
        if key == "reference" and isinstance(value, str)
    ]


def dangling(resources: dict[str, list[dict]]) -> list[tuple[str, str, str]]:
    """References that do not name a resource of the export."""
    present = {f"{rtype}/{r['id']}" for rtype, items in resources.items() for r in items}
    return [ref for ref in references(resources) if ref[2] not in present]


@pytest.fixture(scope="module")
def fhir_dir(tiny, tmp_path_factory) -> Path:
    return export(tiny, tmp_path_factory.mktemp("fhir") / "out", format="fhir").path


@pytest.fixture(scope="module")
def resources(fhir_dir) -> dict[str, list[dict]]:
    return read_resources(fhir_dir)


def test_files_are_bulk_data_ndjson_one_per_resource_type(fhir_dir, resources, tiny_frames):
    names = sorted(p.name for p in fhir_dir.iterdir())
    assert names == sorted([f"{t}.ndjson" for t in RESOURCE_TYPES] + ["export.json"])
    for rtype, items in resources.items():
        assert {r["resourceType"] for r in items} == {rtype}
        ids = Counter(r["id"] for r in items)
        assert max(ids.values()) == 1, f"duplicate {rtype} ids: {ids.most_common(3)}"
        assert all(re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", i) for i in ids), rtype
    rows = {name: frame.height for name, frame in tiny_frames.items()}
    assert len(resources["Patient"]) == rows["patients"]
    assert len(resources["Practitioner"]) == len(resources["PractitionerRole"]) == rows["professionals"]
    legal_entities = tiny_frames["organizations"]["finess_ej"].drop_nulls().len()
    # one per structure, a legal entity per FINESS establishment, the Assurance Maladie
    assert len(resources["Organization"]) == rows["organizations"] + legal_entities + 1
    assert len(resources["Encounter"]) == rows["encounters"]
    assert len(resources["Condition"]) == rows["conditions"]
    assert len(resources["DocumentReference"]) == rows["documents"]
    assert len(resources["Observation"]) == rows["observations"]
    assert len(resources["AuditEvent"]) == rows["access_events"]


def test_every_resource_parses_with_fhir_resources_r4b(fhir_dir):
    failures = []
    for path in sorted(fhir_dir.glob("*.ndjson")):
        model = getattr(importlib.import_module(f"fhir.resources.R4B.{path.stem.lower()}"), path.stem)
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            try:
                model.model_validate_json(line)
            except Exception as err:
                failures.append(f"{path.name}:{n}: {str(err)[:300]}")
    assert not failures, "\n".join(failures[:5])


def test_no_null_or_empty_member_anywhere(resources):
    bad = [
        (rtype, r["id"], path, key)
        for rtype, items in resources.items()
        for r in items
        for path, key, value in _walk(r)
        if value is None or value == [] or value == {} or value == ""
    ]
    assert not bad, bad[:5]


def test_every_reference_resolves_within_the_export(resources):
    refs = references(resources)
    assert len(refs) > 100_000
    assert not dangling(resources), dangling(resources)[:5]
    kinds = {ref.split("/")[0] for _, _, ref in refs}
    assert kinds == {
        "Patient",
        "Practitioner",
        "PractitionerRole",
        "Organization",
        "Encounter",
        "DocumentReference",
    }


def test_production_ins_oids_appear_nowhere(fhir_dir):
    production = reference.load("ins_oids").filter(pl.col("production"))["oid"].to_list()
    assert "1.2.250.1.213.1.4.8" in production
    for path in fhir_dir.iterdir():
        text = path.read_text(encoding="utf-8")
        for oid in production:
            assert not re.search(re.escape(oid) + r"(?![0-9])", text), f"{oid} in {path.name}"


PATIENT_INS = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient-ins|2.1.0"
PATIENT = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient|2.1.0"
RELIABILITY = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-identity-reliability"


def _best_status(records: pl.DataFrame) -> dict[int, str]:
    """patient_id -> the most reliable status of the patient's identity records (PROV < VALI < RECUP < QUAL)."""
    rank = {"PROV": 0, "VALI": 1, "RECUP": 2, "QUAL": 3}
    best: dict[int, str] = {}
    for patient_id, status in records.select("patient_id", "status").iter_rows():
        if patient_id not in best or rank[status] > rank[best[patient_id]]:
            best[patient_id] = status
    return best


def test_only_a_qualified_identity_carries_the_ins(resources, tiny_frames):
    """FR Core: the INS identifier may be conveyed only for a qualified identity (slices in fr-core-patient-ins)."""
    best = _best_status(tiny_frames["identity_records"])
    by_id = {r["id"]: r for r in resources["Patient"]}
    seen = set()
    for row in tiny_frames["patients"].to_dicts():
        resource = by_id[str(row["patient_id"])]
        status = best.get(row["patient_id"])
        seen.add(status)
        ins = [i for i in resource.get("identifier", []) if i["system"] == f"urn:oid:{TEST_OID}"]
        extensions = {e["url"]: e for e in resource["extension"]}
        if status == "QUAL":
            assert resource["meta"]["profile"] == [PATIENT_INS]
            assert len(ins) == 1 and ins[0]["value"] == row["ins_matricule"] and ins[0]["use"] == "official"
            assert ins[0]["type"]["coding"][0]["code"] == "INS-NIR-TEST"
        else:
            assert resource["meta"]["profile"] == [PATIENT] and not ins
            assert row["ins_matricule"] not in json.dumps(resource)
        if status is None:  # no structure of the period holds a record: no identity status to state
            assert RELIABILITY not in extensions
        else:
            assert extensions[RELIABILITY]["extension"] == [
                {
                    "url": "identityStatus",
                    "valueCoding": {
                        "system": "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0445",
                        "code": {"QUAL": "VALI", "RECUP": "PROV"}.get(status, status),
                        "display": {"PROV": "Identité provisoire", "RECUP": "Identité provisoire"}.get(
                            status, "Identité validée"
                        ),
                    },
                }
            ]
    assert {"QUAL", "RECUP", "VALI"} <= seen  # the tiny dataset has patients of each kind


def test_every_patient_carries_the_ins_traits(resources, tiny_frames):
    by_id = {r["id"]: r for r in resources["Patient"]}
    for row in tiny_frames["patients"].to_dicts():
        resource = by_id[str(row["patient_id"])]
        extensions = {e["url"]: e for e in resource["extension"]}
        place = extensions["http://hl7.org/fhir/StructureDefinition/patient-birthPlace"]["valueAddress"]
        assert place["extension"][0]["valueCoding"]["code"] == row["birth_place_code"]
        official = [n for n in resource["name"] if n["use"] == "official"]
        assert (
            len(official) == 1
            and official[0]["family"] == row["birth_name"]
            and official[0]["given"] == [row["first_name"]]
        )
        assert official[0]["extension"][0]["valueString"] == row["first_names"]
        assert resource["gender"] == {"M": "male", "F": "female"}[row["sex"]]
        assert resource["birthDate"] == row["birth_date"].isoformat()
        assert {
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActReason",
            "code": "HTEST",
            "display": "test health data",
        } in resource["meta"]["security"]


def test_document_references_carry_the_xds_metadata(resources, tiny_frames):
    documents = {r["id"]: r for r in resources["DocumentReference"]}
    rows = tiny_frames["documents"]
    assert rows["masked_ps"].sum() > 0 and rows["replaces_document_id"].is_not_null().sum() > 0
    for row in rows.to_dicts():
        doc = documents[str(row["document_id"])]
        assert doc["masterIdentifier"]["value"] == f"urn:oid:{row['unique_id']}"
        assert doc["type"]["coding"][0]["code"] == row["type_code"]
        assert doc["category"][0]["coding"][0]["code"] == row["class_code"]
        assert doc["content"][0]["format"]["code"] == row["format_code"]
        labels = {c["code"] for label in doc["securityLabel"] for c in label["coding"]}
        assert row["confidentiality"] in labels
        assert ("MASQUE_PS" in labels) == row["masked_ps"]
        assert ("INVISIBLE_PATIENT" in labels) == row["invisible_patient"]
        assert ("INVISIBLE_REPRESENTANTS_LEGAUX" in labels) == row["invisible_legal_reps"]
        replaces = [r["target"]["reference"] for r in doc.get("relatesTo", []) if r["code"] == "replaces"]
        expected = (
            []
            if row["replaces_document_id"] is None
            else [f"DocumentReference/{row['replaces_document_id']}"]
        )
        assert replaces == expected
        assert (
            doc["status"]
            == {
                "approved": "current",
                "deprecated": "superseded",
                "archived": "superseded",
                "deleted": "entered-in-error",
            }[row["status"]]
        )
        author = doc["author"][0]["reference"]
        assert (
            author
            == {
                "professional": f"PractitionerRole/{row['author_professional_id']}",
                "patient": f"Patient/{row['patient_id']}",
                "assurance_maladie": "Organization/assurance-maladie",
            }[row["author_kind"]]
        )


def test_audit_events_follow_the_tde_profile_constraints(resources, tiny_frames):
    events = tiny_frames["access_events"]
    denied = {str(i) for i in events.filter(pl.col("outcome") != "granted")["event_id"]}
    assert denied
    for event in resources["AuditEvent"]:
        assert event["meta"]["profile"] == [
            "https://interop.esante.gouv.fr/ig/fhir/tde/StructureDefinition/tde-auditevent|2.0.0"
        ]
        assert len(event.get("subtype", [])) <= 1 and 1 <= len(event["agent"]) <= 2
        assert all("who" in agent for agent in event["agent"]) and event["period"]["start"]
        assert (event["outcome"] != "0") == (event["id"] in denied)


# FHIR R4 AuditEvent.action for each restful-interaction subtype (codesystem-audit-event-action: E is "perform a
# query/search operation"; a create is C whatever it replaces).
_ACTION_OF_SUBTYPE = {
    "create": "C",
    "read": "R",
    "vread": "R",
    "update": "U",
    "patch": "U",
    "delete": "D",
    "search-type": "E",
    "search-system": "E",
    "history-instance": "E",
}


def test_audit_event_action_agrees_with_its_subtype(resources, tiny_frames):
    """Searches (the access history) are E, a new version is a creation (C), never `create` with action U."""
    seen = set()
    for event in resources["AuditEvent"]:
        subtype = event["subtype"][0]["code"]
        assert event["action"] == _ACTION_OF_SUBTYPE[subtype], (event["id"], subtype, event["action"])
        seen.add(subtype)
    assert {"search-type", "create", "read"} <= seen
    by_id = {e["id"]: e for e in resources["AuditEvent"]}
    events = tiny_frames["access_events"]
    for action, code in (("new_version", "C"), ("view_history", "E"), ("consult", "R")):
        some = events.filter(pl.col("action") == action)["event_id"].head(5)
        assert not some.is_empty() and all(by_id[str(i)]["action"] == code for i in some)


def test_consents_cover_opposition_emergency_opt_out_blocks_and_masks(resources, tiny_frames):
    ids = Counter(r["id"].split("-")[0] for r in resources["Consent"])
    patients, events = tiny_frames["patients"], tiny_frames["access_events"]
    assert ids["opposition"] == (patients["mes_status"] == "opposed").sum()
    # one Consent per refused emergency mode, with the purpose Mon espace santé gives it (BTG, ETREAT)
    assert ids["bris"] == patients["bris_de_glace_opt_out_at"].is_not_null().sum()
    assert ids["centre"] == patients["centre_15_opt_out_at"].is_not_null().sum()
    purposes = {
        r["id"].split("-")[0]: r["provision"]["purpose"][0]["code"]
        for r in resources["Consent"]
        if r["id"].startswith(("bris-", "centre-"))
    }
    assert purposes == {"bris": "BTG", "centre": "ETREAT"}
    assert ids["block"] == (events["action"] == "block_professional").sum()
    assert ids["mask"] == (events["action"] == "mask").sum()
    assert sum(ids.values()) == len(resources["Consent"]) > 0


def test_same_dataset_gives_byte_identical_files(tiny, fhir_dir, tmp_path):
    again = export(tiny, tmp_path / "again", format="fhir").path
    assert sorted(p.name for p in again.iterdir()) == sorted(p.name for p in fhir_dir.iterdir())
    for path in fhir_dir.iterdir():
        assert (again / path.name).read_bytes() == path.read_bytes(), path.name


def test_export_json_describes_the_export(fhir_dir, tiny):
    meta = json.loads((fhir_dir / "export.json").read_text(encoding="utf-8"))
    from dmpdata.engine import SYNTHETIC_NOTICE

    assert meta["generator"] == "dmpdata" and meta["format"] == "fhir" and meta["notice"] == SYNTHETIC_NOTICE
    assert (
        meta["source"]["seed"] == 7
        and len(meta["source"]["manifest_sha256"]) == 64
        and meta["subset"] is None
    )
    for entry in meta["files"]:
        assert (fhir_dir / entry["path"]).read_text(encoding="utf-8").count("\n") == entry["rows"]


def test_a_dataset_with_several_parts_is_streamed_part_by_part(tmp_path):
    scenario = dmpdata.load_scenario("tiny").with_overrides(patients=250, chunk_size=100, seed=3)
    ds = dmpdata.generate(scenario, out=tmp_path / "ds")
    assert len(ds.files("patients")) == 3
    out = export(ds, tmp_path / "fhir", format="fhir", workers=2).path
    one = export(ds, tmp_path / "fhir-1", format="fhir", workers=1).path
    for path in out.glob("*.ndjson"):  # parts rendered on 2 workers are appended in part order: same bytes
        assert (one / path.name).read_bytes() == path.read_bytes(), path.name
    assert not list(out.glob(".*"))  # no work files left behind
    resources = read_resources(out)
    assert len(resources["Patient"]) == 250
    assert [r["id"] for r in resources["Patient"]] == [str(i) for i in range(1, 251)]
    assert len(resources["DocumentReference"]) == ds.row_counts["documents"]
    assert not dangling(resources)


def test_strip_empty_removes_null_and_empty_members_only():
    raw = pl.Series(['{"a":null,"b":{"c":null,"d":[]},"e":"x\\"f\\":null","g":[{"h":1,"i":{}}],"j":{}}'])
    assert strip_empty(raw).to_list() == ['{"e":"x\\"f\\":null","g":[{"h":1}]}']


def test_a_production_ins_oid_is_refused(tiny_frames):
    frame = tiny_frames["patients"].head(3).with_columns(pl.lit("1.2.250.1.213.1.4.8").alias("ins_oid"))
    with pytest.raises(DatasetError, match="not a test INS OID"):
        patient_resources(frame)
