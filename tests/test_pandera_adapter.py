"""dmpdata._pandera (the one place that reads pandera's internals) agrees with pandera's public path.

Pandera is the oracle: `schema.validate(frame, lazy=True)` on frames that pass and frames that fail each kind of
check (nullability, uniqueness, built-in and custom column checks, checks that are not a plain select, table-wide
checks): the adapter gives the same verdict and names the same failing (column, check) pairs.
"""

from __future__ import annotations

import datetime as dt

import pandera.errors
import pandera.polars as pa
import polars as pl
import pytest

from dmpdata import _pandera
from dmpdata import validate as V
from dmpdata.schemas import TABLES


def public_failures(schema: pa.DataFrameSchema, frame: pl.DataFrame) -> set[tuple[str, str]]:
    """The (column, check) pairs pandera's public validation reports as failing (empty when the frame passes)."""
    try:
        schema.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as err:
        return set(err.failure_cases.select("column", "check").unique().iter_rows())
    return set()


def kind(schema: pa.DataFrameSchema, label: tuple[str, str]) -> str:
    column, check = label
    if column == schema.name:
        return "table check"
    return check if check in ("not_nullable", "field_uniqueness") else "column check"


def assert_agrees(schema: pa.DataFrameSchema, frame: pl.DataFrame, kinds: set[str]) -> bool:
    """The adapter's verdict is pandera's; where the adapter names the failing checks, they are pandera's. Adds the
    kinds of failing checks compared to `kinds`; returns whether pandera passed the frame."""
    public = public_failures(schema, frame)
    assert _pandera.passes(schema, frame) == (not public), (frame.schema, public)
    named = _pandera.failing_checks(schema, frame)
    if named is not None:
        assert set(named) == public, (frame.schema, named, public)
        kinds.update(kind(schema, label) for label in named)
    else:  # the adapter names nothing only for a wrong dtype or missing or extra columns, which pandera fails
        assert public, frame.schema
    return not public


# --- a schema holding every kind of check, on hand-made frames --------------------------------------------------


def _joined(data: pa.PolarsData) -> pl.LazyFrame:
    """Not a plain select (a join): the adapter runs it on the frame as pandera would."""
    frame = data.lazyframe
    return frame.join(frame.select(pl.col("id"), pl.col("score").alias("_s")), on="id").select(
        pl.col("_s") < 100
    )


KINDS = pa.DataFrameSchema(
    {
        "id": pa.Column(pl.Int64, unique=True, nullable=False, checks=pa.Check.ge(0)),
        "code": pa.Column(
            pl.String, nullable=False, checks=[pa.Check.isin(["a", "b", "c"]), pa.Check.str_length(1, 1)]
        ),
        "score": pa.Column(
            pl.Float64,
            nullable=True,
            checks=[
                pa.Check.in_range(0, 10),
                pa.Check(_joined, name="below_100_after_a_join"),
                pa.Check(
                    lambda data: data.lazyframe.select(pl.col(data.key) != 5),
                    name="not_five",
                    ignore_na=False,
                ),
            ],
        ),
        "day": pa.Column(pl.Date, nullable=False, checks=pa.Check.le(dt.date(2030, 1, 1))),
    },
    checks=[
        pa.Check(
            lambda data: data.lazyframe.select(pl.col("id") < 1000, pl.col("code") != "c"),
            name="small_ids_not_c",
        ),
        pa.Check(lambda data: True, name="always"),
    ],
    strict=True,
    name="Kinds",
)

CLEAN = pl.DataFrame(
    {
        "id": [1, 2, 3, 4],
        "code": ["a", "b", "a", "b"],
        "score": [1.0, 2.0, 9.5, 0.0],
        "day": [dt.date(2024, 1, d) for d in (1, 2, 3, 4)],
    }
)

BROKEN = {
    "negative id": pl.col("id").set_sorted().replace(1, -1),
    "duplicate id": pl.col("id").replace(2, 1),
    "null id": pl.when(pl.col("id") == 3).then(None).otherwise(pl.col("id")).alias("id"),
    "code outside the list": pl.col("code").replace("a", "z"),
    "code too long": pl.col("code").replace("b", "bb"),
    "null code": pl.when(pl.col("id") == 1).then(None).otherwise(pl.col("code")).alias("code"),
    "score out of range": pl.col("score").replace(9.5, 50.0),
    "score failing the join check": pl.col("score").replace(9.5, 500.0),
    "score five": pl.col("score").replace(1.0, 5.0),
    "null score, passed by ignore_na checks only": pl.col("score").replace(2.0, None),
    "day too late": pl.col("day").replace(dt.date(2024, 1, 4), dt.date(2031, 1, 1)),
    "table check": pl.col("code").replace("b", "c"),
    "large id, table check": pl.col("id").replace(4, 5000),
}


