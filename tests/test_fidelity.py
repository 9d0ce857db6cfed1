"""Fidelity scorecard: passes at a test-friendly size (tolerances widened for the sample), catches a change."""

from __future__ import annotations

import datetime as dt
import math

import duckdb
import polars as pl
import pytest
from typer.testing import CliRunner

import dmpdata
from dmpdata import fidelity
from dmpdata.cli import app


def test_targets_are_well_formed():
    table = fidelity.targets()
    assert table.height >= 15
    assert table["target"].n_unique() == table.height
    assert set(table["tolerance_kind"]) <= {"absolute", "relative"}
    assert set(table["widening"]) <= {"binomial", "per_person", "per_structure"}
    assert table["source"].str.len_chars().min() > 10
    for metric in table["metric"]:
        assert (fidelity.HERE / f"{metric}.sql").is_file(), metric


@pytest.fixture(scope="module")
def sample(demo):
    # The session's demo dataset (50,000 patients): tolerances widen by 3 standard errors of each metric's own
    # sample (binomial for shares, the per-person standard error for volumes; see datasets/calibration/README.md).
    # Below ~20,000 patients the few structures per department (equipped or not) add variance these errors miss.
    return demo


def test_scorecard_passes_at_a_test_friendly_size(sample):
    con = sample.duckdb()
    card = fidelity.scorecard(con)
    assert card.filter(~card["passed"]).height == 0, card.filter(~card["passed"])
    diagnostics = fidelity.structural(con)
    assert diagnostics["passed"].all(), diagnostics.filter(~diagnostics["passed"])
    assert set(diagnostics["category"]) == {
        "key uniqueness",
        "referential integrity",
        "category adherence",
        "date-range adherence",
    }


def test_halving_diabetes_prevalence_fails_its_target(tmp_path):
    scenario = dmpdata.load_scenario("demo").with_overrides(patients=4000, prevalence_factor={"E11": 0.5})
    ds = dmpdata.generate(scenario, out=tmp_path / "half")
    card = fidelity.scorecard(ds.duckdb())
    failed = set(card.filter(~card["passed"])["target"])
    assert "type2_diabetes_prevalence" in failed
    result = CliRunner().invoke(app, ["fidelity", str(ds.path)])
    assert result.exit_code == 1
    assert "FAIL" in result.output


def test_cli_passes_on_a_faithful_dataset(sample):
    result = CliRunner().invoke(app, ["fidelity", str(sample.path)])
    assert result.exit_code == 0, result.output
    assert "targets pass" in result.output


# ------------------------------------------------------------------------------------------------ metrics on hand-built tables

