"""Data dictionary of the dataset tables: schemas + dmpdata/schemas/columns.csv rendered as Markdown."""

from __future__ import annotations

import csv
import datetime as dt
import inspect
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from dmpdata import _pandera, reference
from dmpdata.errors import DmpdataError
from dmpdata.schemas import MODELS, integrity
from dmpdata.schemas._common import test_oid

__all__ = [
    "CHECK",
    "COLUMNS_CSV",
    "DICTIONARY_MD",
    "GRAIN",
    "DictionaryError",
    "Entry",
    "check",
    "custom_checks",
    "descriptions",
    "render",
    "write",
]

COLUMNS_CSV = Path(__file__).resolve().parent / "schemas" / "columns.csv"
DICTIONARY_MD = COLUMNS_CSV.with_name("DATA_DICTIONARY.md")
GRAIN = "*"  # columns.csv rows with column = "*" give the table's grain
CHECK = "check:"  # rows with column = "check:<name>" explain a named custom check of the table
FIELDS = ["table", "column", "description", "codes"]
# In a `codes` cell, {name} is replaced by the codes of vocabulary `name` (reference/<name>.csv, in its order) and
# {name:column} by those whose Boolean `column` is true: the dictionary lists the vocabulary, it does not repeat it.
VOCABULARY = re.compile(r"\{(\w+)(?::(\w+))?\}")
MAX_LISTED = 6  # isin sets up to this size are listed in full
BUILTIN_CHECKS = {
    "isin",
    "notin",
    "equal_to",
    "not_equal_to",
    "greater_than",
    "greater_than_or_equal_to",
    "less_than",
    "less_than_or_equal_to",
    "in_range",
    "str_matches",
    "str_contains",
    "str_startswith",
    "str_endswith",
    "str_length",
    "unique_values_eq",
}


class DictionaryError(DmpdataError, ValueError):
    """columns.csv and the table schemas disagree (a column without description, a stale row, …)."""


@dataclass(frozen=True)
class Entry:
    description: str
    codes: str


def descriptions(path: Path = COLUMNS_CSV) -> dict[str, dict[str, Entry]]:
    """columns.csv as table -> column (or "*" for the grain) -> Entry, in file order."""
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames != FIELDS:
            raise DictionaryError(f"{path}: header must be {','.join(FIELDS)}, got {reader.fieldnames}")
        out: dict[str, dict[str, Entry]] = {}
        for line, row in enumerate(reader, start=2):
            table, column = row["table"].strip(), row["column"].strip()
            if column in out.get(table, {}):
                raise DictionaryError(f"{path}:{line}: {table}.{column} is described twice")
            codes = _vocabularies((row["codes"] or "").strip(), f"{path}:{line}")
            out.setdefault(table, {})[column] = Entry(row["description"].strip(), codes)
    return out


def _vocabularies(cell: str, where: str) -> str:
    """Replace the {vocabulary} and {vocabulary:column} references of a codes cell by the codes, ` | `-separated."""

    def codes(match: re.Match) -> str:
        name, column = match.groups()
        if name not in reference.VOCABULARIES:
            raise DictionaryError(f"{where}: {{{name}}} is not a vocabulary of dmpdata.reference")
        if column and column not in reference.load(name).columns:
            raise DictionaryError(f"{where}: vocabulary {name!r} has no column {column!r}")
        return " | ".join(reference.codes(name, **({column: True} if column else {})))

    return VOCABULARY.sub(codes, cell)


def custom_checks(model) -> list[str]:
    """Names of the model's named checks that are not pandera built-ins (table-level and column-level)."""
    schema = model.to_schema()
    names = [c.name for c in schema.checks]
    for column in schema.columns.values():
        names += [c.name for c in column.checks if c.name not in BUILTIN_CHECKS]
    return names


def check(entries: dict[str, dict[str, Entry]] | None = None) -> None:
    """Raise DictionaryError unless every schema column and every table's grain has exactly one non-empty
    description row, and no row names a table, column or check the schemas no longer have (check:<name> rows
    are optional: an undescribed check is shown with its method's docstring, or its name)."""
    entries = descriptions() if entries is None else entries
    problems = []
    for table, model in MODELS.items():
        rows = entries.get(table, {})
        columns = list(model.to_schema().columns)
        for column in [GRAIN, *columns]:
            what = "the grain (column = *)" if column == GRAIN else f"column {table}.{column}"
            if column not in rows:
                problems.append(f"no description row for {what}")
            elif not rows[column].description:
                problems.append(f"empty description for {what}")
        known = {GRAIN, *columns, *(CHECK + c for c in custom_checks(model))}
        stale = [c for c in rows if c not in known]
        problems += [
            f"stale row {table}.{c}: the schema has no such {'check' if c.startswith(CHECK) else 'column'}"
            for c in stale
        ]
    problems += [
        f"stale rows for table {t!r}: not in dmpdata.schemas.MODELS" for t in entries if t not in MODELS
    ]
    if problems:
        raise DictionaryError(
            f"{COLUMNS_CSV.name} does not match the schemas (dmpdata/schemas/*.py):\n  - "
            + "\n  - ".join(problems)
        )


