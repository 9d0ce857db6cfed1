"""Condition codes: valid CIM-10 codes, known pathologies, C80 only a minority code of cancer_other."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

import polars as pl
import pytest

REF = Path(str(files("dmpdata.reference")))
CIM10 = Path(__file__).parent / "data" / "cim10_codes.csv"
FORMAT = re.compile(r"^[A-Z][0-9]{2}(\.[0-9])?$")  # E11 or N18.5: 3-character category, or 4 with a dot
C80_MAX_SHARE = 0.10


def _read(ref: Path, stem: str) -> pl.DataFrame:
    return pl.read_csv(ref / f"{stem}.csv", infer_schema=False)


def invalid_codes(ref: Path) -> list[str]:
    """Condition codes written other than as 3 or 4 (dotted) characters, or absent from the CIM-10 list."""
    known = set(pl.read_csv(CIM10, infer_schema=False)["code"])
    codes = _read(ref, "conditions")["condition_code"]
    return sorted(c for c in codes if not FORMAT.match(c) or c not in known)


def unknown_pathologies(ref: Path) -> list[str | None]:
    """Pathologies of the conditions with no row in the pathologies table."""
    pathologies = _read(ref, "pathologies")
    conditions = _read(ref, "conditions")
    if "pathology" not in conditions.columns:
        return [None]
    return sorted(set(conditions["pathology"]) - set(pathologies["pathology"]), key=str)


def c80_shares(ref: Path) -> dict[str, float]:
    """Per sex, the share of C80's weight among the codes of cancer_other a person of that sex can be coded with."""
    conditions = _read(ref, "conditions").with_columns(pl.col("weight").cast(pl.Float64))
    cancer_other = conditions.filter(pl.col("pathology") == "cancer_other")
    shares = {}
    for sex in ("F", "M"):
        eligible = cancer_other.filter(pl.col("sex").is_in([sex, "any"]))
        c80 = eligible.filter(pl.col("condition_code") == "C80")["weight"].sum()
        shares[sex] = c80 / eligible["weight"].sum() if c80 else 0.0
    return shares


def test_condition_codes_are_cim10_codes():
    assert invalid_codes(REF) == [], (
        "write CIM-10 codes as E11 or N18.5 and check them in tests/data/cim10_codes.csv"
    )


def test_condition_codes_are_unique():
    codes = _read(REF, "conditions")["condition_code"]
    assert codes.is_duplicated().sum() == 0, sorted(set(codes.filter(codes.is_duplicated())))


def test_condition_pathologies_have_a_pathology_row():
    assert unknown_pathologies(REF) == [], "every conditions.pathology needs a row in pathologies.csv"


def test_condition_sex_and_weight():
    conditions = _read(REF, "conditions")
    assert set(conditions["sex"]) <= {"F", "M", "any"}
    assert (conditions["weight"].cast(pl.Float64) > 0).all()


@pytest.mark.parametrize("sex", ["F", "M"])
def test_c80_is_a_minority_of_cancer_other(sex):
    conditions = _read(REF, "conditions")
    assert set(conditions.filter(pl.col("condition_code") == "C80")["pathology"]) <= {"cancer_other"}
    assert c80_shares(REF)[sex] < C80_MAX_SHARE, (
        "C80 (siège non précisé) must stay a minority code of cancer_other"
    )


def test_the_checks_catch_bad_rows(tmp_path):
    """The checks above can fail: an unknown code, a dot-less sub-code, an orphan pathology and a C80 majority."""
    pathologies = _read(REF, "pathologies").filter(pl.col("pathology") != "hiv")
    pathologies.write_csv(tmp_path / "pathologies.csv")
    bad = pl.DataFrame(
        {
            "condition_code": ["E11", "C98", "N185", "B24", "C80", "C43"],
            "pathology": [
                "diabetes_type2",
                "diabetes_type2",
                "chronic_kidney_disease",
                "hiv",
                "cancer_other",
                "cancer_other",
            ],
            "sex": ["any"] * 6,
            "weight": ["1", "1", "1", "1", "3", "1"],
        }
    )
    bad.write_csv(tmp_path / "conditions.csv")
    assert invalid_codes(tmp_path) == ["C98", "N185"]
    assert unknown_pathologies(tmp_path) == ["hiv"]
    assert c80_shares(tmp_path)["F"] == pytest.approx(0.75)