# Period 2024-01-01 .. 2025-12-31. Alive at the start: 1, 2, 3, 4, 7, 8, 9, 10 (5 died in 2023, 6 born in 2024).
_PATIENTS = [
    # id, sex, birth, death
    (1, "F", "1950-01-01", None),  # 74: type 2 diabetes (ALD since 2011), heart failure, hypertension
    (
        2,
        "M",
        "1960-06-15",
        None,
    ),  # 63: type 2 diabetes from 2024-06-01 only (incident: not prevalent at the start)
    (3, "F", "1940-03-01", "2024-05-01"),  # 83: breast cancer, coronary disease; dies in the period
    (4, "M", "1980-01-01", None),  # 44: type 1 diabetes
    (5, "F", "2000-01-01", "2023-06-01"),  # died before the period (type 1 diabetes)
    (6, "M", "2024-03-01", None),  # born in the period
    (7, "M", "1975-01-01", "2025-02-01"),  # 49: dies in the period; COPD coded after the death only
    (8, "F", "1930-01-01", None),  # 94: type 2 diabetes, colorectal cancer, stroke on the eve of the period
    (9, "F", "2015-05-01", None),  # child of 8
    (10, "M", "2010-01-01", None),  # child of 13
]
_CONDITIONS = [
    # patient, pathology, onset, ald, ALD number, ALD start
    (1, "diabetes_type2", "2010-01-01", True, 8, "2011-01-01"),
    (1, "heart_failure", "2020-01-01", True, 5, "2020-06-01"),
    (1, "hypertension", "2005-01-01", False, None, None),
    (2, "diabetes_type2", "2024-06-01", True, 8, "2024-07-01"),  # ALD within the period's first year
    (3, "cancer_breast", "2015-01-01", False, None, None),
    (3, "coronary_disease", "2018-01-01", False, None, None),
    (4, "diabetes_type1", "2000-01-01", False, None, None),
    (4, "other_long_term", "2019-01-01", True, 31, "2019-02-01"),  # ALD 31: off the list
    (5, "diabetes_type1", "2010-01-01", True, 8, "2010-01-01"),
    (7, "copd", "2025-06-01", False, None, None),
    (8, "diabetes_type2", "2000-01-01", False, None, None),
    (8, "cancer_colorectal", "2022-01-01", False, None, None),
    (8, "stroke", "2023-12-31", True, 1, "2025-03-01"),  # ALD after the period's first year
]
_GROUPS = {
    "diabetes_type1": "diabetes",
    "diabetes_type2": "diabetes",
    "heart_failure": "cardio_neurovascular",
    "coronary_disease": "cardio_neurovascular",
    "stroke": "cardio_neurovascular",
    "hypertension": "vascular_risk",
    "cancer_breast": "cancer",
    "cancer_colorectal": "cancer",
    "copd": "respiratory",
    "other_long_term": "other_ald",
}
_DECLARATIONS = [
    # patient, from, until
    (1, "2015-01-01", None),
    (2, "2020-01-01", None),
    (3, "2019-01-01", "2024-05-01"),
    (4, "2024-06-01", None),  # declared after the start
    (9, "2016-01-01", "2023-12-31"),  # ended the day before the start
    (10, "2012-01-01", None),
]


def _date(s):
    return None if s is None else dt.date.fromisoformat(s)


def _hand_built(
    patients, *, start="2024-01-01", end="2025-12-31", mortality=None
) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    frames = {
        "patients": pl.DataFrame(
            [(i, s, _date(b), _date(d)) for i, s, b, d in patients],
            schema={"patient_id": pl.Int64, "sex": pl.String, "birth_date": pl.Date, "death_date": pl.Date},
            orient="row",
        ),
        "conditions": pl.DataFrame(
            [(p, c, _date(o), a, n, _date(s)) for p, c, o, a, n, s in _CONDITIONS],
            schema={
                "patient_id": pl.Int64,
                "pathology": pl.String,
                "onset_date": pl.Date,
                "ald": pl.Boolean,
                "ald_number": pl.Int8,
                "ald_start_date": pl.Date,
            },
            orient="row",
        ),
        "gp_declarations": pl.DataFrame(
            [(p, _date(f), _date(u)) for p, f, u in _DECLARATIONS],
            schema={"patient_id": pl.Int64, "declared_from": pl.Date, "declared_until": pl.Date},
            orient="row",
        ),
        "ref_pathologies": pl.DataFrame({"pathology": list(_GROUPS), "group": list(_GROUPS.values())}),
        "dmpdata_meta": pl.DataFrame({"period_start": [_date(start)], "period_end": [_date(end)]}),
        "ref_mortality": mortality
        if mortality is not None
        else pl.DataFrame({"age": [0], "sex": ["F"], "qx": [0.0]}),
    }
    for name, frame in frames.items():
        con.register("_f", frame)
        con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM _f')
        con.unregister("_f")
    return con


@pytest.fixture(scope="module")
def hand_built():
    con = _hand_built(_PATIENTS)
    yield con
    con.close()


