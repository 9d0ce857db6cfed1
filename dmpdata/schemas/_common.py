"""Shared pieces of the table schemas: code sets from the reference tables and date bounds (time_bounds.csv)."""

from __future__ import annotations

import datetime as dt
from functools import cache

import polars as pl

from dmpdata import reference

EARLIEST_BIRTH = reference.time_bound("earliest_birth")
LATEST_DATE = reference.time_bound("latest_date")
EARLIEST_EQUIPMENT = reference.time_bound("earliest_dmp_equipment")
# Event times (Datetime columns): bounds at midnight, so the data dictionary shows them as dates.
EVENT_TIMES = {
    "min_value": dt.datetime.combine(reference.time_bound("earliest_event"), dt.time()),
    "max_value": dt.datetime.combine(reference.time_bound("latest_event"), dt.time()),
}
# Event days (Date columns): the same period as EVENT_TIMES.
EVENT_DAYS = {"min_value": EVENT_TIMES["min_value"].date(), "max_value": EVENT_TIMES["max_value"].date()}
TEST_OID_NAME = "INS-NIR-TEST"


@cache
def codes(table: str, column: str) -> list[str]:
    """The values of a reference code column (a Pandera `isin` set)."""
    return reference.load(table)[column].drop_nulls().unique().sort().to_list()


def vocabulary(name: str, **where: object) -> list[str]:
    """A vocabulary's codes in its order (a Pandera `isin` set, listed in that order by the data dictionary)."""
    return list(reference.codes(name, **where))


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
