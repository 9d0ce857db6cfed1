"""Mon espace santé rollout: when each person is notified, when the national wave creates their profile, and the
activation curve (the reference tables mes_rollout and mes_activation)."""

from __future__ import annotations

import datetime as dt
from functools import cache

import numpy as np
import polars as pl

from dmpdata import reference
from dmpdata.generators.geography import Area
from dmpdata.generators.sampling import inverse_curve

__all__ = ["activation_curve", "notification_windows", "prior_dmp_opened", "queue_creation_day"]


@cache
def notification_windows(area: Area) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per department of the area: first and last day (ordinals) of its Mon espace santé notification wave, and
    whether that wave belongs to the national generalisation (its profiles queue behind `queue_creation_day`)
    rather than to the 2021 pilot."""
    rollout = reference.load("mes_rollout")
    default = rollout.filter(pl.col("department") == "*").row(0, named=True)
    waves = {
        row["department"]: row for row in rollout.filter(pl.col("department") != "*").iter_rows(named=True)
    }
    rows = [waves.get(code, default) for code in area.departments["code"]]
    start = np.array([r["notification_start"].toordinal() for r in rows], dtype=np.float64)
    return (
        start,
        np.array([r["notification_end"].toordinal() for r in rows], dtype=np.float64),
        start >= default["notification_start"].toordinal(),
    )


def queue_creation_day(moment: np.ndarray) -> np.ndarray:
    """The day the national wave reaches a person notified at `moment` (a fractional day ordinal): their place in
    the national notification span (the `*` row of mes_rollout) is the share of the queue ahead of them."""
    default = reference.load("mes_rollout").filter(pl.col("department") == "*").row(0, named=True)
    lo, hi = default["notification_start"].toordinal(), default["notification_end"].toordinal() + 1
    days, shares = _creation_curve()
    return np.floor(inverse_curve(np.clip((moment - lo) / (hi - lo), 0.0, 1.0), days, shares))


@cache
def _creation_curve() -> tuple[np.ndarray, np.ndarray]:
    """Share of the generalisation's queue whose profile the national wave has created, by day (from 1 Jan 2022).

    The published share of the population with a profile (mes_activation.profiles_open_share) counts the 2021
    pilot (its share on 1 Jan 2022), the profiles created in queue order, and those that people created earlier
    by activating them: outside the pilot, open = auto + activated × (1 − auto). Solved for auto, over the people
    who did not oppose."""
    curve = reference.load("mes_activation").sort("date")
    start = dt.date(int(reference.parameter("mes_generalisation_year")), 1, 1)
    pilot = float(curve.filter(pl.col("date") <= start)["profiles_open_share"][-1])
    curve = curve.filter(pl.col("date") >= start)
    outside = (curve["profiles_open_share"].to_numpy() - pilot) / (1 - pilot)
    activated = curve["activated_share"].to_numpy()
    auto = (outside - activated) / (1 - activated) / (1 - reference.parameter("mes_opposition_share"))
    days = np.array([d.toordinal() for d in curve["date"]], dtype=np.float64)
    return days, np.clip(np.maximum.accumulate(auto), 0.0, 1.0)


@cache
def activation_curve() -> tuple[np.ndarray, np.ndarray]:
    """The activation curve as (day ordinals, share of the non-opposed population activated by then)."""
    curve = reference.load("mes_activation").sort("date")
    days = np.array([d.toordinal() for d in curve["date"]], dtype=np.float64)
    shares = np.minimum(
        curve["activated_share"].to_numpy() / (1 - reference.parameter("mes_opposition_share")), 1.0
    )
    return days, shares


def prior_dmp_opened(rng: np.random.Generator, birth: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """Day (ordinal; NaN = none) each person's DMP opened before Mon espace santé, among the `eligible`.

    DMP creations stopped on 1 July 2021 (the last point of mes_prior_dmp); those DMPs continue into Mon espace
    santé. Who held one follows the relative rates by age of mes_prior_dmp_age, rescaled so that the national
    share is the table's last; the day follows the national count of DMPs (mes_prior_dmp), from birth on.
    `generate_patients` makes these the chunk's last draws, so that every other column keeps its values; it
    passes the people who opposed Mon espace santé as not eligible (assumption: opposing would have closed it)."""
    u_hold, u_day = rng.random(birth.size), rng.random(birth.size)
    days, cumulative = _prior_curve()
    stop = days[-1]
    rate = _prior_rates()[np.clip(((stop - birth) / 365.2425).astype(np.int64), 0, 119)]
    holds = eligible & (birth <= stop) & (u_hold < rate)
    reached_at_birth = np.interp(birth, days, cumulative, left=0.0)
    opened = np.floor(inverse_curve(reached_at_birth + u_day * (1 - reached_at_birth), days, cumulative))
    return np.where(holds, np.fmax(opened, birth), np.nan)


@cache
def _prior_curve() -> tuple[np.ndarray, np.ndarray]:
    """(day ordinals, share of the pre-2022 DMPs opened by then), rising to 1 on the day creations stopped."""
    curve = reference.load("mes_prior_dmp").sort("date")
    shares = curve["share"].to_numpy()
    return np.array([d.toordinal() for d in curve["date"]], dtype=np.float64), shares / shares[-1]


@cache
def _prior_rates() -> np.ndarray:
    """Probability of holding a pre-2022 DMP by age 0..119 on the day creations stopped: the relative rates of
    mes_prior_dmp_age scaled so that, over the national age structure, the share is mes_prior_dmp's last."""
    bands = reference.load("mes_prior_dmp_age")
    ages = np.arange(120)
    rate = np.zeros(ages.size)
    for row in bands.iter_rows(named=True):
        rate[(ages >= row["age_min"]) & (ages <= row["age_max"])] = row["rate"]
    table = reference.load("population_age_sex")
    table = table.filter((pl.col("area") == "FR") & (pl.col("year") == table["year"].max()))
    people = table.group_by("age").agg(pl.col("population").sum())
    weights = np.zeros(ages.size)
    weights[people["age"].to_numpy()] = people["population"].to_numpy()
    final = float(reference.load("mes_prior_dmp").sort("date")["share"][-1])
    return np.minimum(rate * final * weights.sum() / (rate * weights).sum(), 1.0)
