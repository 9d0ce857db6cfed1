"""Conditions stage: prevalence by age and sex, co-occurrence, incidence, ALD rules and the weight on deaths."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import polars as pl
import pytest

from dmpdata import reference
from dmpdata.generators import conditions as stage
from dmpdata.generators.population import DAYS_PER_YEAR, EPOCH, _deaths
from dmpdata.rng import stream
from dmpdata.scenario import Scenario

N = 200_000


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return Scenario(name="t", patients=N, seed=7, start=dt.date(2021, 7, 1), end=dt.date(2026, 6, 30))


@pytest.fixture(scope="module")
def people(scenario) -> tuple[np.ndarray, np.ndarray]:
    """Birth day ordinals and sex of N people with the INSEE 2025 age × sex structure."""
    pop = reference.load("population_age_sex").filter((pl.col("year") == 2025) & (pl.col("area") == "FR"))
    rng = np.random.default_rng(1)
    pick = rng.choice(pop.height, N, p=(pop["population"] / pop["population"].sum()).to_numpy())
    age = pop["age"].to_numpy()[pick]
    male = (pop["sex"].to_numpy()[pick] == "M").astype(np.int64)
    birth = scenario.start.toordinal() - np.floor((age + rng.random(N)) * DAYS_PER_YEAR) - 1
    return birth, male


def _present(scenario, people, tables=None) -> np.ndarray:
    if tables is not None:
        stage._tables.cache_clear()
    birth, male = people
    return stage._prevalent(scenario, stream(3, "conditions", 0), birth, male)[0]


def _published(people, scenario) -> np.ndarray:
    birth, male = people
    age = stage._age_at_start(scenario, birth)
    curves = stage._curves(stage._tables().ids)
    return curves[:, male, age]


def test_prevalence_at_start_matches_the_published_curves(scenario, people):
    """Across the frailty, each pathology keeps its published prevalence (the cap at 1 is calibrated away)."""
    present = _present(scenario, people)
    expected = _published(people, scenario).mean(axis=1)
    observed = present.mean(axis=1)
    for pathology, e, o in zip(stage._tables().ids, expected, observed, strict=True):
        assert o == pytest.approx(e, abs=4 * np.sqrt(e * (1 - e) / N) + 1e-4), pathology


def _co_occurrence(present: np.ndarray, published: np.ndarray, a: int, b: int) -> float:
    """People with both a and b over the count expected if they were independent given age and sex."""
    both = (present[a] & present[b]).sum()
    return both / (published[a] * published[b]).sum()


def test_pathologies_co_occur_beyond_age_and_sex(scenario, people):
    """The shared frailty gathers pathologies on the same people: more people have two of them than age and sex
    alone explain. Drawn independently, the ratio would be 1 (checked below on the same draws without frailty)."""
    ids = stage._tables().ids
    pairs = [
        (ids.index(a), ids.index(b))
        for a, b in (("diabetes_type2", "heart_failure"), ("copd", "heart_failure"))
    ]
    published = _published(people, scenario)
    present = _present(scenario, people)
    for a, b in pairs:
        assert _co_occurrence(present, published, a, b) > 1.1, (ids[a], ids[b])

    independent = dataclasses.replace(stage._tables(), loading=np.zeros(len(ids)))
    birth, male = people
    rng = stream(3, "conditions", 0)
    m = stage._multipliers(independent.loading, independent.cluster, *stage._gammas(rng, N))
    p = stage._tables().prevalence[:, male, stage._age_at_start(scenario, birth)] * m
    drawn = rng.random(p.shape) < p
    for a, b in pairs:
        assert _co_occurrence(drawn, published, a, b) == pytest.approx(1.0, abs=0.15)


def test_mortality_multiplier_keeps_each_age_and_sex_on_the_life_table(scenario, people):
    """Per age and sex, the death probability over the period averaged over the multipliers is the life table's."""
    birth, male = people
    ratio = stage.mortality_multiplier(scenario, stream(3, "conditions", 0), birth, male)
    cell = male * 105 + stage._age_at_start(scenario, birth)
    hazard = stage._period_hazards(scenario)
    counts = np.bincount(cell, minlength=210)
    dead = np.bincount(cell, -np.expm1(-hazard[cell] * ratio), 210)
    seen = counts > 0
    assert np.allclose(dead[seen] / counts[seen], -np.expm1(-hazard[seen]), rtol=1e-6)
    assert ratio.min() > 0 and ratio.max() > 2


