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

__all__ = ["activation_curve", "notification_windows", "queue_creation_day"]


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
