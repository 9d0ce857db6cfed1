"""The sampling helpers that replace polars or numpy calls for speed give the same answers as those calls."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dmpdata.generators.sampling import (
    Balanced,
    as_date,
    as_dates,
    choose,
    coded,
    cumsum_rows,
    decoded,
    sort_rows,
)

_INT64 = st.integers(-(2**63), 2**63 - 1)


def _frame(draw, n: int) -> pl.DataFrame:
    """Three key columns with few distinct values (ties), one of them over the whole Int64 range, and a payload."""
    wide = draw(st.lists(_INT64, min_size=1, max_size=4))
    return pl.DataFrame(
        {
            "a": draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)),
            "b": [wide[i] for i in draw(st.lists(st.integers(0, len(wide) - 1), min_size=n, max_size=n))],
            "c": pl.Series(draw(st.lists(st.integers(-5, 5), min_size=n, max_size=n)), dtype=pl.Int32),
            "payload": [f"row {i}" for i in range(n)],
        }
    )


@st.composite
def frames(draw) -> pl.DataFrame:
    return _frame(draw, draw(st.integers(0, 60)))


@settings(max_examples=200, deadline=None)
@given(frames(), st.permutations(["a", "b", "c"]), st.integers(1, 3))
def test_sort_rows_is_polars_stable_sort(frame, keys, n_keys):
    """Same rows, same order as polars' stable sort, whatever the keys' ranges: keys packed in one word, in several
    (the Int64-wide column needs a word of its own), negative values, constant columns, ties kept in row order."""
    by = keys[:n_keys]
    assert sort_rows(frame, *by).equals(frame.sort(*by, maintain_order=True))


def test_sort_rows_on_a_chunk_like_frame_packs_one_word():
    """Patient ids of a chunk and five years of microseconds share one 64-bit word; the order is polars'."""
    rng = np.random.default_rng(3)
    n = 50_000
    start = int(dt.datetime(2021, 1, 1).timestamp() * 1e6)
    frame = pl.DataFrame(
        {
            "patient_id": 40_001 + rng.integers(0, 20_000, n),
            "at": pl.Series(start + rng.integers(0, 5 * 365 * 86_400, n) * 1_000_000).cast(pl.Datetime("us")),
            "row": np.arange(n),
        }
    )
    frame = pl.concat([frame, frame.head(1000)])  # exact duplicates of keys: ties kept in row order
    assert sort_rows(frame, "patient_id", "at").equals(frame.sort("patient_id", "at", maintain_order=True))


def test_sort_rows_on_frames_of_many_parts_nearly_in_order():
    """As the generators build them: a frame concatenated from many parts, each in order, so that the whole is
    nearly in order; keys in one word and in two, a frame already in order."""
    rng = np.random.default_rng(5)
    parts = []
    for k in range(30):
        n = 2_000
        parts.append(
            pl.DataFrame(
                {
                    "patient_id": np.sort(rng.integers(1, 500, n)),
                    "at": rng.integers(0, 10**6, n),
                    "wide": rng.integers(-(2**62), 2**62, n),
                    "part": np.full(n, k),
                }
            )
        )
    frame = pl.concat(parts, rechunk=False)
    assert frame.n_chunks() == 30
    for by in (("patient_id", "at"), ("patient_id", "wide", "at"), ("part", "patient_id")):
        assert sort_rows(frame, *by).equals(frame.sort(*by, maintain_order=True)), by
    in_order = frame.sort("part", "patient_id", maintain_order=True)
    assert sort_rows(in_order, "part", "patient_id").equals(in_order)


def test_sort_rows_falls_back_on_nulls_and_non_integers():
    frame = pl.DataFrame(
        {"a": [3, None, 1, 1], "s": ["x", "b", "a", "c"], "d": [dt.date(2024, 1, i) for i in (4, 3, 2, 1)]}
    )
    assert sort_rows(frame, "a", "d").equals(
        frame.sort("a", "d", maintain_order=True)
    )  # nulls first, like polars
    assert sort_rows(frame, "s").equals(frame.sort("s", maintain_order=True))
    assert sort_rows(frame, "d")["d"].is_sorted()
    assert sort_rows(frame.head(0), "a").height == 0


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.booleans(),
            st.floats(allow_nan=True),
            st.floats(allow_nan=True),
            st.integers(-(2**40), 2**40),
            st.integers(-(2**40), 2**40),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_choose_is_np_where(rows):
    """The branch-free selection returns np.where's values (NaN and signed zeros included) and dtype."""
    mask, fa, fb, ia, ib = (np.array(col) for col in zip(*rows, strict=True))
    got, want = choose(mask, fa, fb), np.where(mask, fa, fb)
    assert got.dtype == want.dtype and np.array_equal(got.view(np.int64), want.view(np.int64))
    got, want = choose(mask, ia, ib), np.where(mask, ia, ib)
    assert got.dtype == want.dtype and np.array_equal(got, want)
    assert np.array_equal(choose(mask, mask, ~mask), np.where(mask, mask, ~mask))
    assert np.array_equal(choose(mask, 2.5, fb).view(np.int64), np.where(mask, 2.5, fb).view(np.int64))


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 6), st.integers(0, 40), st.integers(0, 2**32 - 1))
def test_cumsum_rows_is_numpy_cumsum_bit_for_bit(rows, columns, seed):
    """The loop adds the rows in numpy's order: the very same floats (rates of very different sizes included)."""
    rng = np.random.default_rng(seed)
    a = rng.random((rows, columns)) * 10.0 ** rng.integers(-300, 300, (rows, columns))
    got = cumsum_rows(a)
    assert got.shape == a.shape and got.dtype == np.float64
    assert np.array_equal(got.view(np.int64), np.cumsum(a, axis=0).view(np.int64))