# ---------------------------------------------------------------- rendering helpers


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _value(v) -> str:
    if isinstance(v, dt.datetime) and v.time() == dt.time(0):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def _type_name(dtype: pl.DataType) -> str:
    if isinstance(dtype, pl.Datetime):
        return f"Datetime({dtype.time_unit}{', ' + dtype.time_zone if dtype.time_zone else ''})"
    return str(dtype)


def _check_doc(chk, rows: dict[str, Entry]) -> str | None:
    """columns.csv's check:<name> row, else the Check's description, else the docstring of the method behind it."""
    if CHECK + chk.name in rows:
        return rows[CHECK + chk.name].description
    if getattr(chk, "description", None):
        return chk.description
    return _pandera.method_doc(chk)


def _column_check(chk, rows: dict[str, Entry]) -> str:
    s = chk.statistics or {}
    name = chk.name
    if name == "isin":
        values = list(s["allowed_values"])
        if len(values) == 1:
            return f"= `{values[0]}`"
        if len(values) <= MAX_LISTED:
            return "one of " + ", ".join(f"`{v}`" for v in values)
        return f"one of {len(values):,} values"
    if name == "notin":
        return f"none of {len(list(s['forbidden_values']))} values"
    if name == "greater_than_or_equal_to":
        return f"≥ {_value(s['min_value'])}"
    if name == "greater_than":
        return f"> {_value(s['min_value'])}"
    if name == "less_than_or_equal_to":
        return f"≤ {_value(s['max_value'])}"
    if name == "less_than":
        return f"< {_value(s['max_value'])}"
    if name == "equal_to":
        return f"= {_value(s['value'])}"
    if name == "in_range":
        lo = "" if s.get("include_min", True) else " (excluded)"
        hi = "" if s.get("include_max", True) else " (excluded)"
        return f"between {_value(s['min_value'])}{lo} and {_value(s['max_value'])}{hi}"
    if name == "str_matches":
        return f"matches `{s['pattern']}`"
    if name == "str_startswith":
        return f"starts with `{s['string']}`"
    if name == "str_length":
        if s.get("exact_value") is not None:
            return f"{s['exact_value']} characters"
        lo, hi = s.get("min_value"), s.get("max_value")
        if lo is not None and hi is not None:
            return f"{lo}–{hi} characters"
        if hi is None:
            return "non-empty" if lo == 1 else f"≥ {lo} characters"
        return f"≤ {hi} characters"
    return _check_doc(chk, rows) or f"`{name}`"


def _checks_of(column, rows: dict[str, Entry]) -> str:
    parts = [_column_check(c, rows) for c in column.checks]
    if column.unique:
        parts.append("unique")
    return "; ".join(parts)


def _table_section(table: str, model, rows: dict[str, Entry]) -> list[str]:
    schema = model.to_schema()
    out = [f"## `{table}`", "", f"**Grain:** {rows[GRAIN].description}", ""]
    out += ["| column | type | nullable | description | codes | checks |", "|---|---|---|---|---|---|"]
    for name, column in schema.columns.items():
        entry = rows[name]
        out.append(
            "| "
            + " | ".join(
                [
                    f"`{name}`",
                    _type_name(column.dtype.type),
                    "yes" if column.nullable else "no",
                    _cell(entry.description),
                    _cell(entry.codes),
                    _cell(_checks_of(column, rows)),
                ]
            )
            + " |"
        )
    out.append("")
    if schema.checks:
        out += ["Table-level checks (every row):", ""]
        for chk in schema.checks:
            doc = _check_doc(chk, rows)
            out.append(f"- `{chk.name}`: {doc}" if doc else f"- `{chk.name}`")
        out.append("")
    return out


