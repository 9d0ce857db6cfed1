"""FHIR export conformance, checked offline: every resource of the tiny export against the official FHIR R4 JSON
schema (tests/data/fhir.schema.json.gz), and every profile it claims against the constraints read from that
profile's published IG source (tests/data/fhir_profile_constraints.csv)."""

from __future__ import annotations

import copy
import csv
import gzip
import json
import re
from collections import Counter
from functools import cache
from pathlib import Path

import jsonschema
import polars as pl
import pytest

from dmpdata import reference
from dmpdata.export import export
from dmpdata.export.fhir import RESOURCE_TYPES

DATA = Path(__file__).parent / "data"


@cache
def _schema() -> dict:
    """The official FHIR R4 JSON schema (fhir.schema.json, draft-06), as vendored."""
    return json.loads(gzip.decompress((DATA / "fhir.schema.json.gz").read_bytes()))


@cache
def _validator(resource_type: str) -> jsonschema.Draft6Validator:
    definitions = _schema()["definitions"]
    return jsonschema.Draft6Validator({"$ref": f"#/definitions/{resource_type}", "definitions": definitions})


def schema_errors(resource: dict) -> list[str]:
    """The R4 JSON schema's errors for one resource (by its resourceType)."""
    validator = _validator(resource["resourceType"])
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in validator.iter_errors(resource)
    ]


