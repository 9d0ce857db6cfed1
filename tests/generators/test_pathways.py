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
