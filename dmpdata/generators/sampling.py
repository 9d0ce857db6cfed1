"""Vectorised sampling helpers shared by the generator stages (weighted picks within groups, rounding)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import numpy as np
import polars as pl
import pyarrow as pa

from dmpdata.keys import packed_words

__all__ = [
    "EPOCH",
    "Balanced",
    "Categorical",
    "GroupedChoice",
    "as_date",
    "as_dates",
    "categorical",
    "choose",
    "coded",
    "concat_columns",
    "cumsum_rows",
    "decoded",
    "inverse_curve",
    "sort_rows",
    "stochastic_round",
]

EPOCH = dt.date(1970, 1, 1).toordinal()


def choose(mask: np.ndarray, a, b) -> np.ndarray:
    """`np.where(mask, a, b)` without branches, for boolean, integer or float arrays or scalars (NaN included).

    numpy's `where` branches on every element, which a random mask makes the CPU mispredict; selecting by
    arithmetic or bit masks has no branch. The result has `np.where`'s values and dtype
    for same-kind inputs (floats are taken as float64).
    """
    mask = np.asarray(mask, dtype=bool)
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind == "f" or b.dtype.kind == "f":
        ai, bi = (
            a.astype(np.float64, copy=False).view(np.int64),
            b.astype(np.float64, copy=False).view(np.int64),
        )
        return (bi ^ ((ai ^ bi) & -mask.view(np.uint8).astype(np.int64))).view(np.float64)
    if a.dtype.kind == "b" and b.dtype.kind == "b":
        return (mask & a) | (~mask & b)
    return b + mask * (a - b)


def concat_columns(parts: Sequence[Mapping[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Column dicts (each the same names) concatenated column by column, in the first part's column order: the
    generators collect numpy columns part by part and make one frame, each column in one piece, once at the end."""
    return {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}


def cumsum_rows(a: np.ndarray) -> np.ndarray:
    """`np.cumsum(a, axis=0)` of a 2-D float array, one row at a time: the same additions in the same order, hence
    the same values. numpy accumulates along the first axis element by element across rows, striding through
    memory; adding whole rows reads each one contiguously."""
    a = np.asarray(a, dtype=np.float64)
    out = np.empty_like(a)
    if a.shape[0]:
        out[0] = a[0]
        for j in range(1, a.shape[0]):
            np.add(out[j - 1], a[j], out=out[j])
    return out


def sort_rows(frame: pl.DataFrame, *by: str) -> pl.DataFrame:
    """`frame.sort(*by, maintain_order=True)` for integer, date and datetime columns, faster: the same rows in the
    same order (a stable sort; ties keep their order).

    Sorting on several columns makes polars encode every row's keys before comparing them. Here the columns are
    packed into one or two UInt64 words (`keys.packed_words`) and those are sorted directly, with no encoding.
    Falls back to polars' sort when a column holds nulls.
    """
    if frame.height < 2:
        return frame
    columns = [frame[name].to_physical() for name in by]
    if any(c.null_count() or not c.dtype.is_integer() for c in columns):
        return frame.sort(*by, maintain_order=True)
    words = packed_words([c.to_numpy() for c in columns])
    if not words:  # every key column holds one value: nothing to reorder
        return frame
    names = [f"__sort_word_{i}" for i in range(len(words))]
    return (
        frame.with_columns(pl.Series(n, w) for n, w in zip(names, words, strict=True))
        .sort(names, maintain_order=True)
        .drop(names)
    )