@pytest.mark.parametrize(
    ("name", "params", "value", "n"),
    [
        # diabetes at the start: 1, 4, 8 (2 becomes diabetic in June 2024) of the 8 alive
        ("pathology_group_prevalence", {"group": "diabetes"}, 3 / 8, 8),
        ("pathology_group_prevalence", {"group": "cancer"}, 2 / 8, 8),  # 3, 8
        (
            "pathology_group_prevalence",
            {"group": "cardio_neurovascular"},
            3 / 8,
            8,
        ),  # 1, 3, 8 (stroke on 12-31)
        ("pathology_group_prevalence", {"group": "respiratory"}, 0.0, 8),  # 7's COPD is coded after the start
        ("pathology_prevalence", {"pathology": "diabetes_type2"}, 2 / 8, 8),  # 1, 8
        ("pathology_prevalence", {"pathology": "heart_failure"}, 1 / 8, 8),
        ("type2_diabetes_prevalence", {}, 2 / 8, 8),
        ("heart_failure_adult_prevalence", {}, 1 / 6, 6),  # adults alive: 1, 2, 3, 4, 7, 8
        # ALD of the list held in the period's first year: 1 (since 2011), 2 (July 2024); not 4 (ALD 31), 8 (2025),
        # 5 (died before)
        ("ald_share", {}, 2 / 8, 8),
        ("diabetics_with_cardio_share", {}, 2 / 3, 3),  # diabetics 1, 4, 8: 1 and 8 have a cardio pathology
        # with one of the three groups: 1, 3, 4, 8; with two: 1 (diabetes + cardio), 3 (cancer + cardio), 8 (all three)
        ("two_of_three_share", {}, 3 / 4, 4),
        # aged 65+: 1 (3 pathologies), 3 (2), 8 (3)
        ("pathology_count_share", {"age_min": "65", "age_max": "120", "k": "3"}, 2 / 3, 3),
        ("pathology_count_share", {"age_min": "65", "age_max": "120", "k": "2"}, 1.0, 3),
        ("pathology_count_share", {"age_min": "0", "age_max": "64", "k": "1"}, 1 / 5, 5),  # 2, 4, 7, 9, 10: 4
        ("decedents_with_pathology_share", {}, 1 / 2, 2),  # 3 (cancer, coronary) and 7 (COPD after the death)
        # aged 17+ born before the start: 1, 2, 3, 4, 5, 7, 8; declaration in force on 2024-01-01: 1, 2, 3
        ("gp_declared_share", {"age_min": "17", "age_max": "150"}, 3 / 7, 7),
        ("gp_declared_share", {"age_min": "0", "age_max": "15"}, 1 / 2, 2),  # 9 (ended the day before), 10
    ],
)
def test_metric_on_hand_built_tables(hand_built, name, params, value, n):
    result = fidelity.metric(hand_built, name, **params)
    assert result[0] == pytest.approx(value)
    assert result[1] == n


def test_deaths_vs_insee_counts_person_years_by_age_and_sex():
    # force of mortality 0.01 × (age + 1) for women, 0.02 × (age + 1) for men, over 2024 (366 days)
    ages = list(range(105))
    qx = [1 - math.exp(-0.01 * (a + 1)) for a in ages] + [1 - math.exp(-0.02 * (a + 1)) for a in ages]
    mortality = pl.DataFrame({"age": ages * 2, "sex": ["F"] * 105 + ["M"] * 105, "qx": qx})
    people = [
        (1, "F", "1950-07-01", None),  # 73 for 182 days (to 1 July), then 74 for 184 days
        (2, "M", "2000-01-01", "2024-07-01"),  # 24 from 1 January to death: 182 days
        (3, "F", "2024-10-01", None),  # born in the period: 0 for 92 days
        (4, "M", "1910-03-01", None),  # 113 then 114: the table's last age, 104, all year
        (5, "F", "1990-01-01", "2023-05-01"),  # died before the period: no time, no death
    ]
    con = _hand_built(people, start="2024-01-01", end="2024-12-31", mortality=mortality)
    expected = (182 * 0.74 + 184 * 0.75 + 182 * 0.50 + 92 * 0.01 + 366 * 2.10) / 365.25
    value, n, se = fidelity.metric(con, "deaths_vs_insee")
    assert n == pytest.approx(expected)
    assert value == pytest.approx(1 / expected)  # one death in the period (2)
    assert se == pytest.approx(math.sqrt(1) / expected)
