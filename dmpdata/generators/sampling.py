"""Vectorised sampling helpers shared by the generator stages (weighted picks within groups, rounding)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

__all__ = ["EPOCH", "GroupedChoice", "as_date", "categorical", "inverse_curve", "stochastic_round"]

EPOCH = dt.date(1970, 1, 1).toordinal()


class GroupedChoice:
    """Pick rows of a table within a group (e.g. a commune within a department), weighted, vectorised.

    `groups` are the group index (0..G-1) of each candidate row and `weights` their weights. A pick for
    query group g draws among the rows of group g only; `has(g)` tells whether group g has any row.
    """

    def __init__(self, groups: np.ndarray, weights: np.ndarray, n_groups: int):
        groups = np.asarray(groups, dtype=np.int64)
        weights = np.asarray(weights, dtype=np.float64)
        order = np.lexsort((np.arange(groups.size), groups))  # stable: by group, then original order
        self.rows = order
        g = groups[order]
        w = weights[order]
        totals = np.bincount(g, weights=w, minlength=n_groups)
        self.counts = np.bincount(g, minlength=n_groups)
        cum = np.cumsum(w)
        starts = np.concatenate([[0], np.cumsum(self.counts)[:-1]])
        base = np.where(self.counts > 0, cum[np.maximum(starts - 1, 0)] * (starts > 0), 0.0)
        within = (cum - base[g]) / np.where(totals[g] > 0, totals[g], 1.0)
        # A strictly increasing key: group index + cumulative share within the group (in (0, 1]).
        self.keys = g + np.minimum(within, 1.0)
        self.starts = starts

    def has(self, query_groups: np.ndarray) -> np.ndarray:
        return self.counts[np.asarray(query_groups)] > 0

    def pick(self, query_groups: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Row indices (into the original candidate table), one per query; every group must have rows."""
        q = np.asarray(query_groups, dtype=np.int64)
        if q.size and not self.has(q).all():
            raise ValueError("GroupedChoice.pick: a query group has no candidate row")
        u = rng.random(q.size)
        pos = np.searchsorted(self.keys, q + u, side="right")
        lo = self.starts[q]
        hi = lo + self.counts[q] - 1
        return self.rows[np.clip(pos, lo, hi)]


def stochastic_round(expected: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Integers whose mean is `expected`: floor plus a Bernoulli draw on the fractional part."""
    expected = np.asarray(expected, dtype=np.float64)
    base = np.floor(expected)
    return (base + (rng.random(expected.size) < expected - base)).astype(np.int64)


def categorical(probabilities: np.ndarray, rng: np.random.Generator, n: int) -> np.ndarray:
    """n draws of category indices with the given probabilities (normalised here)."""
    p = np.asarray(probabilities, dtype=np.float64)
    cum = np.cumsum(p / p.sum())
    return np.minimum(np.searchsorted(cum, rng.random(n), side="right"), p.size - 1)


def inverse_curve(u: np.ndarray, days: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Day (ordinal, float) at which a rising cumulative share curve reaches u; NaN where it never does.

    `days` are increasing ordinals and `shares` non-decreasing cumulative shares at those days; a
    person with draw u is "reached" when the curve first reaches u (linear between points).
    """
    u = np.asarray(u, dtype=np.float64)
    shares = np.maximum.accumulate(np.asarray(shares, dtype=np.float64))
    out = np.interp(u, shares, np.asarray(days, dtype=np.float64))
    out[u > shares[-1]] = np.nan
    return out


def as_date(ordinals: np.ndarray, name: str) -> pl.Series:
    """Day ordinals (float, NaN = null) to a polars Date series."""
    ordinals = np.asarray(ordinals, dtype=np.float64)
    missing = np.isnan(ordinals)
    days = pl.Series(name, np.where(missing, 0, ordinals - EPOCH).astype(np.int32)).cast(pl.Date)
    if missing.any():
        days = days.scatter(np.flatnonzero(missing), None)
    return days
