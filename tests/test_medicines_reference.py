"""Checks of the medicines reference table (WHO ATC level-5 codes and their usual French presentations)."""

import polars as pl
import pytest

from dmpdata import reference as ref

ATC5 = r"^[A-Z]\d{2}[A-Z]{2}\d{2}$"


@pytest.fixture(scope="module")
def med() -> pl.DataFrame:
    return ref.load("medicines")


def test_atc_code_format(med):
    assert med["atc_code"].str.contains(ATC5).all(), med.filter(~pl.col("atc_code").str.contains(ATC5))


def test_atc_class_is_code_prefix(med):
    assert (med["atc_class"] == med["atc_code"].str.slice(0, 5)).all()


def test_unique_codes(med):
    assert med["atc_code"].n_unique() == med.height


def test_positive_numbers(med):
    assert med["daily_units"].is_not_null().all() and (med["daily_units"] > 0).all()
    assert med["units_per_box"].is_not_null().all() and (med["units_per_box"] > 0).all()


def test_non_empty_text(med):
    for col in ["substance", "atc_name_who", "class_label", "form", "unit", "source", "dosing_source"]:
        assert med[col].is_not_null().all(), col
        assert (med[col].str.strip_chars().str.len_chars() > 0).all(), col


def test_evidence_values(med):
    allowed = {"verified", "inferred", "assumption"}
    assert set(med["evidence"]) <= allowed
    assert set(med["dosing_evidence"]) <= allowed


def test_brief_substances_covered(med):
    must = {
        "A10BA02",
        "A10BB09",
        "A10BB12",
        "A10BH01",
        "A10BH02",
        "A10BJ02",
        "A10BJ05",
        "A10BJ06",
        "A10BK01",
        "A10BK03",
        "A10AE04",
        "A10AE05",
        "A10AB05",
        "A10AB04",
        "C09AA05",
        "C09AA04",
        "C09AA02",
        "C09CA01",
        "C09CA03",
        "C09CA04",
        "C09CA06",
        "C08CA01",
        "C03AA03",
        "C03BA11",
        "C07AB07",
        "C07AB12",
        "C07AB02",
        "C07AG02",
        "C03CA01",
        "C03DA01",
        "C03DA04",
        "C09DX04",
        "C10AA05",
        "C10AA07",
        "C10AA01",
        "C10AX09",
        "B01AC06",
        "B01AC04",
        "B01AC24",
        "B01AF02",
        "B01AF01",
        "B01AE07",
        "B01AA12",
        "B01AA03",
        "C01BD01",
        "C01AA05",
        "R03AC02",
        "R03AC13",
        "R03AC12",
        "R03BB04",
        "R03BA02",
        "R03BA01",
        "R03BA05",
        "N06AB06",
        "N06AB10",
        "N06AB05",
        "N06AX16",
        "N06AX11",
        "N05AH03",
        "N05AX08",
        "N05AX12",
        "N05AN01",
        "N03AG01",
        "N06DA02",
        "N06DA03",
        "N06DX01",
        "N04BA02",
        "N04BC05",
        "N03AX14",
        "N03AX09",
        "L04AX03",
        "L04AB04",
        "A07EC02",
        "H03AA01",
        "M04AA01",
        "A02BC01",
        "A02BC05",
        "N02BE01",
        "M01AE01",
        "J01CA04",
        "J01CR02",
        "J01FA10",
        "J01FG01",
        "J05AR20",
    }
    assert must <= set(med["atc_code"]), must - set(med["atc_code"])
