"""FHIR Organization: FR Core identifier slices per kind of structure (no FINESS on a practice), FR Core address."""

from __future__ import annotations

import json

import polars as pl
import pytest

from dmpdata import reference
from dmpdata.export.fhir.organizations import organization_resources

FR_CORE_V2_0203 = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203"
# FR Core FRCoreOrganizationProfile.fsh identifier slices: (system, type code)
IDNST = ("urn:oid:1.2.250.1.71.4.2.2", "IDNST")
FINEG = ("https://finess.esante.gouv.fr", "FINEG")
FINEJ = ("https://finess.esante.gouv.fr", "FINEJ")
SIRET = ("https://sirene.fr", "SIRET")
RPPS_RANG = ("https://rppsrang.esante.gouv.fr", "INTRN")


@pytest.fixture(scope="module")
def organizations(tiny_frames) -> dict[str, dict]:
    resources = [json.loads(r) for r in organization_resources(tiny_frames["organizations"])]
    return {r["id"]: r for r in resources}


def _slices(resource: dict) -> dict[tuple[str, str], str]:
    out = {}
    for ident in resource["identifier"]:
        (coding,) = ident["type"]["coding"]
        assert coding["system"] == FR_CORE_V2_0203
        out[(ident["system"], coding["code"])] = ident["value"]
    return out


def test_practices_carry_no_finess_and_no_legal_entity(organizations, tiny_frames):
    practices = tiny_frames["organizations"].filter(pl.col("facility_type_code").is_in(["SA07", "SA08"]))
    assert practices.height > 0
    for row in practices.iter_rows(named=True):
        resource = organizations[str(row["organization_id"])]
        slices = _slices(resource)
        assert not {s for s in slices if s[0] == FINEG[0]}, resource["identifier"]
        assert slices[IDNST] == row["idnat_struct"] and slices[IDNST][0] in "34"
        assert slices[SIRET] == row["siret"]
        assert slices.get(RPPS_RANG) == row["rpps_rang"]
        assert "partOf" not in resource and f"ej-{row['organization_id']}" not in organizations


def test_establishments_carry_finess_idnat_struct_and_their_legal_entity(organizations, tiny_frames):
    kinds = reference.load("facility_types").filter(pl.col("identified_by") == "FINESS")["facility_type_code"]
    establishments = tiny_frames["organizations"].filter(pl.col("facility_type_code").is_in(kinds.implode()))
    assert establishments.height > 0
    for row in establishments.iter_rows(named=True):
        resource = organizations[str(row["organization_id"])]
        assert _slices(resource) == {IDNST: "1" + row["finess"], FINEG: row["finess"]}
        assert resource["partOf"] == {"reference": f"Organization/ej-{row['organization_id']}"}
        assert _slices(organizations[f"ej-{row['organization_id']}"]) == {FINEJ: row["finess_ej"]}


def test_id_nat_struct_is_the_official_identifier(organizations):
    for resource in organizations.values():
        official = [i for i in resource["identifier"] if i.get("use") == "official"]
        if resource["id"].startswith("ej-"):
            assert not official
        else:
            assert [i["system"] for i in official] == [IDNST[0]]


def test_address_district_is_the_commune_insee_code_and_country_fra(organizations, tiny_frames):
    communes = reference.load("communes").select("code")["code"]
    for row in tiny_frames["organizations"].iter_rows(named=True):
        (address,) = organizations[str(row["organization_id"])]["address"]
        assert address == {"city": row["commune_name"], "district": row["commune_code"], "country": "FRA"}
    assert tiny_frames["organizations"]["commune_code"].is_in(communes.implode()).all()
