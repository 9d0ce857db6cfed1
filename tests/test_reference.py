"""Integrity and calibration checks of the reference tables in dmpdata/reference/."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
from importlib.resources import files

import polars as pl
import pytest

from dmpdata import reference as ref

NAMES = ref.names()

KEYS = {
    "fhir_systems": ["key"],
    "fhir_codes": ["mapping", "value"],
    "communes": ["code"],
    "departments": ["code"],
    "regions": ["code"],
    "population_age_sex": ["year", "area", "age", "sex"],
    "population_department_age_sex": ["year", "department", "sex", "age_min"],
    "mortality": ["age", "sex"],
    "birth_countries": ["country_code"],
    "professions": ["profession_code"],
    "specialties": ["specialty_code"],
    "facility_types": ["facility_type_code"],
    "structure_identifiers": ["code"],
    "practice_settings": ["practice_setting_code"],
    "workforce": ["kind"],
    "organization_counts": ["facility_type_code", "practice_setting_code"],
    "ins_oids": ["name"],
    "identity_statuses": ["code"],
    "gp_declaration_end_reasons": ["code"],
    "medecin_traitant_children": ["kind"],
    "conditions": ["condition_code"],
    "pathologies": ["pathology"],
    "pathology_groups": ["group"],
    "pathology_shapes": ["pathology", "sex", "age_min"],
    "pathology_prevalence": ["pathology", "sex", "age_min"],
    "pathology_departments": ["pathology", "department"],
    "mes_activation": ["date"],
    "parameters": ["key"],
    "dmp_equipment": ["applies_to", "date"],
    "mes_rollout": ["department"],
    "mes_prior_dmp": ["date"],
    "mes_prior_dmp_age": ["age_min"],
    "workforce_rules": ["kind"],
    "document_types": ["type_code"],
    "document_classes": ["class_code"],
    "format_codes": ["format_code"],
    "confidentiality_codes": ["code"],
    "access_modes": ["code"],
    "auth_modes": ["code"],
    "channels": ["code"],
    "access_matrix": ["profession_code", "type_code"],
    "mandatory_documents": ["rule_id"],
    "observation_types": ["loinc_code", "population"],
    "loinc_properties": ["loinc_code", "unit"],
    "loinc_property_units": ["property", "unit"],
    "nir_forms": ["part", "code_from"],
    "encounter_kinds": ["kind"],
    "document_rules": ["encounter_kind", "activity", "type_code", "when"],
    "feeding": ["type_code", "sector", "date"],
    "identity_qualification": ["facility_type_code", "sector", "step", "date"],
    "patient_uploads": ["type_code"],
    "consultation": ["situation", "date"],
    "sectors": ["code"],
    "actor_kinds": ["code"],
    "access_actions": ["code"],
    "access_outcomes": ["code"],
    "document_statuses": ["code"],
    "mes_statuses": ["code"],
    "time_bounds": ["key"],
    "sexes": ["code"],
    "matricule_kinds": ["code"],
    "medicines": ["atc_code"],
    "treatment_lines": ["pathology", "line", "atc_class"],
    "acute_prescriptions": ["encounter_kind", "atc_class"],
}

# key columns where empty means "any" (document_rules.activity: the rule applies to every activity)
NULLABLE_KEY_COLUMNS = {"document_rules": {"activity"}}

EVIDENCE = {"verified", "inferred", "assumption"}


def test_expected_tables_present():
    assert set(KEYS) <= set(NAMES), set(KEYS) - set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_table_loads_and_is_described(name):
    df = ref.load(name)
    assert df.height > 0
    raw_header = next(csv.reader(files("dmpdata.reference").joinpath(f"{name}.csv").open(encoding="utf-8")))
    described = set(ref.columns().filter(pl.col("table") == name)["column"])
    assert set(raw_header) == described, set(raw_header) ^ described
    descr = ref.columns().filter(pl.col("table") == name)["description"]
    assert descr.str.len_chars().min() > 0


@pytest.mark.parametrize("name", NAMES)
def test_every_row_has_a_source(name):
    df = ref.load(name)
    assert "source" in df.columns
    assert df["source"].null_count() == 0
    assert (df["source"].str.strip_chars().str.len_chars() > 0).all()


@pytest.mark.parametrize("name", NAMES)
def test_no_duplicate_keys(name):
    key = KEYS.get(name)
    assert key is not None, f"declare the key of reference table {name!r} in KEYS (tests/test_reference.py)"
    nullable = NULLABLE_KEY_COLUMNS.get(name, set())
    df = ref.load(name).with_columns(pl.col(c).fill_null("") for c in nullable)
    assert df.select(key).is_duplicated().sum() == 0
    assert df.select(key).null_count().sum_horizontal().item() == 0


@pytest.mark.parametrize("name", NAMES)
def test_evidence_values(name):
    df = ref.load(name)
    if "evidence" in df.columns:
        assert set(df["evidence"].unique()) <= EVIDENCE


def test_columns_dtypes_valid():
    assert set(ref.columns()["dtype"].unique()) <= {"String", "Int64", "Float64", "Boolean", "Date"}


def test_shares_in_unit_interval():
    checks = {
        "birth_countries": ["weight"],
        "medecin_traitant_children": ["share"],
        "identity_qualification": ["share"],
        "pathology_prevalence": ["prevalence"],
        "pathologies": ["prevalence", "ald_share", "frailty_loading"],
        "mes_activation": ["profiles_open_share", "activated_share"],
        "mes_prior_dmp": ["share"],
        "mes_prior_dmp_age": ["rate"],
        "mortality": ["qx"],
    }
    for name, cols in checks.items():
        df = ref.load(name)
        for c in cols:
            assert df[c].null_count() == 0, (name, c)
            assert df[c].min() >= 0 and df[c].max() <= 1, (name, c)
    params = ref.load("parameters")
    shares = params.filter(pl.col("unit").str.starts_with("share"))
    assert shares["value"].min() >= 0 and shares["value"].max() <= 1


def test_weights_and_shares_sum_to_one():
    assert ref.load("birth_countries")["weight"].sum() == pytest.approx(1.0, abs=1e-6)


def test_birth_countries_codes():
    bc = ref.load("birth_countries")
    assert bc.height >= 30
    assert bc["country_code"].str.contains(r"^99\d{3}$").all()
    assert set(bc["evidence"]) <= {"verified", "assumption"}


@pytest.mark.parametrize("name", ["pathology_shapes", "pathology_prevalence"])
def test_pathology_bands_cover_0_104(name):
    table = ref.load(name)
    assert set(table["pathology"]) == set(ref.load("pathologies")["pathology"])
    for (pathology, sex), g in table.group_by(["pathology", "sex"]):
        g = g.sort("age_min")
        assert g["age_min"][0] == 0 and g["age_max"][-1] == 104, (pathology, sex)
        assert (g["age_min"][1:] == g["age_max"][:-1] + 1).all(), (pathology, sex)
        assert (g["age_max"] >= g["age_min"]).all()
    assert set(table["sex"]) == {"M", "F"}


def test_pathologies_contract():
    """Codes point to a pathology, are unique, carry a dot only as 4-character CIM-10 sub-codes; sex-specific sites;
    mortality hazard ratios >= 1; ALD 12 closed on 2011-06-26."""
    pathologies = ref.load("pathologies")
    conditions = ref.load("conditions")
    assert set(conditions["pathology"]) <= set(pathologies["pathology"])
    assert set(conditions["pathology"]) == set(pathologies["pathology"])
    assert conditions["condition_code"].str.contains(r"^[A-Z]\d{2}(\.\d)?$").all()
    assert set(conditions["sex"]) <= {"F", "M", "any"}
    assert (conditions["weight"] > 0).all()
    sex_of = dict(conditions.select("condition_code", "sex").iter_rows())
    assert sex_of["C61"] == "M" and sex_of["C54"] == "F" and sex_of["C50"] == "any"
    assert (pathologies["mortality_rr"] >= 1).all()
    assert set(pathologies["cluster"]) <= {"cardiometabolic", "mental", "none"}
    htn = pathologies.filter(pl.col("ald_number") == 12)
    assert htn["ald_open_until"].to_list() == [dt.date(2011, 6, 26)] * htn.height
    prostate = ref.load("pathology_prevalence").filter(
        (pl.col("pathology") == "cancer_prostate") & (pl.col("sex") == "F")
    )
    assert prostate["prevalence"].max() == 0


def test_every_pathology_group_has_a_label():
    """pathology_groups labels exactly the groups of pathologies (charts, headlines and analyses show the labels)."""
    groups = ref.load("pathology_groups")
    assert set(groups["group"]) == set(ref.load("pathologies")["group"])
    assert groups["order"].to_list() == list(range(1, groups.height + 1))
    assert groups.filter(~pl.col("cartographie"))["group"].to_list() == ["ckd"]  # dmpdata's own group


def test_every_pathology_has_codes_for_each_sex_it_strikes():
    """A pathology with a prevalence in a sex has a CIM-10 code that sex can be coded with."""
    codes = ref.load("conditions")
    struck = (
        ref.load("pathology_prevalence").filter(pl.col("prevalence") > 0).select("pathology", "sex").unique()
    )
    for pathology, sex in struck.iter_rows():
        rows = codes.filter((pl.col("pathology") == pathology) & pl.col("sex").is_in(["any", sex]))
        assert rows.height and rows["weight"].sum() > 0, (pathology, sex)


def test_population_totals_match_insee():
    pop = ref.load("population_age_sex")
    fr = pop.filter(pl.col("area") == "FR").group_by("year").agg(pl.col("population").sum())
    totals = dict(zip(fr["year"], fr["population"], strict=True))
    assert totals == {2024: 68_638_377, 2025: 68_851_996, 2026: 69_081_996}
    assert pop["age"].min() == 0 and pop["age"].max() == 99
    dep = ref.load("population_department_age_sex")
    assert dep["population"].sum() == 68_605_616
    assert dep["department"].n_unique() == 101
    assert dep["age_max"].max() == 104


def test_mortality_table():
    m = ref.load("mortality")
    assert m.height == 210
    assert sorted(m["age"].unique()) == list(range(105))


def test_communes():
    c = ref.load("communes")
    assert c.height == 35_014
    assert c["code"].str.len_chars().eq(5).all()
    assert {"75056", "69123", "13055", "75101", "69381", "13201"} <= set(c["code"])
    assert set(c["type"]) == {"commune-actuelle", "arrondissement-municipal"}
    assert set(c["zone"]) <= {"metro", "drom", "com"}
    current = c.filter(pl.col("type") == "commune-actuelle")["population"].sum()
    assert current == pytest.approx(68.95e6, rel=0.005)
    assert set(c["department"]) <= set(ref.load("departments")["code"])
    assert set(ref.load("departments")["region"]) <= set(ref.load("regions")["code"])


def test_ins_oids():
    o = ref.load("ins_oids")
    test = o.filter(pl.col("name") == "INS-NIR-TEST").row(0, named=True)
    assert test["oid"] == "1.2.250.1.213.1.4.10"
    assert test["production"] is False
    by_name = {r["name"]: r for r in o.iter_rows(named=True)}
    assert by_name["INS-NIR"]["oid"] == "1.2.250.1.213.1.4.8" and by_name["INS-NIR"]["production"] is True
    assert by_name["INS-NIA"]["oid"] == "1.2.250.1.213.1.4.9" and by_name["INS-NIA"]["use"] == "temp"
    assert by_name["INS-NIR-DEMO"]["oid"] == "1.2.250.1.213.1.4.11"


def test_code_tables():
    assert set(ref.load("identity_statuses")["code"]) == {"PROV", "VALI", "RECUP", "QUAL"}
    assert ref.load("practice_settings").height == 12
    prof = ref.load("professions")
    assert {"10", "21", "40", "50", "60", "70", "80"} <= set(prof["profession_code"])
    spe = dict(ref.load("specialties").select("specialty_code", "label").iter_rows())
    assert spe["SM54"] == "Médecine générale"
    assert spe["SM03"] == "Biologie médicale"
    ft = ref.load("facility_types")
    assert set(ft["sector"]) <= set(ref.codes("sectors", care=True))
    assert {"SA01", "SA03", "SA04", "SA07", "SA08", "SA25", "SA33", "SA52", "SA17"} <= set(
        ft["facility_type_code"]
    )


def test_workforce_consistency():
    wf = ref.load("workforce")
    assert set(wf["profession_code"]) <= set(ref.load("professions")["profession_code"])
    assert set(wf["specialty_code"].drop_nulls()) <= set(ref.load("specialties")["specialty_code"])
    ft = dict(ref.load("facility_types").select("facility_type_code", "sector").iter_rows())
    for r in wf.iter_rows(named=True):
        assert ft[r["facility_type_code"]] == r["sector"], r["kind"]
    doctors = wf.filter(pl.col("profession_code") == "10")
    assert doctors["count"].sum() == 237_200
    assert doctors.filter(pl.col("specialty_code") == "SM54")["count"].sum() == 100_000
    assert wf.filter(pl.col("profession_code") == "21")["count"].sum() == 74_600
    assert wf.filter(pl.col("profession_code") == "60")["count"].sum() == 598_900
    assert wf.filter(pl.col("profession_code") == "70")["count"].sum() == 105_658
    assert wf.filter(pl.col("kind") == "pharmacist_biologist")["count"].item() == 6_731
    # count_per_100k consistent with the INSEE population
    pop = (
        ref.load("population_age_sex")
        .filter(pl.col("area") == "FR")
        .group_by("year")
        .agg(pl.col("population").sum())
    )
    popd = dict(zip(pop["year"], pop["population"], strict=True))
    for name in ("workforce", "organization_counts"):
        for r in ref.load(name).iter_rows(named=True):
            assert r["count_per_100k"] == pytest.approx(
                r["count"] / popd[r["population_year"]] * 1e5, rel=1e-3
            )


def test_organization_counts():
    oc = ref.load("organization_counts")
    assert set(oc["facility_type_code"]) <= set(ref.load("facility_types")["facility_type_code"])
    assert set(oc["practice_setting_code"]) <= set(ref.load("practice_settings")["practice_setting_code"])
    hosp = oc.filter(pl.col("facility_type_code").is_in(["SA01", "SA03", "SA04"]))["count"].sum()
    assert hosp == 2_962


def test_mes_activation_curve():
    m = ref.load("mes_activation").sort("date")
    assert m["date"].is_sorted()
    assert m["activated_share"].is_sorted()
    last = m.row(-1, named=True)
    assert last["activated_share"] * 69_081_996 == pytest.approx(24e6, rel=0.01)


def test_mes_rollout_covers_every_department_in_numbering_order():
    """The 2022 notifications ran from 31 Jan to 28 Mar by department number (esante-occitanie calendar): every
    resident department has its own window, none outside the national span, each starting no earlier than the
    department before it (the pilot departments of 2021 aside)."""
    rollout = ref.load("mes_rollout")
    national = rollout.filter(pl.col("department") == "*").row(0, named=True)
    assert (national["notification_start"], national["notification_end"]) == (
        dt.date(2022, 1, 31),
        dt.date(2022, 3, 28),
    )
    listed = rollout.filter(pl.col("department") != "*")
    residents = set(ref.load("population_department_age_sex")["department"])
    assert residents <= set(listed["department"])
    waves = listed.filter(pl.col("notification_start") >= national["notification_start"])
    assert waves["notification_end"].max() <= national["notification_end"]
    assert (waves["notification_end"] >= waves["notification_start"]).all()
    order = waves.with_columns(
        pl.col("department")
        .str.replace("2A", "20.1")
        .str.replace("2B", "20.2")
        .cast(pl.Float64)
        .alias("rank")
    ).sort("rank")
    assert order["notification_start"].is_sorted()
    pilots = listed.filter(pl.col("notification_end") < national["notification_start"])
    assert set(pilots["department"]) == {"31", "44", "80"}


def test_required_parameters():
    for key in (
        "foreign_born_share",
        "born_in_residence_department_share",
        "nia_share_of_foreign_born",
        "used_name_share_women_over_25",
        "gp_declared_share_adults",
        "gp_declared_share_children",
        "mes_opposition_share",
        "mes_closure_share",
        "mes_generalisation_year",
    ):
        ref.parameter(key)
    assert ref.parameter("foreign_born_share") == pytest.approx(0.131)
    assert ref.parameter("mes_generalisation_year") == 2022


@pytest.mark.parametrize("pathology", ref.load("pathologies")["pathology"].to_list())
def test_national_prevalence_reproduces_published_figure(pathology):
    """pathology_prevalence weighted by the INSEE 2025 FR population gives pathologies.prevalence (4 digits)."""
    target = ref.load("pathologies").filter(pl.col("pathology") == pathology)["prevalence"].item()
    pop = ref.load("population_age_sex").filter((pl.col("year") == 2025) & (pl.col("area") == "FR"))
    curve = ref.load("pathology_prevalence").filter(pl.col("pathology") == pathology)
    joined = pop.join(curve, on="sex").filter(
        (pl.col("age") >= pl.col("age_min")) & (pl.col("age") <= pl.col("age_max"))
    )
    cases = (joined["population"] * joined["prevalence"]).sum()
    assert cases / pop["population"].sum() == pytest.approx(target, rel=5e-4)


def test_workforce_rules_cover_every_kind_and_curves_rise():
    kinds = set(ref.load("workforce")["kind"])
    assert set(ref.load("workforce_rules")["kind"]) == kinds
    assert ref.load("workforce_rules").filter(pl.col("gp_eligible")).height >= 1
    for _, curve in ref.load("dmp_equipment").sort("date").group_by("applies_to"):
        shares = curve["equipped_share"].to_list()
        assert shares == sorted(shares) and shares[0] >= 0 and shares[-1] <= 1
    facility = set(ref.load("facility_types")["facility_type_code"])
    sectors = set(ref.load("facility_types")["sector"])
    assert set(ref.load("dmp_equipment")["applies_to"]) <= facility | sectors
    assert set(ref.load("facility_types")["practice_setting_code"]) <= set(
        ref.load("practice_settings")["practice_setting_code"]
    )


def test_document_rule_and_upload_types_are_known_document_types():
    types = set(ref.load("document_types")["type_code"])
    assert set(ref.load("document_rules")["type_code"]) <= types
    assert set(ref.load("patient_uploads")["type_code"]) <= types
    assert {"REMB", "60591-5"} <= types  # fed by the Assurance Maladie / the médecin traitant
    feeding_types = set(ref.load("feeding")["type_code"]) - {"*"}
    assert feeding_types <= types


def test_identity_qualification_curves_rise_and_follow_the_structures():
    """Each (facility type, sector, step) curve strictly rises (its inverse gives each record's day) and every
    curve has both steps; a facility type's own curve is in that type's sector, and every care sector has a
    default (*) curve."""
    table = ref.load("identity_qualification").sort("date")
    curves = table.group_by("facility_type_code", "sector", "step", maintain_order=True).agg("share")
    for ft, sector, step, shares in curves.iter_rows():
        assert all(b > a for a, b in itertools.pairwise(shares)), (ft, sector, step)
    steps = curves.group_by("facility_type_code", "sector").agg(pl.col("step").sort())
    assert all(s == ["retrieved", "validated"] for s in steps["step"].to_list())
    sector_of = dict(ref.load("facility_types").select("facility_type_code", "sector").iter_rows())
    for ft, sector in steps.select("facility_type_code", "sector").iter_rows():
        assert ft == "*" or sector_of[ft] == sector, (ft, sector)
    defaults = set(steps.filter(pl.col("facility_type_code") == "*")["sector"])
    assert defaults == set(ref.codes("sectors", care=True))


def test_identity_statuses_are_the_four_rniv_combinations():
    """PROV neither step, VALI validated only, RECUP retrieved only, QUAL both: only QUAL may share the INS."""
    table = ref.load("identity_statuses")
    flags = {
        c: (r, v, s)
        for c, r, v, s in table.select(
            "code", "ins_retrieved", "identity_validated", "ins_shareable"
        ).iter_rows()
    }
    assert flags == {
        "PROV": (False, False, False),
        "VALI": (False, True, False),
        "RECUP": (True, False, False),
        "QUAL": (True, True, True),
    }


def test_pathology_departments_name_known_codes():
    rows = ref.load("pathology_departments")
    assert set(rows["pathology"]) <= set(ref.load("pathologies")["pathology"])
    assert set(rows["department"]) <= set(ref.load("departments")["code"])
    assert (rows["factor"] > 0).all()