@cache
def constraints() -> dict[str, list[dict]]:
    """Profile (url|version) -> its constraint rows (element path, min, max, value regex, source)."""
    with open(DATA / "fhir_profile_constraints.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    by_profile: dict[str, list[dict]] = {}
    for row in rows:
        by_profile.setdefault(row["profile"], []).append(row)
    return by_profile


def _children(nodes: list, key: str) -> list:
    """The values of member `key` of every node (JSON arrays flattened, as FHIRPath does)."""
    out = []
    for node in nodes:
        value = node.get(key) if isinstance(node, dict) else None
        out.extend(value if isinstance(value, list) else [] if value is None else [value])
    return out


def profile_violations(resource: dict) -> list[str]:
    """Every claimed profile's constraints the resource breaks: each instance of the element's parent must hold
    min..max values of it, each matching the regex when one is given; a claimed profile without known constraints
    is itself a violation."""
    problems = []
    for profile in resource.get("meta", {}).get("profile", []):
        rows = constraints().get(profile)
        if rows is None:
            problems.append(f"claims {profile}, whose constraints are not known")
            continue
        for row in rows:
            path = row["element"].split(".")[1:]
            for parent in _children_path([resource], path[:-1]):
                values = _children([parent], path[-1])
                high = len(values) + 1 if row["max"] == "*" else int(row["max"])
                if not int(row["min"]) <= len(values) <= high:
                    problems.append(
                        f"{profile} {row['element']}: {len(values)} not in {row['min']}..{row['max']}"
                    )
                bad = [v for v in values if row["regex"] and not re.search(row["regex"], str(v))]
                if bad:
                    problems.append(f"{profile} {row['element']}: {bad[0]!r} does not match {row['regex']}")
    return problems


def _children_path(nodes: list, keys: list[str]) -> list:
    for key in keys:
        nodes = _children(nodes, key)
    return nodes


@pytest.fixture(scope="module")
def resources(tiny, tmp_path_factory) -> dict[str, list[dict]]:
    root = export(tiny, tmp_path_factory.mktemp("fhir-conformance") / "out", format="fhir").path
    return {
        p.stem: [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines()]
        for p in sorted(root.glob("*.ndjson"))
    }


def test_every_resource_validates_against_the_official_r4_json_schema(resources):
    checked, failures = Counter(), []
    for rtype, items in resources.items():
        for resource in items:
            checked[rtype] += 1
            failures.extend(f"{rtype}/{resource['id']} {e}" for e in schema_errors(resource)[:1])
    print("\nFHIR R4 JSON schema: resources validated by type:", dict(sorted(checked.items())))
    assert set(checked) == set(RESOURCE_TYPES) and min(checked.values()) > 0
    assert not failures, "\n".join(failures[:10])


def test_the_schema_check_rejects_what_r4_forbids(resources):
    encounter = copy.deepcopy(resources["Encounter"][0])
    assert schema_errors(encounter) == []
    encounter["status"] = "done"  # not an EncounterStatus code
    encounter["period"]["start"] = "2024-01-01T10:00:00"  # a dateTime with hours needs its offset
    encounter["classe"] = {}  # no such member
    assert len(schema_errors(encounter)) >= 3


def test_claimed_profiles_are_the_published_pinned_ones(resources):
    claimed = Counter(
        p for items in resources.values() for r in items for p in r.get("meta", {}).get("profile", [])
    )
    systems = reference.load("fhir_systems").filter(pl.col("key").str.starts_with("profile:"))
    assert set(claimed) <= set(systems["value"])
    assert all(re.fullmatch(r"https://\S+\|\d+\.\d+\.\d+", p) for p in claimed), claimed
    by_type = {
        rtype: {p for r in items for p in r.get("meta", {}).get("profile", [])}
        for rtype, items in resources.items()
    }
    # PDSm needs the document contents and fr-core-consent is unpublished: neither is claimed (base R4 resources).
    assert by_type["DocumentReference"] == by_type["Consent"] == by_type["Condition"] == set()
    assert by_type["Encounter"] == {"https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-encounter|2.1.0"}
    assert by_type["AuditEvent"] == {
        "https://interop.esante.gouv.fr/ig/fhir/tde/StructureDefinition/tde-auditevent|2.0.0"
    }


def test_every_claimed_profile_holds_on_every_resource(resources):
    violations, claims = Counter(), Counter()
    for items in resources.values():
        for resource in items:
            violations.update(profile_violations(resource))
            claims.update(resource.get("meta", {}).get("profile", []))
    print("\nresources checked against each claimed profile:", dict(sorted(claims.items())))
    assert not violations, violations.most_common(10)


def test_the_profile_check_fails_on_an_encounter_without_identifier(resources):
    encounter = copy.deepcopy(resources["Encounter"][0])
    assert profile_violations(encounter) == []
    del encounter["identifier"]
    assert profile_violations(encounter) == [
        "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-encounter|2.1.0 Encounter.identifier: 0 not in 1..*"
    ]
    encounter["meta"]["profile"] = ["https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-encounter"]
    assert "whose constraints are not known" in profile_violations(encounter)[0]


def test_encounter_identifier_is_the_encounter_id_as_a_visit_number(resources):
    for encounter in resources["Encounter"]:
        (identifier,) = encounter["identifier"]
        assert identifier["value"] == encounter["id"]
        assert identifier["system"] == "https://dmpdata.invalid/fhir/sid/encounter"
        assert identifier["type"]["coding"] == [
            {
                "system": "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-identifier-type",
                "code": "VN",
                "display": "Visit Number",
            }
        ]


def test_archived_documents_do_not_look_current(resources, tiny_frames):
    status = dict(
        zip(
            tiny_frames["documents"]["document_id"].cast(pl.String),
            tiny_frames["documents"]["status"],
            strict=True,
        )
    )
    seen = Counter()
    for doc in resources["DocumentReference"]:
        seen[(status[doc["id"]], doc["status"])] += 1
        assert doc["masterIdentifier"]["use"] == "usual"
    assert {(s, f) for s, f in seen} <= {
        ("approved", "current"),
        ("deprecated", "superseded"),
        ("archived", "superseded"),
        ("deleted", "entered-in-error"),
    }
    assert any(s == "archived" for s, _ in seen)


def test_identity_status_uses_the_published_fr_core_code_system(resources):
    reliability = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-identity-reliability"
    codings = [
        sub["valueCoding"]
        for patient in resources["Patient"]
        for ext in patient.get("extension", [])
        if ext["url"] == reliability
        for sub in ext["extension"]
        if sub["url"] == "identityStatus"
    ]
    # every Patient but those no structure of the period holds a record of (no status to state)
    assert len(resources["Patient"]) * 0.9 < len(codings) <= len(resources["Patient"])
    # fr-core-vs-identity-reliability (FR Core 2.1.0) = the codes of fr-core-cs-v2-0445
    assert {c["system"] for c in codings} == {"https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0445"}
    assert {c["code"] for c in codings} <= {"PROV", "VALI"}


# FR Core 2.1.0 FRCorePatientINSProfile.fsh invariants fr-core-1 and fr-core-2: the INS-NIR, INS-NIA, INS-NIR-TEST
# and INS-NIR-DEMO identifier systems and uses.
_INS_IDENTIFIERS = {
    ("urn:oid:1.2.250.1.213.1.4.8", "official"),
    ("urn:oid:1.2.250.1.213.1.4.9", "temp"),
    ("urn:oid:1.2.250.1.213.1.4.10", "official"),
    ("urn:oid:1.2.250.1.213.1.4.11", "official"),
}


def patient_ins_invariant_violations(patient: dict) -> list[str]:
    """fr-core-1: a VALI identity carries an INS identifier; fr-core-2: then only one official identifier (or an
    INS-NIA)."""
    reliability = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-identity-reliability"
    statuses = [
        sub["valueCoding"]["code"]
        for ext in patient.get("extension", [])
        if ext["url"] == reliability
        for sub in ext.get("extension", [])
        if sub["url"] == "identityStatus"
    ]
    if "VALI" not in statuses:
        return []
    identifiers = [(i.get("system"), i.get("use")) for i in patient.get("identifier", [])]
    problems = []
    if not _INS_IDENTIFIERS & set(identifiers):
        problems.append("fr-core-1: VALI without an INS identifier")
    officials = sum(use == "official" for _, use in identifiers)
    if officials != 1 and ("urn:oid:1.2.250.1.213.1.4.9", "temp") not in identifiers:
        problems.append(f"fr-core-2: VALI with {officials} official identifiers")
    return problems


def test_patient_ins_invariants_hold(resources):
    ins = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient-ins|2.1.0"
    claiming = [p for p in resources["Patient"] if ins in p.get("meta", {}).get("profile", [])]
    assert claiming
    problems = Counter(x for p in claiming for x in patient_ins_invariant_violations(p))
    assert not problems, problems
    broken = copy.deepcopy(claiming[0])
    broken["extension"] = [
        {
            "url": "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-identity-reliability",
            "extension": [{"url": "identityStatus", "valueCoding": {"code": "VALI"}}],
        }
    ]
    broken["identifier"] = []
    assert patient_ins_invariant_violations(broken) == [
        "fr-core-1: VALI without an INS identifier",
        "fr-core-2: VALI with 0 official identifiers",
    ]
