"""The only module that touches pandera's internals (check functions, their arguments, the polars checks' registry):
it judges a whole schema in one polars query and finds the method behind a check, which pandera's public API does
not offer."""

from __future__ import annotations

import inspect

import pandera.backends.polars.builtin_checks  # noqa: F401 - registers the polars forms of the built-in checks
import pandera.polars as pa
import polars as pl

__all__ = ["NotModelled", "failing_checks", "method_doc", "passes", "verdicts"]

# A check as pandera names it in SchemaErrors.failure_cases: (column, check); a table-wide check is named under the
# schema's name in the column field.
Label = tuple[str, str]


class NotModelled(Exception):
    """Something `verdicts` does not read as polars expressions; the caller lets pandera judge instead."""


class _Recorder:
    """Stands for the frame in a pandera check function and keeps the expressions the function selects: pandera's
    built-in checks and most of dmpdata's are `data.lazyframe.select(<boolean expressions>)`. Anything else a check
    does with the frame (a join, say) raises NotModelled."""

    def __init__(self) -> None:
        self.exprs: list[pl.Expr] | None = None

    def select(self, *exprs, **named) -> _Recorder:
        flat = [e for item in exprs for e in (item if isinstance(item, (list, tuple)) else [item])]
        if self.exprs is not None or named or not flat or not all(isinstance(e, pl.Expr) for e in flat):
            raise NotModelled("select")
        self.exprs = flat
        return self

    def __getattr__(self, name: str):
        raise NotModelled(name)


def _identifier(check: pa.Check) -> str:
    """The name pandera gives a failing check in its failure cases."""
    return check.error if check.error is not None else (check.name if check.name is not None else str(check))


def _verdict(check: pa.Check, key: str, frame: pl.DataFrame) -> pl.Expr | pl.LazyFrame:
    """Whether `check` passes on every row of `frame`, as pandera judges it (PolarsCheckBackend: several output
    columns are and-ed; a null passes with ignore_na, else it fails): one boolean expression over the frame, or, for
    a check that is not a plain select, a one-row LazyFrame computing it."""
    if check.element_wise or check.groupby is not None:
        raise NotModelled(check.name)  # pandera's own path
    recorder = _Recorder()
    try:
        plain = check._check_fn(pa.PolarsData(recorder, key), **check._check_kwargs) is recorder
    except NotModelled:
        plain = False
    if plain and recorder.exprs:
        single = recorder.exprs[0] if len(recorder.exprs) == 1 else pl.all_horizontal(recorder.exprs)
        return single.fill_null(check.ignore_na).all()
    out = check._check_fn(pa.PolarsData(frame.lazy(), key), **check._check_kwargs)
    if isinstance(out, bool):
        return pl.LazyFrame({"_": [out]})
    if not isinstance(out, pl.LazyFrame):
        raise NotModelled(check.name)
    outputs = out.collect_schema().names()
    single = pl.col(outputs[0]) if len(outputs) == 1 else pl.all_horizontal(outputs)
    return out.select(single.fill_null(check.ignore_na).all().alias("_"))


def _modelled_schema(schema: pa.DataFrameSchema) -> None:
    """Raise NotModelled for schema options that change the frame or the columns pandera looks for."""
    if (
        schema.strict is not True
        or schema.coerce
        or schema.unique
        or schema.parsers
        or getattr(schema, "add_missing_columns", False)
        or getattr(schema, "drop_invalid_rows", False)
    ):
        raise NotModelled("schema options")
    for name, column in schema.columns.items():
        if (
            column.regex
            or not column.required
            or column.coerce
            or column.default is not None
            or column.parsers
            or getattr(column, "drop_invalid_rows", False)
        ):
            raise NotModelled(name)


def verdicts(
    schema: pa.DataFrameSchema, frame: pl.DataFrame
) -> list[tuple[Label, pl.Expr | pl.LazyFrame]] | None:
    """Every check `schema.validate` runs on `frame`, each with its pandera name: nullability, uniqueness, column and
    table checks. None when a column is missing, extra or of another dtype (pandera names those itself). Raises
    NotModelled for what this does not model (coercion, defaults, regex or optional columns, a non-strict schema…)."""
    _modelled_schema(schema)
    names, columns = list(schema.columns), frame.schema
    if (
        (list(columns) != names)
        if schema.ordered
        else (set(columns) != set(names) or len(columns) != len(names))
    ):
        return None
    found: list[tuple[Label, pl.Expr | pl.LazyFrame]] = []
    for name, column in schema.columns.items():
        if column.dtype is not None and not column.dtype.check(columns[name]):
            return None
        col = pl.col(name)
        if not column.nullable:
            present = col.is_not_null() & col.is_not_nan() if columns[name].is_float() else col.is_not_null()
            found.append(((name, "not_nullable"), present.all()))
        if column.unique:
            found.append(((name, "field_uniqueness"), col.is_duplicated().any().not_()))
        found.extend(((name, _identifier(check)), _verdict(check, name, frame)) for check in column.checks)
    found.extend(((schema.name, _identifier(check)), _verdict(check, "*", frame)) for check in schema.checks)
    return found


def failing_checks(schema: pa.DataFrameSchema, frame: pl.DataFrame) -> list[Label] | None:
    """The checks of `schema` that fail on `frame`, named as pandera names them, evaluated together in one query
    (pandera runs each check as its own query and builds failure cases even when there are none). None when this
    cannot tell: columns or dtypes differ, a check is not modelled or cannot run; pandera then judges."""
    try:
        found = verdicts(schema, frame)
        if found is None:
            return None
        exprs = [v.alias(f"_{i}") for i, (_, v) in enumerate(found) if isinstance(v, pl.Expr)]
        labels = [label for label, v in found if isinstance(v, pl.Expr)]
        queries = [frame.lazy().select(pl.lit(True).alias("_"), *exprs)]
        for label, v in found:
            if isinstance(v, pl.LazyFrame):
                queries.append(v)
                labels.append(label)
        results = pl.collect_all(queries)
    except Exception:
        return None
    first, *rest = results
    values = list(first.row(0))[1:] if first.height == 1 else None
    values = (values or []) + [r.item() if r.shape == (1, 1) else None for r in rest]
    if (
        first.height != 1
        or len(values) != len(labels)
        or any(v is not True and v is not False for v in values)
    ):
        return None
    return [label for label, v in zip(labels, values, strict=True) if v is False]


def passes(schema: pa.DataFrameSchema, frame: pl.DataFrame) -> bool:
    """True when every check of `schema` passes on `frame`; False when one fails or this cannot tell."""
    return failing_checks(schema, frame) == []


def method_doc(check: pa.Check) -> str | None:
    """The first line of the docstring of the function behind a check (a model's `@pa.check` or `@pa.dataframe_check`
    method), found in the closure of pandera's check function; None when there is none."""
    for cell in getattr(check._check_fn, "__closure__", None) or ():
        fn = getattr(cell.cell_contents, "check_fn", None)
        doc = inspect.getdoc(fn) if fn is not None else None
        if doc:
            return doc.splitlines()[0]
    return None
