"""DuckDB DDL generated from the Pandera table schemas: column types, ENUM types for closed code sets, keys.

Type mapping (polars dtype of `dmpdata.schemas.columns_of` → DuckDB):

| polars | DuckDB |
|---|---|
| Int64 / Int32 / Int16 / Int8 | BIGINT / INTEGER / SMALLINT / TINYINT |
| Float64 / Float32 | DOUBLE / FLOAT |
| Boolean | BOOLEAN |
| Date | DATE |
| Datetime (naive) | TIMESTAMP (naive local time, no time zone) |
| String with an `isin` check of at most `MAX_ENUM_VALUES` values | an ENUM type of those values, sorted |
| any other String | VARCHAR |

Non-nullable columns are NOT NULL. `PRIMARY_KEYS` gives every table's key; it is declared as a PRIMARY KEY (added
after the load) on the four small tables, not on the four event tables (`UNDECLARED_KEYS`, see there).
ENUM types are named after the column (`residence_` dropped, so patients.residence_region and organizations.region
share `region`); when columns of the same name carry different value sets, the set shared by several tables keeps
the name (`sector` of organizations and professionals) and the others get `<table>_<column>` (`documents_sector`,
`encounters_kind`). Loading a value outside the set fails with a conversion error instead of storing an unknown code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import polars as pl

from dmpdata.schemas import MAX_CODE_SET, MODELS, TABLES, code_sets

__all__ = [
    "MAX_ENUM_VALUES",
    "PRIMARY_KEYS",
    "UNDECLARED_KEYS",
    "Column",
    "EnumType",
    "columns",
    "create_statements",
    "enum_types",
    "key_statements",
    "literal",
    "quote",
    "table_statement",
    "type_statements",
    "typed_select",
]

# Code sets larger than this (communes, birthplaces: ~35,000 values) stay VARCHAR.
MAX_ENUM_VALUES = MAX_CODE_SET

PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    "organizations": ("organization_id",),
    "professionals": ("professional_id",),
    "patients": ("patient_id",),
    "gp_declarations": ("patient_id", "declared_from"),
    "identity_records": ("patient_id", "organization_id"),
    "conditions": ("patient_id", "condition_code"),
    "encounters": ("encounter_id",),
    "documents": ("document_id",),
    "observations": ("observation_id",),
    "access_events": ("event_id",),
}

# Tables whose key is unique but not declared as a PRIMARY KEY. Their ids are proven unique by validation, which a
# load runs (or finds recorded for the same files) unless told not to, and dmpdata writes them in increasing order,
# so DuckDB's min/max zone maps find one id as fast as the key's index would. The index is all a PRIMARY KEY would
# add, at a large share of the load's time and of the file's size (benchmarks/RESULTS.md).
UNDECLARED_KEYS: frozenset[str] = frozenset({"encounters", "documents", "observations", "access_events"})

_SCALARS: dict[type, str] = {
    pl.Int64: "BIGINT",
    pl.Int32: "INTEGER",
    pl.Int16: "SMALLINT",
    pl.Int8: "TINYINT",
    pl.Float64: "DOUBLE",
    pl.Float32: "FLOAT",
    pl.Boolean: "BOOLEAN",
    pl.Date: "DATE",
    pl.String: "VARCHAR",
}


@dataclass(frozen=True)
class Column:
    table: str
    name: str
    sql_type: str  # a DuckDB type name or the name of an ENUM type
    nullable: bool
    enum: tuple[str, ...] | None = None  # the allowed values when sql_type is an ENUM


@dataclass(frozen=True)
class EnumType:
    name: str
    values: tuple[str, ...]
    columns: tuple[str, ...]  # "table.column" using it


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _scalar_type(table: str, name: str, dtype: pl.DataType) -> str:
    if isinstance(dtype, pl.Datetime) or dtype == pl.Datetime:
        if getattr(dtype, "time_zone", None):
            raise ValueError(f"{table}.{name}: time-zone-aware datetimes are not part of the contract")
        return "TIMESTAMP"
    base = dtype.base_type() if hasattr(dtype, "base_type") else dtype
    if base not in _SCALARS:
        raise ValueError(f"{table}.{name}: no DuckDB type for polars dtype {dtype}")
    return _SCALARS[base]


@cache
def _raw_columns() -> tuple[tuple[str, str, str, bool, tuple[str, ...] | None], ...]:
    """(table, column, scalar type, nullable, enum values or None) for every column of every table."""
    out = []
    for table in TABLES:
        schema = MODELS[table].to_schema()
        codes = code_sets(table)
        for name, column in schema.columns.items():
            sql = _scalar_type(table, name, column.dtype.type)
            values = codes.get(name) if sql == "VARCHAR" else None
            out.append((table, name, sql, bool(column.nullable), values))
    return tuple(out)


def _type_stem(column: str) -> str:
    return column.removeprefix("residence_")


@cache
def enum_types() -> tuple[EnumType, ...]:
    """The ENUM types of the warehouse, in creation order."""
    by_stem: dict[str, dict[tuple[str, ...], list[str]]] = {}
    for table, name, _, _, values in _raw_columns():
        if values is not None:
            by_stem.setdefault(_type_stem(name), {}).setdefault(values, []).append(f"{table}.{name}")
    types = []
    for stem, sets in by_stem.items():
        ranked = sorted(sets.items(), key=lambda item: -len(item[1]))
        for i, (values, users) in enumerate(ranked):
            shared = len(users) > 1 and (len(ranked) == 1 or len(users) > len(ranked[1][1]))
            if len(ranked) == 1 or (i == 0 and shared):
                types.append(EnumType(stem, values, tuple(users)))
            else:  # same column name, another value set: one type per column
                types.extend(EnumType(u.replace(".", "_"), values, (u,)) for u in users)
    names = [t.name for t in types]
    if len(names) != len(set(names)):  # pragma: no cover - guards a future clash of generated names
        raise ValueError(f"ENUM type names clash: {sorted(names)}")
    return tuple(types)


@cache
def columns(table: str) -> tuple[Column, ...]:
    """The warehouse columns of a dataset table, in contract order."""
    type_of = {c: t.name for t in enum_types() for c in t.columns}
    out = []
    for tbl, name, sql, nullable, values in _raw_columns():
        if tbl == table:
            key = f"{tbl}.{name}"
            out.append(Column(tbl, name, type_of.get(key, sql), nullable, values if key in type_of else None))
    if not out:
        raise KeyError(f"unknown table {table!r}")
    return tuple(out)


def _type_of(c: Column) -> str:
    return quote(c.sql_type) if c.enum else c.sql_type


def type_statements() -> list[str]:
    """CREATE TYPE statements of the ENUM code sets (before any table using them)."""
    return [
        f"CREATE TYPE {quote(t.name)} AS ENUM ({', '.join(literal(v) for v in t.values)})"
        for t in enum_types()
    ]


def table_statement(table: str) -> str:
    """CREATE TABLE statement of one dataset table (its ENUM types must exist; no data, no keys)."""
    lines = [f"    {quote(c.name)} {_type_of(c)}{'' if c.nullable else ' NOT NULL'}" for c in columns(table)]
    return f"CREATE TABLE {quote(table)} (\n" + ",\n".join(lines) + "\n)"


def create_statements() -> list[str]:
    """CREATE TYPE and CREATE TABLE statements for the dataset tables (no data, no keys: see key_statements)."""
    return type_statements() + [table_statement(table) for table in TABLES]


def typed_select(table: str, parts: Sequence[str], *, enums: bool = True) -> str:
    """SELECT of `table`'s columns, each cast to its warehouse type (ENUM code sets included), from its Parquet
    `parts` (at least one): what a warehouse copies into the table, or what a linked warehouse's view reads.

    enums=False leaves the code-set columns as the parts' strings (VARCHAR), the other columns typed as above."""
    if not parts:
        raise ValueError(f"no Parquet part to read {table} from")
    select = ", ".join(
        f"CAST({quote(c.name)} AS {_type_of(c) if enums or not c.enum else 'VARCHAR'}) AS {quote(c.name)}"
        for c in columns(table)
    )
    return f"SELECT {select} FROM read_parquet([{', '.join(literal(p) for p in parts)}])"


def key_statements() -> dict[str, str]:
    """ALTER TABLE … ADD PRIMARY KEY for every table outside `UNDECLARED_KEYS`, by table, run once the rows are loaded.

    Building the key index over the loaded table is about twice as fast as maintaining it row by row during the
    INSERT; a duplicate key fails the ALTER just as it would fail the INSERT.
    """
    return {
        t: f"ALTER TABLE {quote(t)} ADD PRIMARY KEY ({', '.join(quote(k) for k in PRIMARY_KEYS[t])})"
        for t in TABLES
        if t not in UNDECLARED_KEYS
    }
