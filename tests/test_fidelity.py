"""Fidelity scorecard: passes at a test-friendly size (tolerances widened for the sample), catches a change."""

from __future__ import annotations

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
