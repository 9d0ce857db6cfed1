"""Structures and their identifiers: FINESS only on establishments, practices by RPPS-rang or SIRET."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandera.errors
import polars as pl
import pytest

from dmpdata import reference
from dmpdata.generators.workforce import _identified
from dmpdata.identifiers import make_finess
from dmpdata.rng import stream
from dmpdata.schemas.organizations import Organizations


def _with_kind(organizations: pl.DataFrame) -> pl.DataFrame:
    kinds = reference.load("facility_types").select("facility_type_code", "identified_by")
    return organizations.join(kinds, on="facility_type_code", how="left")


def test_no_finess_on_a_practice(tiny_frames):
    orgs = _with_kind(tiny_frames["organizations"])
    practices = orgs.filter(pl.col("facility_type_code").is_in(["SA07", "SA08"]))
    assert practices.height > 0 and set(practices["identified_by"]) == {"RPPS_RANG"}
    assert practices["finess"].null_count() == practices["finess_ej"].null_count() == practices.height
    establishments = orgs.filter(pl.col("identified_by") == "FINESS")
    assert establishments.height > 0
    assert establishments["finess"].null_count() == establishments["finess_ej"].null_count() == 0
    assert (establishments["idnat_struct"] == "1" + establishments["finess"]).all()
    assert not practices["idnat_struct"].str.starts_with("1").any()


def test_idnat_struct_is_unique_and_names_every_structure(tiny_frames):
    ids = tiny_frames["organizations"]["idnat_struct"]
    assert ids.null_count() == 0 and ids.n_unique() == ids.len()


def test_a_practice_rpps_rang_is_that_of_one_of_its_professionals(tiny_frames):
    orgs = tiny_frames["organizations"].filter(pl.col("rpps_rang").is_not_null())
    assert orgs.height > 0
    assert (orgs["idnat_struct"] == "4" + orgs["rpps_rang"]).all()
    staff = tiny_frames["professionals"].select("organization_id", "rpps")
    held = orgs.select("organization_id", rpps=pl.col("rpps_rang").str.slice(0, 11))
    assert held.join(staff, on=["organization_id", "rpps"], how="anti").height == 0


def _slots() -> pl.DataFrame:
    """Four structures: a hospital, a practice with a professional, a practice without one, a société d'exercice."""
    codes = ["SA01", "SA07", "SA08", "SA09"]
    facility = reference.load("facility_types").filter(pl.col("facility_type_code").is_in(codes))
    facility = facility.sort(pl.col("facility_type_code").replace_strict(codes, range(4)))
    return pl.DataFrame(
        {
            "organization_id": [1, 2, 3, 4],
            "finess": make_finess(pl.Series(["75"] * 4), np.arange(4)),
            "finess_ej": make_finess(pl.Series(["75"] * 4), np.arange(4, 8)),
            "facility_type_code": codes,
            "practice_setting": facility["practice_setting_code"],
            "sector": facility["sector"],
            "department": ["75"] * 4,
            "region": ["11"] * 4,
            "commune_code": ["75056"] * 4,
            "commune_name": ["PARIS"] * 4,
            "name": ["CENTRE HOSPITALIER", "CABINET A", "CABINET B", "SELARL C"],
            "dmp_equipped_from": [dt.date(2022, 1, 1)] * 4,
        }
    )


def test_practices_without_their_holder_and_companies_are_identified_by_siret():
    staff = pl.DataFrame(
        {"professional_id": [1, 2], "organization_id": [2, 2], "rpps": ["10005531586", "10005531594"]}
    )
    orgs = _identified(_slots(), staff, stream(7, "workforce", 0, 1))
    Organizations.validate(orgs)
    rows = {r["facility_type_code"]: r for r in orgs.iter_rows(named=True)}
    assert rows["SA01"]["idnat_struct"] == "1" + rows["SA01"]["finess"] and rows["SA01"]["siret"] is None
    assert rows["SA07"]["rpps_rang"] == "10005531586003"  # the first professional holds it, order number 00
    assert rows["SA07"]["idnat_struct"] == "410005531586003" and rows["SA07"]["finess"] is None
    for code in ("SA08", "SA09"):
        assert rows[code]["finess"] is rows[code]["finess_ej"] is rows[code]["rpps_rang"] is None
        assert rows[code]["idnat_struct"] == "3" + rows[code]["siret"]


@pytest.mark.parametrize("column", ["finess", "finess_ej"])
def test_the_schema_refuses_a_finess_on_a_practice(tiny_frames, column):
    orgs = tiny_frames["organizations"]
    practice = orgs.filter(pl.col("facility_type_code") == "SA07")["organization_id"][0]
    establishment = orgs.filter(pl.col("finess").is_not_null()).row(0, named=True)
    bad = orgs.with_columns(
        pl.when(pl.col("organization_id") == practice)
        .then(pl.lit(establishment[column]))
        .otherwise(pl.col(column))
        .alias(column)
    )
    with pytest.raises(pandera.errors.SchemaErrors, match="finess_only_on_finess_establishments"):
        Organizations.validate(bad, lazy=True)


def test_structure_numbers_leave_the_professionals_unchanged(monkeypatch):
    """SIRETs come from their own sub-stream: without them, the workforce stream gives the same professionals."""
    from dmpdata.engine import _Context
    from dmpdata.generators import workforce
    from dmpdata.scenario import load_scenario

    scenario = load_scenario("tiny")
    area = _Context(scenario).area
    organizations, professionals = workforce.generate_workforce(
        scenario, stream(scenario.seed, "workforce"), area
    )
    monkeypatch.setattr(workforce, "_identified", lambda orgs, staff, rng: orgs)
    bare, same = workforce.generate_workforce(scenario, stream(scenario.seed, "workforce"), area)
    assert same.equals(professionals)
    assert "idnat_struct" not in bare.columns and "idnat_struct" in organizations.columns