def test_decoded_is_coded_as_an_expression():
    """A frame's code column becomes the vocabulary's strings (a null entry gives a null), as `coded` does eagerly."""
    codes = np.array([2, 0, 1, 2, 3], dtype=np.uint8)
    frame = pl.DataFrame({"c": codes})
    for vocabulary in (
        ("a", "bb", "a long value of forty characters or so....", None),
        pl.Series(["a", "bb", "c", None], dtype=pl.String),
    ):
        got = frame.select(decoded(vocabulary, "c").alias("s"))["s"]
        assert got.dtype == pl.String
        assert got.to_list() == [vocabulary[2], vocabulary[0], vocabulary[1], vocabulary[2], None]
        if isinstance(vocabulary, pl.Series):
            assert got.equals(coded(vocabulary, codes, "s"))


def test_decoded_into_a_code_set_enum_holds_the_same_strings():
    """With a code set's Enum, the column is that Enum (in the vocabulary's order or not) and holds the strings of
    the String decode; a word outside the Enum is an error, not a silent null."""
    code_set = pl.Enum(["a", "b", "c"])
    frame = pl.DataFrame({"c": np.array([2, 0, 1, 2, 3], dtype=np.uint8)})
    vocabulary = ("c", "a", "b", None)
    got = frame.select(decoded(vocabulary, "c", code_set).alias("s"))["s"]
    assert got.dtype == code_set
    assert got.cast(pl.String).equals(frame.select(decoded(vocabulary, "c").alias("s"))["s"])
    with pytest.raises(pl.exceptions.InvalidOperationError, match="z"):
        frame.select(decoded(("a", "z", "b", None), "c", code_set))


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 5), st.integers(0, 300), st.floats(0, 1), st.integers(0, 2**32 - 1))
def test_as_dates_are_the_days_of_the_ordinals(columns, rows, missing_share, seed):
    """Each column becomes the Date series of its ordinals (NaN: null), under its name; `as_date` of one column too."""
    rng = np.random.default_rng(seed)
    values = {
        f"c{i}_at": np.where(
            rng.random(rows) < missing_share * (i % 2),
            np.nan,
            np.floor(rng.uniform(dt.date(1900, 1, 1).toordinal(), dt.date(2100, 1, 1).toordinal(), rows)),
        )
        for i in range(columns)
    }
    got = as_dates(values)
    assert list(got) == list(values)
    for name, ordinals in values.items():
        expected = pl.Series(
            name, [None if np.isnan(o) else dt.date.fromordinal(int(o)) for o in ordinals], pl.Date
        )
        assert got[name].dtype == pl.Date and got[name].equals(expected, check_names=True)
        assert as_date(ordinals, name).equals(expected, check_names=True)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(0, 10), min_size=1, max_size=12).filter(lambda w: sum(w) > 0),
    st.integers(0, 500),
    st.integers(0, 2**32 - 1),
)
def test_balanced_sample_is_the_counts_in_a_random_permutation(weights, n, seed):
    """Systematic counts (each category its expected count rounded down or up), in the order of one permutation of
    the stream: the draws `np.repeat(...)[rng.permutation(n)]` makes, whatever way the shuffle is done."""
    balanced = Balanced(np.array(weights))
    got = balanced.sample(np.random.default_rng(seed), n)
    rng = np.random.default_rng(seed)
    below = np.ceil(balanced.cum * n - rng.random()).clip(0, n).astype(np.int64)
    counts = np.diff(below, prepend=0)
    counts[-1] += n - below[-1]
    assert np.array_equal(got, np.repeat(np.arange(len(weights)), counts)[rng.permutation(n)])
    expected = np.array(weights) / sum(weights) * n
    assert (np.abs(np.bincount(got, minlength=len(weights)) - expected) < 1 + 1e-9).all()
