"""DuckDB warehouse of a dataset: typed tables (primary keys declared on the four small ones), reference tables
`ref_<name>`, `dmpdata_meta`, views, derived tables.

`connect(dataset, db=None, *, validate=True, link=None)` returns a DuckDB connection (link=True: the event tables are
views over the dataset's Parquet parts); `derive(con)` (re)creates the derived tables on any connection holding the
dataset tables; see dmpdata/warehouse/README.md.
"""

from __future__ import annotations

from dmpdata.warehouse.build import (
    CONFIG,
    LINKED_TABLES,
    META_TABLE,
    WAREHOUSE_FORMAT,
    connect,
    derive,
    derived_sql,
    fingerprint,
    views_sql,
)
from dmpdata.warehouse.ddl import (
    PRIMARY_KEYS,
    UNDECLARED_KEYS,
    columns,
    create_statements,
    enum_types,
)

__all__ = [
    "CONFIG",
    "LINKED_TABLES",
    "META_TABLE",
    "PRIMARY_KEYS",
    "UNDECLARED_KEYS",
    "WAREHOUSE_FORMAT",
    "columns",
    "connect",
    "create_statements",
    "derive",
    "derived_sql",
    "enum_types",
    "fingerprint",
    "views_sql",
]
