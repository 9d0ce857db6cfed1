"""Reference code tables and calibration figures (CSV files beside this module), one cached loader."""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import cache
from importlib.resources import files

import polars as pl

__all__ = ["VOCABULARIES", "codes", "columns", "digest", "labels", "load", "names", "parameter", "time_bound"]

# The code lists (vocabularies) of the dataset, each defined once here: table -> its code column. Schemas,
# generators, the access rule, exports, the data dictionary and charts read them through codes() / labels().
VOCABULARIES: dict[str, str] = {
    "sectors": "code",
    "actor_kinds": "code",
    "access_actions": "code",
    "access_outcomes": "code",
    "access_modes": "code",
    "auth_modes": "code",
    "channels": "code",
    "confidentiality_codes": "code",
    "document_statuses": "code",
    "encounter_kinds": "kind",
    "gp_declaration_end_reasons": "code",
    "identity_statuses": "code",
    "mes_statuses": "code",
    "matricule_kinds": "code",
    "sexes": "code",
}
ORDER = "order"  # a vocabulary's display order; a vocabulary without it keeps the file's row order

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


def _vocabulary(name: str, order: str, where: dict[str, object]) -> pl.DataFrame:
    if name not in VOCABULARIES:
        raise KeyError(f"{name!r} is not a vocabulary; known: {', '.join(VOCABULARIES)}")
    table = load(name)
    for column, value in where.items():
        table = table.filter(pl.col(column) == value)
    if order in table.columns:
        table = table.sort(order, maintain_order=True)
    elif order != ORDER:
        raise KeyError(f"vocabulary {name!r} has no order column {order!r}")
    return table


def codes(name: str, order: str = ORDER, **where: object) -> tuple[str, ...]:
    """The codes of vocabulary `name`, in its `order` column's order (else the file's), keeping only the rows
    whose columns equal `where` (e.g. `codes("sectors", care=True)`)."""
    return tuple(_vocabulary(name, order, where)[VOCABULARIES[name]].to_list())


def labels(name: str, column: str = "label", order: str = ORDER, **where: object) -> dict[str, str]:
    """code -> `column` of vocabulary `name` (rows where it is empty left out), ordered and filtered as codes()."""
    table = _vocabulary(name, order, where).drop_nulls(column)
    return dict(zip(table[VOCABULARIES[name]], table[column], strict=True))


def time_bound(key: str) -> dt.date:
    """One of the date bounds every table schema checks (time_bounds.csv)."""
    bounds = _time_bounds()
    if key not in bounds:
        raise KeyError(f"time bound {key!r} is not in dmpdata/reference/time_bounds.csv")
    return bounds[key]


@cache
def _time_bounds() -> dict[str, dt.date]:
    table = load("time_bounds")
    return dict(zip(table["key"], table["value"], strict=True))
