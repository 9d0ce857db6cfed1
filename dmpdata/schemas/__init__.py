"""Table schemas: one Pandera model per table (polars backend), the table order, and column conforming."""

from __future__ import annotations

from functools import cache

import pandera.polars as pa
import polars as pl

from dmpdata.schemas.access_events import AccessEvents
from dmpdata.schemas.conditions import Conditions
from dmpdata.schemas.documents import Documents
from dmpdata.schemas.encounters import Encounters
from dmpdata.schemas.gp_declarations import GpDeclarations
from dmpdata.schemas.identity_records import IdentityRecords
from dmpdata.schemas.observations import Observations
from dmpdata.schemas.organizations import Organizations
from dmpdata.schemas.patients import Patients
from dmpdata.schemas.professionals import Professionals

__all__ = [
    "MAX_CODE_SET",
    "MODELS",
    "PATIENT_TABLES",
    "SHARED_TABLES",
    "TABLES",
    "code_dtypes",
    "code_sets",
    "columns_of",
    "conform",
]

MODELS: dict[str, type[pa.DataFrameModel]] = {
    "organizations": Organizations,
    "professionals": Professionals,
    "patients": Patients,
    "gp_declarations": GpDeclarations,
    "identity_records": IdentityRecords,
    "conditions": Conditions,
    "encounters": Encounters,
    "documents": Documents,
    "observations": Observations,
    "access_events": AccessEvents,
}
TABLES = tuple(MODELS)
# The tables every chunk shares (read whole), and those whose rows each belong to one patient (one part per chunk;
# a subset keeps the rows of its patients).
SHARED_TABLES = ("organizations", "professionals")
PATIENT_TABLES = tuple(t for t in TABLES if t not in SHARED_TABLES)


def columns_of(table: str) -> dict[str, pl.DataType]:
    """Column names and polars dtypes of a table, in contract order."""
    return dict(_columns(table))


@cache
def _columns(table: str) -> tuple[tuple[str, pl.DataType], ...]:
    schema = MODELS[table].to_schema()  # builds (deep-copies) the whole schema: once per table and process
    return tuple((name, column.dtype.type) for name, column in schema.columns.items())


# A String column whose `isin` check allows at most this many values has a closed code set (a warehouse ENUM, an Enum
# column when written); larger sets (communes, birthplaces: ~35,000 values) stay plain strings.
MAX_CODE_SET = 1000


@cache
def _code_sets(table: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    out = []
    for name, column in MODELS[table].to_schema().columns.items():
        if column.dtype.type != pl.String:
            continue
        for check in column.checks:
            values = (check.statistics or {}).get("allowed_values") if check.name == "isin" else None
            if values is not None:
                values = tuple(sorted({str(v) for v in values}))
                if len(values) <= MAX_CODE_SET:
                    out.append((name, values))
                break
    return tuple(out)


def code_sets(table: str) -> dict[str, tuple[str, ...]]:
    """The String columns of a table with a closed code set (an `isin` check of at most MAX_CODE_SET values), each
    with its values sorted (code-point order, which is also the byte order of their UTF-8)."""
    return dict(_code_sets(table))


@cache
def _code_dtypes(table: str) -> tuple[tuple[str, pl.Enum], ...]:
    return tuple((name, pl.Enum(list(values))) for name, values in _code_sets(table))


def code_dtypes(table: str) -> dict[str, pl.Enum]:
    """The closed code sets of a table (`code_sets`) as polars Enums, by column: the dtype generators give those
    columns and parts are written from (a part reads back as String, the contract's dtype)."""
    return dict(_code_dtypes(table))


def conform(table: str, frame: pl.DataFrame, *, codes_as_enum: bool = False) -> pl.DataFrame:
    """Select the table's columns in contract order with their contract dtypes (missing column = error).

    codes_as_enum: the closed code sets as their Enum (`code_dtypes`) instead of String, the form parts are written
    from (a column already of that Enum is not converted)."""
    wanted = columns_of(table)
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise ValueError(f"{table}: the generator produced no column {missing}")
    if codes_as_enum:
        wanted = {**wanted, **code_dtypes(table)}
    return frame.select([pl.col(c).cast(t) for c, t in wanted.items()])