def _vose(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walker/Vose alias table of a discrete distribution (built once per distribution, O(n))."""
    n = weights.size
    total = weights.sum()
    scaled = weights * n / total if total > 0 else np.ones(n)
    prob = np.ones(n)
    alias = np.arange(n)
    small = [i for i in range(n) if scaled[i] < 1.0]
    large = [i for i in range(n) if scaled[i] >= 1.0]
    scaled = scaled.tolist()
    while small and large:
        s, g = small.pop(), large.pop()
        prob[s], alias[s] = scaled[s], g
        scaled[g] += scaled[s] - 1.0
        (small if scaled[g] < 1.0 else large).append(g)
    return prob, alias


class Categorical:
    """A fixed discrete distribution sampled in O(1) per draw (alias method), vectorised."""

    def __init__(self, weights: np.ndarray):
        weights = np.asarray(weights, dtype=np.float64)
        if weights.size == 0 or not np.isfinite(weights).all() or (weights < 0).any() or weights.sum() <= 0:
            raise ValueError("Categorical needs non-negative, finite weights with a positive sum")
        self.size = weights.size
        self.prob, self.alias = _vose(weights)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        # One uniform per draw: its integer part picks the column, its fractional part the side.
        u = rng.random(n) * self.size
        i = np.minimum(u.astype(np.int64), self.size - 1)
        return choose(u - i < self.prob[i], i, self.alias[i])


class Balanced:
    """A fixed discrete distribution sampled n at a time so that each category gets its expected count
    rounded down or up (systematic sampling: evenly spaced points over the cumulative weights, one random
    offset), in random order. Unbiased for every category, with far less spread than independent draws:
    a chunk of n people matches the population shares it is drawn from to within one person per category
    (e.g. the departments' shares of the population, with communes ordered by department)."""

    def __init__(self, weights: np.ndarray):
        weights = np.asarray(weights, dtype=np.float64)
        if weights.size == 0 or not np.isfinite(weights).all() or (weights < 0).any() or weights.sum() <= 0:
            raise ValueError("Balanced needs non-negative, finite weights with a positive sum")
        self.size = weights.size
        self.cum = np.cumsum(weights / weights.sum())

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        # The points (offset + j) / n, j = 0..n-1, falling in category i: those with j < n * cum[i] - offset.
        below = np.ceil(self.cum * n - rng.random()).clip(0, n).astype(np.int64)
        counts = np.diff(below, prepend=0)
        counts[-1] += n - below[-1]  # rounding at the top end of the cumulative weights
        out = np.repeat(np.arange(self.size), counts)
        rng.shuffle(out)  # the same draws and order as out[rng.permutation(n)], without the gather
        return out


class GroupedChoice:
    """Pick rows of a table within a group (e.g. a commune within a department), weighted, vectorised.

    `groups` are the group index (0..G-1) of each candidate row and `weights` their weights. A pick for
    query group g draws among the rows of group g only (alias method per group, O(1) per draw);
    `has(g)` tells whether group g has any row.
    """

    def __init__(self, groups: np.ndarray, weights: np.ndarray, n_groups: int):
        groups = np.asarray(groups, dtype=np.int64)
        weights = np.asarray(weights, dtype=np.float64)
        order = np.lexsort((np.arange(groups.size), groups))  # stable: by group, then original order
        self.rows = order
        self.counts = np.bincount(groups, minlength=n_groups)
        self.starts = np.concatenate([[0], np.cumsum(self.counts)[:-1]]).astype(np.int64)
        w = weights[order]
        self.prob = np.ones(order.size)
        self.alias = np.arange(order.size)
        self.uniform = bool(np.all(w == w[0])) if w.size else True
        if not self.uniform:
            for g in np.flatnonzero(self.counts):
                lo, hi = self.starts[g], self.starts[g] + self.counts[g]
                prob, alias = _vose(w[lo:hi])
                self.prob[lo:hi], self.alias[lo:hi] = prob, alias + lo

    def has(self, query_groups: np.ndarray) -> np.ndarray:
        return self.counts[np.asarray(query_groups)] > 0

    def pick(self, query_groups: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Row indices (into the original candidate table), one per query; every group must have rows."""
        q = np.asarray(query_groups, dtype=np.int64)
        counts = self.counts[q]
        if q.size and not counts.all():
            raise ValueError("GroupedChoice.pick: a query group has no candidate row")
        # One uniform per draw: its integer part picks the row within the group, its fractional part the side.
        u = rng.random(q.size) * counts
        j = np.minimum(u.astype(np.int64), counts - 1)
        i = self.starts[q] + j
        if not self.uniform:
            i = choose(u - j < self.prob[i], i, self.alias[i])
        return self.rows[i]


def stochastic_round(expected: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Integers whose mean is `expected`: floor plus a Bernoulli draw on the fractional part."""
    expected = np.asarray(expected, dtype=np.float64)
    base = np.floor(expected)
    return (base + (rng.random(expected.size) < expected - base)).astype(np.int64)


def categorical(probabilities: np.ndarray, rng: np.random.Generator, n: int) -> np.ndarray:
    """n draws of category indices with the given probabilities (normalised here)."""
    p = np.asarray(probabilities, dtype=np.float64)
    cum = np.cumsum(p / p.sum())
    u = rng.random(n)
    if p.size <= 8:  # a few comparisons beat a binary search per draw
        out = np.zeros(n, dtype=np.int64)
        for bound in cum[:-1]:
            out += u >= bound
        return out
    return np.minimum(np.searchsorted(cum, u, side="right"), p.size - 1)


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
    return as_dates({name: ordinals})[name]


def as_dates(columns: Mapping[str, np.ndarray]) -> dict[str, pl.Series]:
    """Columns of day ordinals (float, NaN = null) of one length to polars Date series, in one pass over them all (a
    frame's eight date columns in a third of the time of eight passes). Each is an Arrow date32 array straight from
    two buffers: validity bits and days since 1970."""
    if not columns:
        return {}
    stacked = np.stack([np.asarray(v, dtype=np.float64) for v in columns.values()])
    missing = np.isnan(stacked)
    days = choose(missing, EPOCH, stacked).astype(np.int32) - np.int32(EPOCH)
    valid_bits = np.packbits(~missing, axis=1, bitorder="little")
    any_missing = missing.any(axis=1)
    n = stacked.shape[1]
    return {
        name: pl.Series(
            name,
            pa.Array.from_buffers(
                pa.date32(),
                n,
                [pa.py_buffer(valid_bits[i]) if any_missing[i] else None, pa.py_buffer(days[i])],
            ),
        )
        for i, name in enumerate(columns)
    }


def coded(vocabulary: tuple[str, ...] | pl.Series, codes: np.ndarray, name: str = "") -> pl.Series:
    """Strings from integer codes into a small vocabulary (a gather: no per-row string building)."""
    series = (
        vocabulary.rechunk()
        if isinstance(vocabulary, pl.Series)
        else pl.Series(name, list(vocabulary), dtype=pl.String)
    )
    return series.gather(np.asarray(codes, dtype=np.int64)).alias(name)


def decoded(
    vocabulary: Sequence[str | None] | pl.Series, codes: str, dtype: pl.DataType | None = None
) -> pl.Expr:
    """The strings of the integer code column `codes`, gathered from `vocabulary` (a Series, or strings; an index
    past its end is an error, a null entry gives a null): an expression, so that a frame turns all its code columns
    into strings in one `with_columns`, column by column in parallel. `coded` is the eager form.

    `dtype` an Enum (a table's code set, `schemas.code_dtypes`): the column is that Enum, gathered as integers with
    no string copied, the form its Parquet part is written from (a word outside the Enum is an error)."""
    if isinstance(vocabulary, pl.Series):
        values = vocabulary if dtype is None else vocabulary.cast(dtype)
    else:
        values = pl.Series(list(vocabulary), dtype=dtype or pl.String)
    return pl.lit(values).gather(pl.col(codes))


def string_codes(values: pl.Series) -> tuple[np.ndarray, dict[str, int]]:
    """Integer codes of a string column and the code of each distinct value (null: -1).

    Comparing codes costs a fraction of comparing numpy object arrays of Python strings.
    """
    distinct = values.drop_nulls().unique().sort()
    # An Enum over the distinct values: its physical codes are the positions in `distinct`.
    codes = values.cast(pl.Enum(distinct)).to_physical().cast(pl.Int32).fill_null(-1).to_numpy()
    return codes, {v: i for i, v in enumerate(distinct.to_list())}