HEADER = """\
# dmpdata data dictionary

<!-- Generated by `uv run python -m dmpdata.dictionary` from the table schemas (dmpdata/schemas/*.py)
     and dmpdata/schemas/columns.csv. Do not edit by hand: edit columns.csv or the schemas, then regenerate. -->

**All data here is synthetic.** Every person, professional, structure and document is fictitious.
Patient identities carry the INS-NIR **TEST** OID `{oid}` (`patients.ins_oid`): they are not real
INS and must never be used, or mixed with, real health data. FINESS, SIRET, RPPS and RPPS-rang numbers have valid keys
but are invented.

## Layout of a dataset

A dataset is a folder holding, for each table below, a sub-folder of Parquet parts
(`<table>/part-00000.parquet`, `part-00001.parquet`, …: read them together, e.g. DuckDB
`read_parquet('<dataset>/documents/*.parquet')` or `dmpdata.open_dataset(path).table("documents")`),
and `manifest.json`: the generator (`dmpdata`) and its version, the format version, `synthetic: true`
with a notice, the INS OID, the scenario (period `start`–`end`, area, number of patients) and seed,
and per table its row count and every file with its rows, bytes and sha256. The folder is written
under a temporary name and renamed once complete: if `manifest.json` is there, the dataset is whole.

Conventions for every table:

- **Ids** are Int64, ≥ 1, unique in their table and deterministic for a given scenario and seed
  (whatever the chunking). Per-patient tables are numbered by patient, then time.
- **Times** (`Datetime(us)`) are naive local times (French wall-clock time, no time zone attached);
  **dates** (`Date`) are calendar days. The simulated period is the scenario's `start`–`end` (manifest).
- **Null** means "does not apply" or "did not happen": each column says which.
- **Codes** hold the official French code values (TRE/JDV of the ANS, INSEE COG, ICD-10, LOINC, UCUM)
  where one exists, else a small dmpdata vocabulary listed in the column's row. The reference tables
  named in *codes* are the CSV files of `dmpdata/reference/` (labels, sources; read with
  `dmpdata.reference.load(name)`).
- **checks** are what the Pandera schemas verify on every generated dataset (`dmpdata validate`).

Tables: {toc}.
"""

ACCESS_RULE = """\
## The access rule: who may read what

A professional's `consult` of a patient's DMP (an `access_events` row with `action = 'consult'`) is
granted or denied by the DMP's rules, checked in this order; the first that applies gives `outcome`:

1. **No open DMP** → `denied_no_dmp`: at the time of the attempt the patient has no profile
   (`patients.mes_created_at` is null or later than that day; opposed patients never have one) or it is
   closed (`mes_closed_at` on or before that day). Such attempts may concern no document
   (`document_id` null).
2. **Blocked** → `denied_blocked`: the patient's latest `block_professional` / `unblock_professional`
   event targeting this professional (`target_professional_id`) at or before the attempt is a block.
3. **Access matrix** (normal mode only) → `denied_matrix`: in `access_mode = 'normal'`, the matrix
   (reference table `access_matrix`, column `allowed`, by `professionals.profession_code` ×
   `documents.type_code`) does not let that profession read that type of document; a pair absent from
   the matrix counts as not allowed. The emergency modes (`bris_de_glace`, `centre_15`) bypass the matrix.
4. **Emergency opt-out** → `denied_emergency_opt_out`: the patient has refused the emergency mode used,
   on or before that day — each mode is a consent of its own (given by default, refusable on its own):
   `patients.bris_de_glace_opt_out_at` for `bris_de_glace`, `patients.centre_15_opt_out_at` for `centre_15`.
5. **Masked** → `denied_masked`: the document is masked to professionals at that time (its latest
   `mask` / `unmask` event at or before the attempt is a mask; `documents.masked_ps` is only the final state)
   and the professional is neither its author (`documents.author_professional_id`) nor the patient's
   médecin traitant that day (a `gp_declarations` row of that patient and professional in force on that day).
6. Otherwise → `granted`.

Whether the DMP traces rules 3 and 5 as refusals, or rather leaves those documents out of the list a
professional sees, is an assumption (reference table `access_outcomes`, column `evidence`): dmpdata traces them.

Consultations only target documents already submitted (`submitted_at` ≤ the attempt) and still
approved then. Every other action (submissions, deletions, the patient's own actions, the Assurance
Maladie's) is `granted`. `dmpdata`'s oracle tests recompute every outcome independently from these
tables.
"""


def render() -> str:
    """The data dictionary as Markdown (raises DictionaryError if columns.csv and the schemas disagree)."""
    entries = descriptions()
    check(entries)
    toc = ", ".join(f"[`{t}`](#{t})" for t in MODELS)
    lines = [HEADER.format(oid=test_oid(), toc=toc)]
    for table, model in MODELS.items():
        lines += _table_section(table, model, entries[table])
    lines += [
        "## Cross-table checks",
        "",
        "Checked on the whole dataset by `dmpdata validate` (dmpdata/schemas/integrity.py):",
        "",
        "| check | tables | what it verifies |",
        "|---|---|---|",
    ]
    for name, (tables, fn) in integrity.CHECKS.items():
        doc = (inspect.getdoc(fn) or name).splitlines()[0]
        lines.append(f"| `{name}` | {', '.join(tables)} | {_cell(doc)} |")
    lines += ["", ACCESS_RULE]
    return "\n".join(lines).rstrip("\n") + "\n"


def write(path: str | Path = DICTIONARY_MD) -> Path:
    """Write render() to `path` (default dmpdata/schemas/DATA_DICTIONARY.md)."""
    path = Path(path)
    path.write_text(render(), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(f"wrote {write()}")