@pytest.mark.parametrize("damage", list(BROKEN))
def test_the_adapter_names_the_checks_pandera_fails(damage):
    kinds: set[str] = set()
    assert not assert_agrees(KINDS, CLEAN.with_columns(BROKEN[damage]), kinds)
    assert kinds, damage


def test_a_clean_frame_passes_both_ways_and_every_kind_of_check_is_compared():
    kinds: set[str] = set()
    assert assert_agrees(KINDS, CLEAN, kinds) and _pandera.failing_checks(KINDS, CLEAN) == []
    for damage in BROKEN.values():
        assert_agrees(KINDS, CLEAN.with_columns(damage), kinds)
    assert kinds == {"not_nullable", "field_uniqueness", "column check", "table check"}


def test_columns_and_dtypes_pandera_names_itself():
    kinds: set[str] = set()
    for frame in (
        CLEAN.drop("day"),
        CLEAN.with_columns(pl.lit(1).alias("extra")),
        CLEAN.with_columns(pl.col("id").cast(pl.Int32)),
    ):
        assert not assert_agrees(KINDS, frame, kinds)
        assert _pandera.failing_checks(KINDS, frame) is None


def test_what_the_adapter_does_not_model_is_left_to_pandera():
    element_wise = pa.DataFrameSchema(
        {"x": pa.Column(pl.Int64, checks=pa.Check(lambda v: v > 0, element_wise=True))}, strict=True
    )
    not_strict = pa.DataFrameSchema({"x": pa.Column(pl.Int64)})
    frame = pl.DataFrame({"x": [1, 2]})
    for schema in (element_wise, not_strict):
        with pytest.raises(_pandera.NotModelled):
            _pandera.verdicts(schema, frame)
        assert _pandera.failing_checks(schema, frame) is None and not _pandera.passes(schema, frame)


# --- dmpdata's own schemas, on a generated dataset and damaged copies of it -----------------------------------


def test_the_one_select_path_reads_every_check_of_every_table(tiny_frames):
    """Every check of every table is judged in the one select (none falls back to pandera on clean data), and a
    clean table passes."""
    for name in TABLES:
        schema, frame = V._schema_of(name), tiny_frames[name]
        expected = sum(len(c.checks) + (not c.nullable) + bool(c.unique) for c in schema.columns.values())
        assert len(_pandera.verdicts(schema, frame)) == expected + len(schema.checks), name
        assert _pandera.passes(schema, frame), name


def _damaged_copies(frame: pl.DataFrame, column: str):
    """The frame with its first row's `column` set to null and to values likely out of bounds, its second row
    repeating the first's value, the column retyped or dropped."""
    dtype = frame.schema[column]
    first, second = pl.int_range(pl.len()) == 0, pl.int_range(pl.len()) == 1
    values = [None]
    if dtype.is_integer():
        values += [-1, {pl.Int8: 100, pl.Int16: 30_000, pl.Int32: 2_000_000_000}.get(dtype, 10**15)]
    elif dtype.is_float():
        values += [float("nan"), -1.0]
    elif dtype == pl.String:
        values += ["", "zz?"]
    elif dtype == pl.Date:
        values += [dt.date(1800, 1, 1), dt.date(2100, 1, 1)]
    elif isinstance(dtype, pl.Datetime):
        values += [dt.datetime(1800, 1, 1), dt.datetime(2100, 1, 1)]
    elif dtype == pl.Boolean:
        values += [True]
    for value in values:
        yield frame.with_columns(
            pl.when(first).then(pl.lit(value, dtype=dtype)).otherwise(pl.col(column)).alias(column)
        )
    yield frame.with_columns(
        pl.when(second).then(pl.col(column).first()).otherwise(pl.col(column)).alias(column)
    )
    yield frame.with_columns(pl.col(column).cast(pl.String if dtype != pl.String else pl.Categorical))
    yield frame.drop(column)


def test_the_one_select_path_agrees_with_pandera_on_damaged_tables(tiny_frames):
    """On hundreds of damaged copies of every table (nulls, out-of-bound values, duplicates, wrong types, missing or
    extra columns), the adapter passes a copy exactly when pandera does, and names the checks pandera fails."""
    judged = failed = 0
    kinds: set[str] = set()
    for name in TABLES:
        schema, frame = V._schema_of(name), tiny_frames[name].head(300)
        assert frame.height >= 2, name
        copies = [copy for column in frame.columns for copy in _damaged_copies(frame, column)]
        copies.append(frame.with_columns(pl.lit(1).alias("extra_column")))
        for copy in copies:
            verdict = assert_agrees(schema, copy, kinds)
            judged, failed = judged + 1, failed + (not verdict)
    assert judged > 600 and failed > judged // 2, (judged, failed)  # most copies break a check: not vacuous
    assert kinds == {"not_nullable", "field_uniqueness", "column check", "table check"}, kinds
