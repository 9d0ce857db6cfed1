"""Shared pieces of the table schemas: code sets from the reference tables and date bounds."""

from __future__ import annotations

import datetime as dt
from functools import cache

import polars as pl

from dmpdata import reference

EARLIEST_BIRTH = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2026, 12, 31)
TEST_OID_NAME = "INS-NIR-TEST"


@cache
def codes(table: str, column: str) -> list[str]:
    """The values of a reference code column (a Pandera `isin` set)."""
    return reference.load(table)[column].drop_nulls().unique().sort().to_list()


@cache
def test_oid() -> str:
    return reference.load("ins_oids").filter(pl.col("name") == TEST_OID_NAME)["oid"][0]


@cache
def birthplace_codes() -> list[str]:
    return sorted(set(codes("communes", "code")) | set(codes("birth_countries", "country_code")))


@cache
def dmp_types() -> list[str]:
    """Document types the DMP accepts: those of ASS_X16 (type -> class correspondence of the DMP)."""
    table = reference.load("document_types").filter(pl.col("in_x16"))
    return table["type_code"].sort().to_list()
