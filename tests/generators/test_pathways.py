"""The pathway engine: every file loads through the engine's own parser; rates and seasons are honoured."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from dmpdata.generators import pathways
from dmpdata.pathways import PathwayError, load_pathways, parse_pathway

GOOD = """
name = "demo_path"
description = "x"
[population]
conditions = ["E11"]
min_age = 18
[adherence]
a = 2.0
b = 2.0
source = "s"
evidence = "assumption"
[[activities]]
id = "a1"
encounter = "lab_test"
rate_per_year = 4.0
source = "s"
evidence = "assumption"
"""


def test_every_pathway_file_loads_through_the_engine():
    loaded = load_pathways()
    names = {p.name for p in loaded}
    assert {"general_practice", "type2_diabetes", "hospital_care", "flu_vaccination"} <= names
    assert all(p.activities for p in loaded)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.replace("rate_per_year = 4.0", "rate_per_year = -1"), "expected a number"),
        (lambda t: t.replace('name = "demo_path"', 'name = "other"'), "must equal the file name"),
        (
            lambda t: t.replace('encounter = "lab_test"', 'encounter = "lab_test"\nbogus = 1'),
            "unknown key 'bogus'",
        ),
        (
            lambda t: t.replace(
                'evidence = "assumption"\n[[activities]]', 'evidence = "guess"\n[[activities]]'
            ),
            "evidence",
        ),
        (
            lambda t: t.replace("rate_per_year = 4.0", "rates = [{age_min = 0, age_max = 50, M = 1, F = 1}]"),
            "cover 0..120",
        ),
        (lambda t: t + "\n[[", "malformed TOML"),
        (lambda t: t.replace("rate_per_year = 4.0", "rate_per_year = 4.0\nat_onset = true"), "at_onset"),
        (lambda t: t.replace("rate_per_year = 4.0", "rate_per_year = 4.0\nprobability = 0.5"), "at_onset"),
        (
            lambda t: t.replace(
                "rate_per_year = 4.0", "rate_per_year = 4.0\nyears_after_onset = {from = 3, to = 1}"
            ),
            "from < to",
        ),
        (
            lambda t: t.replace('conditions = ["E11"]', "").replace(
                "rate_per_year = 4.0", "rate_per_year = 4.0\nyears_after_onset = {from = 0, to = 2}"
            ),
            "needs pathologies",
        ),
    ],
)
def test_a_broken_pathway_file_is_named(change, message):
    parse_pathway(GOOD, "demo_path")
    with pytest.raises(PathwayError, match=message):
        parse_pathway(change(GOOD), "demo_path")


def test_continuous_rates_are_honoured():
    activity = parse_pathway(GOOD, "demo_path").activities[0]
    rng = np.random.default_rng(1)
    n = 20_000
    idx = np.arange(n)
    lo = np.full(n, 738000.0)
    hi = lo + 2 * 365.2425  # two years
    birth = lo - 40 * 365.2425
    rates = pathways._band_rates(activity, np.ones(n, dtype=bool))
    person, day = pathways._continuous_events(activity, idx, lo, hi, birth, rates, np.full(n, 0.5), rng)
    assert abs(person.size / n - 4.0 * 0.5 * 2) < 0.05  # rate × adherence × years
    assert (day >= lo[0]).all() and (day < hi[0]).all()


def test_age_bands_split_the_window():
    text = GOOD.replace(
        "rate_per_year = 4.0",
        "rates = [{age_min = 0, age_max = 39, M = 0, F = 0}, {age_min = 40, age_max = 120, M = 10, F = 10}]",
    )
    activity = parse_pathway(text, "demo_path").activities[0]
    n = 5_000
    birth = np.full(n, 738000.0 - 39.5 * 365.2425)  # turns 40 half-way through the first year
    lo, hi = np.full(n, 738000.0), np.full(n, 738000.0 + 365.2425)
    rates = pathways._band_rates(activity, np.zeros(n, dtype=bool))
    person, day = pathways._continuous_events(
        activity, np.arange(n), lo, hi, birth, rates, np.ones(n), np.random.default_rng(2)
    )
    assert abs(person.size / n - 5.0) < 0.15  # half a year at 10/yr
    assert (day >= birth[0] + 40 * 365.2425 - 1e-6).all()


def test_one_flu_shot_per_season_whoever_gives_it():
    vaccination = next(p for p in load_pathways() if p.name == "flu_vaccination")
    seasonal = [a for a in vaccination.activities if a.once_per_season]
    assert len(seasonal) >= 2
    n = 10_000
    from dmpdata.scenario import load_scenario

    scenario = load_scenario("tiny")
    lo, hi = np.full(n, scenario.start.toordinal() * 1.0), np.full(n, scenario.end.toordinal() + 1.0)
    birth = lo - 75 * 365.2425
    drawn = pathways._seasonal_events(
        seasonal,
        np.arange(n),
        lo,
        hi,
        birth,
        np.ones(n, dtype=bool),
        np.ones(n),
        scenario,
        np.random.default_rng(3),
    )
    people = np.concatenate([p for _, (p, _) in drawn])
    days = np.concatenate([d for _, (_, d) in drawn])
    seasons = np.array(
        [dt.date.fromordinal(int(d)).year - (dt.date.fromordinal(int(d)).month < 7) for d in days[:2000]]
    )
    pairs = pl.DataFrame({"p": people[:2000], "s": seasons})
    assert pairs.is_duplicated().sum() == 0
    total = sum(a.bands[-1][2] for a in seasonal)
    assert (
        abs(people.size / (n * len(pathways._flu_seasons(scenario.start, scenario.end))) - min(total, 1))
        < 0.03
    )


YEAR = 365.2425
DAY0 = 738000.0  # a day ordinal (2021-07-...): the period starts here in the tests below


def _window(onset, n, years=5.0):
    """A followed window over [DAY0, DAY0 + years) from the onset on, as _followed computes it."""
    onset = np.full(n, onset, dtype=np.float64)
    lo = np.maximum(DAY0, onset)
    return pathways._Window(lo, np.full(n, DAY0 + years * YEAR), onset)


def test_years_after_onset_bound_the_events():
    text = GOOD.replace('conditions = ["E11"]', 'pathologies = ["cancer_breast"]').replace(
        "rate_per_year = 4.0", "rate_per_year = 4.0\nyears_after_onset = {from = 2, to = 5}"
    )
    activity = parse_pathway(text, "demo_path").activities[0]
    n = 4_000
    window = _window(DAY0 - 1 * YEAR, n)  # onset a year before the period: years 2-5 are days 1-4 of it
    lo, hi = pathways._activity_window(activity, window)
    birth = np.full(n, DAY0 - 60 * YEAR)
    rates = pathways._band_rates(activity, np.ones(n, dtype=bool))
    person, day = pathways._continuous_events(
        activity, np.arange(n), lo, hi, birth, rates, np.ones(n), np.random.default_rng(4)
    )
    assert day.min() >= DAY0 + 1 * YEAR - 1e-6 and day.max() < DAY0 + 4 * YEAR
    assert abs(person.size / n - 4.0 * 3) < 0.2  # three years of the window inside the period


def test_a_window_past_the_period_has_no_events():
    text = GOOD.replace('conditions = ["E11"]', 'pathologies = ["cancer_breast"]').replace(
        "rate_per_year = 4.0", "rate_per_year = 4.0\nyears_after_onset = {from = 0, to = 2}"
    )
    activity = parse_pathway(text, "demo_path").activities[0]
    n = 1_000
    window = _window(DAY0 - 3 * YEAR, n)  # the active phase ended a year before the period
    lo, hi = pathways._activity_window(activity, window)
    birth = np.full(n, DAY0 - 60 * YEAR)
    rates = pathways._band_rates(activity, np.ones(n, dtype=bool))
    person, _ = pathways._continuous_events(
        activity, np.arange(n), lo, hi, birth, rates, np.ones(n), np.random.default_rng(5)
    )
    assert person.size == 0


AT_ONSET = GOOD.replace('conditions = ["E11"]', 'pathologies = ["stroke"]').replace(
    "rate_per_year = 4.0", "at_onset = true"
)


def test_one_event_on_the_onset_day_inside_the_period_only():
    activity = parse_pathway(AT_ONSET, "demo_path").activities[0]
    onset = np.array([DAY0 + 100, DAY0 - 100, DAY0 + 10 * YEAR, DAY0 + 3 * YEAR])
    lo = np.maximum(DAY0, onset)
    hi = np.array([DAY0 + 5 * YEAR, DAY0 + 5 * YEAR, DAY0 + 5 * YEAR, DAY0 + 2 * YEAR])  # the last dies first
    person, day = pathways._onset_events(
        activity, np.arange(4), pathways._Window(lo, hi, onset), np.random.default_rng(6)
    )
    assert person.tolist() == [0] and day.tolist() == [DAY0 + 100]


def test_at_onset_probability_is_honoured():
    activity = parse_pathway(
        AT_ONSET.replace("at_onset = true", "at_onset = true\nprobability = 0.3"), "demo_path"
    )
    n = 20_000
    person, _ = pathways._onset_events(
        activity.activities[0], np.arange(n), _window(DAY0 + 10, n), np.random.default_rng(7)
    )
    assert abs(person.size / n - 0.3) < 0.02
    assert np.unique(person).size == person.size


def test_onsets_read_the_pathology_column():
    patients = pl.DataFrame({"patient_id": [11, 12, 13]})
    conditions = pl.DataFrame(
        {
            "patient_id": [11, 12, 12, 13],
            "condition_code": ["C18", "C50", "C20", "I63"],
            "pathology": ["cancer_colorectal", "cancer_breast", "cancer_colorectal", "stroke"],
            "onset_date": [
                dt.date(2020, 1, 1),
                dt.date(2019, 5, 1),
                dt.date(2021, 3, 1),
                dt.date(2022, 2, 2),
            ],
        }
    )
    onsets = pathways._onsets(patients, conditions, "pathology", frozenset({"cancer_colorectal", "stroke"}))
    day = dt.date.toordinal
    assert onsets["cancer_colorectal"][:2].tolist() == [day(dt.date(2020, 1, 1)), day(dt.date(2021, 3, 1))]
    assert np.isnan(onsets["cancer_colorectal"][2]) and np.isnan(onsets["stroke"][:2]).all()
    assert "cancer_breast" not in onsets  # no pathway selected it
    by_code = pathways._onsets(patients, conditions, "condition_code", frozenset({"C50"}))
    assert list(by_code) == ["C50"] and by_code["C50"][1] == day(dt.date(2019, 5, 1))


def _chunk(pathology_onsets):
    """A tiny scenario's first chunk of patients, and a conditions frame built by hand: each (pathology, onset) to
    one patient in turn, adults only."""
    from dmpdata import engine
    from dmpdata.scenario import load_scenario

    scenario = load_scenario("tiny").with_overrides(patients=400, seed=5)
    ctx = engine._context(scenario)
    patients = engine._chunk_patients(scenario, 0, ctx)
    adults = patients.filter((pl.col("birth_date") < dt.date(1980, 1, 1)) & pl.col("death_date").is_null())[
        "patient_id"
    ]
    rows = [(adults[i], p, onset) for i, (p, onset) in enumerate(pathology_onsets)]
    conditions = pl.DataFrame(
        rows, schema={"patient_id": pl.Int64, "pathology": pl.String, "onset_date": pl.Date}, orient="row"
    ).with_columns(condition_code=pl.lit("X00"))
    return scenario, ctx, patients, conditions


def test_generated_encounters_follow_the_pathologies_onsets():
    from dmpdata.rng import stream

    inside, before = dt.date(2024, 3, 1), dt.date(2015, 1, 1)
    scenario, ctx, patients, conditions = _chunk(
        [("stroke", inside)] * 5 + [("stroke", before)] * 5 + [("cancer_breast", inside)] * 5
    )
    assert scenario.start < inside < scenario.end and before < scenario.start
    encounters = generate_encounters_for(scenario, ctx, patients, conditions, stream(1, "pathways", 0))
    stays = encounters.filter(pl.col("activity") == "stroke_stay")
    onset_of = dict(zip(conditions["patient_id"], conditions["onset_date"], strict=True))
    assert sorted(stays["patient_id"]) == sorted(conditions["patient_id"][:5])
    assert all(s.date() == onset_of[p] for p, s in zip(stays["patient_id"], stays["start_at"], strict=True))
    chemo = encounters.filter(pl.col("activity") == "chemotherapy_session")
    assert chemo.height > 0 and set(chemo["patient_id"]) <= set(conditions["patient_id"][10:])
    assert (chemo["start_at"].dt.date() >= inside).all()


class _AnyOne:
    """Staff where the first professional does everything (a tiny workforce has no specialist)."""

    def __init__(self, staff):
        self.ids, self.org, self.row_of = staff.ids, staff.org, staff.row_of

    def pick(self, dept, rng, *args):
        return np.zeros(dept.size, dtype=np.int64)


def generate_encounters_for(scenario, ctx, patients, conditions, rng):
    return pathways.generate_encounters(scenario, rng, ctx.area, _AnyOne(ctx.staff), patients, conditions)
