"""Reference code tables and calibration figures (CSV files beside this module), one cached loader."""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.resources import files

import polars as pl

__all__ = ["columns", "digest", "load", "names", "parameter"]

_DTYPES: dict[str, pl.DataType] = {
    "String": pl.String(),
    "Int64": pl.Int64(),
    "Float64": pl.Float64(),
    "Boolean": pl.Boolean(),
    "Date": pl.Date(),
}


def _dir():
    return files(__name__)


@cache
def digest() -> str:
    """sha256 over every reference table's name and bytes (what depends on them can tell they changed)."""
    h = hashlib.sha256()
    for name in names():
        h.update(name.encode())
        h.update(_dir().joinpath(f"{name}.csv").read_bytes())
    return h.hexdigest()


@cache
def columns() -> pl.DataFrame:
    """The data dictionary of the reference tables: table, column, dtype, description."""
    return pl.read_csv(_dir().joinpath("columns.csv").read_bytes(), infer_schema=False)


def names() -> list[str]:
    """Names of the reference tables (CSV files, without extension)."""
    return sorted(
        p.name.removesuffix(".csv")
        for p in _dir().iterdir()
        if p.name.endswith(".csv") and p.name != "columns.csv"
    )


@cache
def load(name: str) -> pl.DataFrame:
    """Read reference table `name` with the types declared in columns.csv (cached, do not mutate)."""
    path = _dir().joinpath(f"{name}.csv")
    if not path.is_file():
        raise KeyError(f"unknown reference table {name!r}; known: {', '.join(names())}")
    raw = pl.read_csv(path.read_bytes(), infer_schema=False)
    spec = columns().filter(pl.col("table") == name)
    declared = dict(zip(spec["column"], spec["dtype"], strict=True))
    missing = [c for c in raw.columns if c not in declared]
    if missing:
        raise ValueError(f"reference table {name!r}: columns {missing} are not described in columns.csv")
    exprs = []
    for col in raw.columns:
        dtype = declared[col]
        if dtype == "String":
            exprs.append(pl.col(col))
        elif dtype == "Date":
            exprs.append(pl.col(col).str.to_date("%Y-%m-%d"))
        elif dtype == "Boolean":
            exprs.append(pl.col(col).str.to_lowercase().is_in(["true", "1", "yes"]).alias(col))
        else:
            exprs.append(pl.col(col).cast(_DTYPES[dtype]))
    return raw.select(exprs).rechunk()  # one chunk: generators gather from these columns


def parameter(key: str) -> float:
    """One numeric calibration parameter from parameters.csv (each with its unit, evidence and source)."""
    values = _parameters()
    if key not in values:
        raise KeyError(f"parameter {key!r} is not in dmpdata/reference/parameters.csv")
    return values[key]


@cache
def _parameters() -> dict[str, float]:
    table = load("parameters")
    return dict(zip(table["key"], table["value"], strict=True))
