"""Checks of the treatment_lines and acute_prescriptions reference tables."""

import re

import polars as pl
import pytest

from dmpdata import reference as ref

ATC = re.compile(r"^[A-Z]\d{2}[A-Z]{2}(\d{2})?$")
LOINC = re.compile(r"^\d{1,5}-\d$")


@pytest.fixture(scope="module")
def lines() -> pl.DataFrame:
    return ref.load("treatment_lines")


@pytest.fixture(scope="module")
def acute() -> pl.DataFrame:
    return ref.load("acute_prescriptions")


def test_pathologies_known(lines):
    known = set(ref.load("pathologies")["pathology"])
    assert set(lines["pathology"]) <= known, set(lines["pathology"]) - known


def test_lines_start_at_one_and_are_contiguous(lines):
    for (pathology,), group in lines.group_by("pathology"):
        found = sorted(set(group["line"]))
        assert found == list(range(1, len(found) + 1)), (pathology, found)


def test_roles(lines):
    assert set(lines["role"]) <= {"main", "add_on", "replace"}


@pytest.mark.parametrize("table", ["treatment_lines", "acute_prescriptions"])
def test_codes_shares_and_sources(table):
    df = ref.load(table)
    bad = [c for c in df["atc_class"] if not ATC.match(c)]
    assert not bad, bad
    assert df["share"].null_count() == 0
    assert df["share"].is_between(0, 1).all()
    assert (df["source"].fill_null("").str.strip_chars().str.len_chars() > 0).all()


def test_monitoring_loinc_format(lines):
    codes = [c for c in lines["monitoring_loinc"] if c]
    assert all(LOINC.match(c) for c in codes), codes


def test_acute_encounter_kinds_known(acute):
    known = set(ref.load("encounter_kinds")["kind"])
    assert set(acute["encounter_kind"]) <= known
    assert (acute["days"] > 0).all()
