"""Checks of the document, access and observation reference tables (dmp-reference §2-§4, §6.3).

Their keys are checked with every other table's in test_reference.py (KEYS)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from dmpdata import reference as ref

PROFESSIONS = {"10", "21", "40", "50", "60", "70", "80", "91", "92"}


def x16_types() -> pl.DataFrame:
    return ref.load("document_types").filter(pl.col("in_x16"))


def test_document_types_classes_and_formats():
    dt = ref.load("document_types")
    assert dt.height >= 100
    assert set(dt["type_system"]) <= {"LOINC", "TRE_A05", "ASTM"}
    classes = set(ref.load("document_classes")["class_code"])
    x16 = x16_types()
    assert x16["class_code"].null_count() == 0
    assert set(x16["class_code"]) <= classes
    assert dt.filter(~pl.col("in_x16"))["class_code"].null_count() == dt.filter(~pl.col("in_x16")).height
    formats = set(ref.load("format_codes")["format_code"])
    assert set(dt["structured_format_code"].drop_nulls()) <= formats
    assert set(dt["alt_format_code"].drop_nulls()) <= formats
    # N1 formats are never a type's structured model
    n1 = set(ref.load("format_codes").filter(pl.col("level") == "N1")["format_code"])
    assert not set(dt["structured_format_code"].drop_nulls()) & n1


def test_document_types_spot_checks():
    dt = {r["type_code"]: r for r in ref.load("document_types").iter_rows(named=True)}
    assert dt["11490-0"]["class_code"] == "10"
    assert dt["11490-0"]["structured_format_code"] == "urn:asip:ci-sis:ldl-ses:2017"
    assert dt["18761-7"]["structured_format_code"] == "urn:asip:ci-sis:ldl-ees:2017"
    assert dt["11502-2"]["structured_format_code"] == "urn:ihe:lab:xd-lab:2008"
    assert (
        dt["REMB"]["class_code"] == "60" and dt["REMB"]["structured_format_code"] == "urn:asip:ci-sis:hr:2019"
    )
    assert dt["DOCPAT08"]["class_code"] == "11"
    assert dt["60591-5"]["class_code"] == "11"
    assert dt["60591-5"]["structured_format_code"] == "urn:asip:ci-sis:vsm:2012"
    assert dt["IMG-KOS"]["structured_format_code"] == "1.2.840.10008.5.1.4.1.1.88.59"
    assert dt["11526-1"]["in_x16"] and dt["11526-1"]["class_code"] == "10"
    assert dt["34112-3"]["class_code"] == "10" and dt["34112-3"]["structured_format_code"] is None
    assert dt["80565-5"]["class_code"] == "45"
    assert not dt["PIECE-IDENTITE"]["in_x16"] and not dt["E1762"]["in_x16"]
    assert dt["E1762"]["type_system"] == "ASTM"


def test_code_lists():
    assert set(ref.load("document_classes")["class_code"]) == {
        "10",
        "11",
        "31",
        "42",
        "43",
        "44",
        "45",
        "52",
        "60",
        "90",
        "95",
        "99",
    }
    assert ref.load("document_classes")["matrix_category"].sum() == 11
    fc = ref.load("format_codes")
    levels = dict(fc.select("format_code", "level").iter_rows())
    for code in (
        "urn:ihe:iti:xds-sd:pdf:2008",
        "urn:ihe:iti:xds-sd:text:2008",
        "urn:ihe:iti-fr:xds-sd:jpeg:2010",
        "urn:ihe:iti-fr:xds-sd:rtf:2010",
        "urn:ihe:iti-fr:xds-sd:tiff:2010",
    ):
        assert levels[code] == "N1"
    assert levels["urn:asip:ci-sis:vsm:2012"] == "N3"
    assert levels["1.2.840.10008.5.1.4.1.1.88.59"] == "other"
    assert levels["urn:asipSante:modelesHorsProfils:2011"] == "other"
    cc = ref.load("confidentiality_codes")
    assert set(cc.filter(pl.col("kind") == "hl7")["code"]) == {"N", "R", "V"}
    assert set(cc.filter(pl.col("kind") == "dmp_visibility")["code"]) == {
        "MASQUE_PS",
        "INVISIBLE_PATIENT",
        "INVISIBLE_REPRESENTANTS_LEGAUX",
    }
    assert set(ref.load("access_modes")["code"]) == {"normal", "bris_de_glace", "centre_15"}
    assert {"DIRECTE", "INDIRECTE"} <= set(ref.load("auth_modes")["code"])
    ch = ref.load("channels")
    assert set(ch["code"]) == {"lps", "web_ps", "mes_web", "mes_app", "am_system"}
    assert set(ch["actor_kind"]) == {"professional", "patient", "assurance_maladie"}


def test_access_matrix_shape():
    am = ref.load("access_matrix")
    types = set(x16_types()["type_code"])
    assert set(am["profession_code"]) == PROFESSIONS
    assert set(am["type_code"]) == types
    assert am.height == len(PROFESSIONS) * len(types)
    assert am["allowed"].null_count() == 0
    assert set(ref.load("access_matrix")["profession_code"]) <= set(
        ref.load("professions")["profession_code"]
    )
    cls = dict(x16_types().select("type_code", "class_code").iter_rows())
    assert all(cls[t] == c for t, c in am.select("type_code", "class_code").iter_rows())


def test_access_matrix_rules():
    am = ref.load("access_matrix")
    med = am.filter(pl.col("profession_code") == "10")
    assert set(med.filter(~pl.col("allowed"))["type_code"]) == {"ATTEST-RESID"}
    assert not am.filter(pl.col("type_code") == "ATTEST-RESID")["allowed"].any()
    # verified statements of the sources (information-dentaire, infirmiers.com)
    cell = {(p, t): a for p, t, a in am.select("profession_code", "type_code", "allowed").iter_rows()}
    for t in ("80788-3", "75496-0", "83981-1", "83901-9", "68599-0"):
        assert cell[("40", t)] is False
    for t in ("75496-0", "68599-0", "83901-9", "68817-6", "89601-9"):
        assert cell[("60", t)] is False
    assert cell[("60", "PROT_ALD")] and cell[("60", "83981-1")]
    assert cell[("21", "11502-2")] and cell[("21", "57833-6")]
    # each profession reads most types
    share = am.group_by("profession_code").agg(pl.col("allowed").mean())
    assert share["allowed"].min() > 0.6


def test_access_matrix_evidence_kept_from_shared_csv():
    am = ref.load("access_matrix")
    counts = dict(am.group_by("evidence").len().iter_rows())
    # 85 verified cells in shared/data/dmp-access-matrix.csv, minus the 3 dropped rows' médecin cells
    # (CR de prévention: no J07 code; ATTEST-VITALE and PIECE-IDENTITE: not in ASS_X16)
    assert counts["verified"] == 82
    assert counts["inferred"] >= 75
    assert am.filter(pl.col("evidence") == "verified")["origin"].is_in(["shared", "shared_expanded"]).all()
    completed = am.filter(pl.col("origin") == "completed")
    assert (completed["evidence"] == "assumption").all()
    assert completed["note"].str.contains(r"^completed by rule R[123]$").all()
    matched = am.filter(pl.col("note").str.contains("type code matched by label"))
    assert set(matched["type_code"]) == {
        "34112-3",
        "15507-7",
        "77436-4",
        "68599-0",
        "83901-9",
        "75496-0",
        "83981-1",
        "80788-3",
        "68817-6",
        "89601-9",
        "47420-5",
    }
    assert set(am.filter(pl.col("origin") == "shared_expanded")["type_code"]) == {"80565-5"}


def test_mandatory_documents():
    md = ref.load("mandatory_documents")
    assert set(md["type_code"]) <= set(ref.load("document_types")["type_code"])
    assert set(md["type_code"]) <= set(x16_types()["type_code"])
    assert set(md["who"]) <= {"medecin", "biologiste", "etablissement", "medecin_traitant"}
    start = {r["type_code"]: r["obligation_start"] for r in md.sort("obligation_start").iter_rows(named=True)}
    assert start["18748-4"] == dt.date(2022, 12, 31)
    assert start["57833-6"] == dt.date(2022, 12, 31)
    assert start["34874-8"] == dt.date(2023, 12, 31)
    assert start["PRESC-BIO"] == dt.date(2023, 12, 31)
    for t in ("55115-0", "89601-9", "96349-6"):
        row = md.filter(pl.col("type_code") == t).row(0, named=True)
        assert row["obligation_start"] == dt.date(2024, 12, 31) and row["evidence"] == "assumption"
    assert {"60591-5", "11490-0", "11502-2"} <= set(md["type_code"])


def test_observation_types():
    ob = ref.load("observation_types")
    assert (ob["min_value"] < ob["max_value"]).all()
    for col in ("mean_M", "mean_F"):
        assert ob[col].null_count() == 0
        assert ((ob[col] > ob["min_value"]) & (ob[col] < ob["max_value"])).all(), col
    assert (ob["sd_between"] > 0).all() and (ob["sd_within"] > 0).all()
    assert (ob["sd_within"] <= ob["sd_between"]).all()
    assert set(ob["distribution"]) <= {"normal", "lognormal"}
    assert (ob.filter(pl.col("distribution") == "lognormal")["sd_between"] < 1.5).all()
    pathologies = set(ref.load("pathologies")["pathology"])
    assert set(ob["population"]) - {"default"} <= pathologies
    pairs = set(ob.select("loinc_code", "population").iter_rows())
    required = {
        ("4548-4", "default"),
        ("4548-4", "diabetes_type2"),
        ("14682-9", "default"),
        ("14682-9", "chronic_kidney_disease"),
        ("62238-1", "default"),
        ("32294-1", "default"),
        ("32294-1", "diabetes_type2"),
        ("2093-3", "default"),
        ("2089-1", "default"),
        ("2085-9", "default"),
        ("2571-8", "default"),
        ("53049-3", "default"),
        ("53049-3", "diabetes_type2"),
        ("8480-6", "default"),
        ("8480-6", "hypertension"),
        ("8462-4", "default"),
        ("8462-4", "hypertension"),
    }
    assert required <= pairs
    # every loinc has a default row; units are consistent per code
    assert set(ob["loinc_code"]) == set(ob.filter(pl.col("population") == "default")["loinc_code"])
    assert ob.group_by("loinc_code").agg(pl.col("unit").n_unique())["unit"].max() == 1
    units = dict(ob.select("loinc_code", "unit").unique().iter_rows())
    assert units["4548-4"] == "%" and units["14682-9"] == "umol/L" and units["8480-6"] == "mm[Hg]"
    assert units["2089-1"] == "g/L" and units["32294-1"] == "mg/mmol" and units["53049-3"] == "g/L"
    egfr = ob.filter(pl.col("loinc_code") == "62238-1")
    assert egfr["derived_from"].str.starts_with("14682-9").all()
    # diabetics have higher HbA1c and glucose than the default population
    lvl = {(r["loinc_code"], r["population"]): r["mean_M"] for r in ob.iter_rows(named=True)}
    assert lvl[("4548-4", "diabetes_type2")] > lvl[("4548-4", "default")]
    assert lvl[("53049-3", "diabetes_type2")] > lvl[("53049-3", "default")]
    assert lvl[("14682-9", "chronic_kidney_disease")] > lvl[("14682-9", "default")]


def _unit_agrees_with_loinc(pairs: set[tuple[str, str]]) -> dict[tuple[str, str], bool]:
    """For each (LOINC code, UCUM unit): is it a row of loinc_properties whose (property, unit) is a row of
    loinc_property_units, i.e. does the unit express the kind of quantity the code measures?"""
    props = ref.load("loinc_properties")
    ok_units = set(ref.load("loinc_property_units").select("property", "unit").iter_rows())
    known = {
        (c, u): (p, u) in ok_units for c, p, u in props.select("loinc_code", "property", "unit").iter_rows()
    }
    return {pair: known.get(pair, False) for pair in pairs}


def test_every_observation_unit_agrees_with_its_loinc_property():
    pairs = set(ref.load("observation_types").select("loinc_code", "unit").iter_rows())
    bad = [pair for pair, ok in _unit_agrees_with_loinc(pairs).items() if not ok]
    assert not bad, (
        f"(LOINC, unit) pairs without a matching row in loinc_properties/loinc_property_units: {bad}"
    )
    used = set(ref.load("loinc_properties").filter(pl.col("used")).select("loinc_code", "unit").iter_rows())
    assert used == pairs, "loinc_properties.used must name exactly the pairs observation_types generates"


def test_old_albumin_creatinine_pairs_are_rejected():
    """14959-1 and 9318-7 are mass ratios (MRto, mg/g): the mg/mmol French labs report needs 32294-1 (Rto)."""
    verdict = _unit_agrees_with_loinc({("14959-1", "mg/mmol"), ("9318-7", "mg/mmol"), ("32294-1", "mg/mmol")})
    assert verdict == {
        ("14959-1", "mg/mmol"): False,
        ("9318-7", "mg/mmol"): False,
        ("32294-1", "mg/mmol"): True,
    }
    props = {r["loinc_code"]: r for r in ref.load("loinc_properties").iter_rows(named=True)}
    assert props["14959-1"]["property"] == props["9318-7"]["property"] == "MRto"
    assert props["32294-1"]["property"] == "Rto"


def test_fasting_glucose_is_coded_with_a_timed_code():
    """A fasting glucose carries the ANS 'Glucose à jeun' code (53049-3), not 2345-7 (glucose, no timing)."""
    ob = ref.load("observation_types")
    codes = set(ob["loinc_code"])
    assert "2345-7" not in codes and "53049-3" in codes
    fasting = ob.filter(pl.col("label").str.contains("(?i)jeun|fasting"))
    assert set(fasting["loinc_code"]) == {"53049-3"}
    unused = set(ref.load("loinc_properties").filter(~pl.col("used"))["loinc_code"])
    assert not unused & codes