def test_deaths_gather_on_the_sick_while_the_total_stays_on_insee(scenario, people):
    birth, male = people
    ratio = stage.mortality_multiplier(scenario, stream(3, "conditions", 0), birth, male)
    present = _present(scenario, people)
    with_pathologies = _deaths(birth, male, scenario.start, scenario.end, np.random.default_rng(5), ratio)
    life_table = _deaths(birth, male, scenario.start, scenario.end, np.random.default_rng(5))
    died, died_before = ~np.isnan(with_pathologies), ~np.isnan(life_table)
    assert died.sum() == pytest.approx(died_before.sum(), rel=0.04)
    sick = present.any(axis=0)
    old = stage._age_at_start(scenario, birth) >= 75
    # Among people of the same (old) ages, the sick die more often than the others; more so than by the table alone.
    gap = died[old & sick].mean() / died[old & ~sick].mean()
    gap_before = died_before[old & sick].mean() / died_before[old & ~sick].mean()
    assert gap > 1.5 * gap_before


@pytest.fixture(scope="module")
def table(scenario, people) -> tuple[pl.DataFrame, pl.DataFrame]:
    birth, male = people
    death = _deaths(
        birth,
        male,
        scenario.start,
        scenario.end,
        np.random.default_rng(5),
        stage.mortality_multiplier(scenario, stream(3, "conditions", 0), birth, male),
    )
    patients = pl.DataFrame(
        {
            "patient_id": np.arange(1, N + 1),
            "sex": np.where(male == 1, "M", "F"),
            "birth_date": pl.Series(birth - EPOCH).cast(pl.Int32).cast(pl.Date),
            "death_date": pl.Series(death - EPOCH, nan_to_null=True).cast(pl.Int32).cast(pl.Date),
        }
    )
    return stage.generate_conditions(scenario, stream(3, "conditions", 0), patients), patients


def test_table_rows_are_the_prevalent_draw_plus_incident_cases(scenario, people, table):
    conditions, _ = table
    present = _present(scenario, people)
    prevalent = conditions.filter(pl.col("onset_date") <= scenario.start)
    assert prevalent.height == present.sum()
    incident = conditions.filter(pl.col("onset_date") > scenario.start)
    assert 0.05 * conditions.height < incident.height < 0.35 * conditions.height
    assert conditions.select("patient_id", "pathology").is_unique().all()
    assert conditions.select("patient_id", "condition_code").is_unique().all()


def test_onsets_lie_within_life_and_codes_match_sex(table):
    conditions, patients = table
    joined = conditions.join(patients, on="patient_id")
    assert (joined["onset_date"] >= joined["birth_date"]).all()
    assert joined.filter(
        pl.col("death_date").is_not_null() & (pl.col("onset_date") > pl.col("death_date"))
    ).is_empty()
    codes = reference.load("conditions").select(
        "condition_code", "pathology", pl.col("sex").alias("code_sex")
    )
    joined = joined.join(codes, on=["condition_code", "pathology"], how="left")
    assert joined["code_sex"].null_count() == 0
    assert joined.filter((pl.col("code_sex") != "any") & (pl.col("code_sex") != pl.col("sex"))).is_empty()


def test_ald_rules(table, scenario):
    conditions, _ = table
    ald = conditions.filter(pl.col("ald"))
    assert ald["ald_number"].null_count() == 0 and ald["ald_start_date"].null_count() == 0
    assert (
        conditions.filter(~pl.col("ald"))["ald_number"].null_count()
        == conditions.filter(~pl.col("ald")).height
    )
    assert (ald["ald_start_date"] >= ald["onset_date"]).all()
    assert (ald["ald_start_date"] <= scenario.end).all()
    pathologies = reference.load("pathologies")
    closed = pathologies.filter(pl.col("ald_open_until").is_not_null())
    for pathology, until in closed.select("pathology", "ald_open_until").iter_rows():
        late = ald.filter((pl.col("pathology") == pathology) & (pl.col("ald_start_date") > until))
        assert late.is_empty(), pathology
    numbers = dict(zip(pathologies["pathology"], pathologies["ald_number"], strict=True))
    assert all(numbers[p] == n for p, n in ald.select("pathology", "ald_number").unique().iter_rows())


def test_prevalence_factor_scales_a_pathology(scenario, people):
    doubled = dataclasses.replace(scenario, prevalence_factor={"diabetes_type2": 2.0})
    by_code = dataclasses.replace(scenario, prevalence_factor={"E11": 2.0})
    i = stage._tables().ids.index("diabetes_type2")
    base = _present(scenario, people)[i].mean()
    assert _present(doubled, people)[i].mean() == pytest.approx(2 * base, rel=0.06)
    assert np.array_equal(_present(by_code, people)[i], _present(doubled, people)[i])
