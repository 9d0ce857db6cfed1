"""CSV export: one CSV per table (streamed part by part) plus the data dictionary (Markdown and CSV)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl

from dmpdata import dictionary
from dmpdata.export.subset import Selection
from dmpdata.layout import DatasetFolder, read_part
from dmpdata.schemas import MODELS

__all__ = ["DICTIONARY_CSV", "DICTIONARY_MD", "write_csv"]

DICTIONARY_MD = "DATA_DICTIONARY.md"
DICTIONARY_CSV = "dictionary.csv"


def _dictionary_frame(tables: list[str]) -> pl.DataFrame:
    """One row per exported column: table, column, dtype, nullable, description, codes (from columns.csv + schemas)."""
    entries = dictionary.descriptions()
    rows = []
    for table in tables:
        schema = MODELS[table].to_schema()
        for name, column in schema.columns.items():
            entry = entries[table][name]
            rows.append(
                {
                    "table": table,
                    "column": name,
                    "dtype": dictionary._type_name(column.dtype.type),
                    "nullable": column.nullable,
                    "description": entry.description,
                    "codes": entry.codes,
                }
            )
    return pl.DataFrame(
        rows,
        schema={
            "table": pl.String,
            "column": pl.String,
            "dtype": pl.String,
            "nullable": pl.Boolean,
            "description": pl.String,
            "codes": pl.String,
        },
    )


def write_csv(
    ds: DatasetFolder,
    selection: Selection,
    root: Path,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, int]:
    """Write `<table>.csv` for every table of `ds` (the rows `selection` keeps) and the dictionary; file -> rows."""
    report = progress or (lambda stage, done, total: None)
    counts: dict[str, int] = {}
    for table in ds.tables:
        name = f"{table}.csv"
        files = ds.files(table)
        rows = 0
        with open(root / name, "wb") as fh:
            for i, path in enumerate(files):
                frame = selection.rows(table, read_part(path))
                frame.write_csv(fh, include_header=i == 0)
                rows += frame.height
                report(table, i + 1, len(files))
        counts[name] = rows
    markdown = dictionary.render()
    (root / DICTIONARY_MD).write_text(markdown, encoding="utf-8")
    frame = _dictionary_frame([t for t in ds.tables if t in MODELS])
    frame.write_csv(root / DICTIONARY_CSV)
    counts[DICTIONARY_MD] = markdown.count("\n")
    counts[DICTIONARY_CSV] = frame.height
    return counts
