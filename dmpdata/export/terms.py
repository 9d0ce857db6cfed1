"""FHIR vocabulary of the export (profiles, extensions, systems, code mappings), read from reference/fhir_*.csv."""

from __future__ import annotations

from functools import cache

import polars as pl

from dmpdata import reference

__all__ = ["mapped", "url"]

ANY = "*"  # fhir_codes.value matching every value not listed


@cache
def _systems() -> dict[str, str]:
    table = reference.load("fhir_systems")
    return dict(zip(table["key"], table["value"], strict=True))


def url(key: str) -> str:
    """The value of `key` in reference/fhir_systems.csv (a profile, extension or code-system URL)."""
    try:
        return _systems()[key]
    except KeyError:
        raise KeyError(f"{key!r} is not in dmpdata/reference/fhir_systems.csv") from None


@cache
def _mapping(name: str) -> pl.DataFrame:
    rows = reference.load("fhir_codes").filter(pl.col("mapping") == name)
    if rows.is_empty():
        raise KeyError(f"no mapping {name!r} in dmpdata/reference/fhir_codes.csv")
    return rows


def mapped(name: str, column: str | pl.Expr, field: str = "code", *, partial: bool = False) -> pl.Expr:
    """Vectorised lookup of fhir_codes.csv mapping `name` (value -> code / display / system URL).

    A value missing from the mapping falls back on the `*` row, else gives null when `partial`, else raises
    (a new dataset code must be mapped)."""
    rows = _mapping(name)
    if field == "system":
        keys = list(_systems())
        rows = rows.with_columns(
            pl.col("system_key")
            .replace_strict(keys, [_systems()[k] for k in keys], default=None, return_dtype=pl.String)
            .alias("system")
        )
    default = rows.filter(pl.col("value") == ANY)[field]
    listed = rows.filter(pl.col("value") != ANY)
    expr = pl.col(column) if isinstance(column, str) else column
    kwargs = (
        {"default": pl.lit(default[0], dtype=pl.String)}
        if default.len()
        else {"default": None}
        if partial
        else {}
    )
    return expr.replace_strict(listed["value"], listed[field], return_dtype=pl.String, **kwargs)
