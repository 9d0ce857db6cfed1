"""Analyses: one SQL file per question (dmpdata/analyses/<section>/<name>.sql), run on DuckDB into polars frames.

Each SQL file opens with a comment block (see README.md beside this module)::

    -- question: Share of hospital discharge letters read by the médecin traitant within 7 and 30 days
    -- grain: one row per year of discharge
    -- params: none | $as_of DATE = 2026-07-01 ; $months INTEGER = 6
    -- definitions:
    --   free text
    -- columns:
    --   name     description

The SQL reads only the dataset tables (organizations, professionals, patients, conditions, encounters,
documents, observations, access_events), reference tables named ``ref_<name>`` and the derived tables of
dmpdata/warehouse/derived.sql (built by ``dmpdata.warehouse.derive(con)``), so it runs on any DuckDB connection
holding them (``dmpdata.warehouse.connect`` builds one). Parameters are bound by DuckDB (``$name``), never
formatted into the SQL.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any

import duckdb
import polars as pl

from dmpdata.errors import DmpdataError

__all__ = [  # noqa: RUF022 (the catalogue's order)
    "Question",
    "questions",
    "question",
    "run",
    # coordination
    "professionals_per_patient",
    "discharge_letters_read_by_gp",
    "discharge_letter_read_delays",
    "cross_sector_sharing",
    "lab_results_read_by_others",
    "professional_sharing_network",
    # adoption
    "documents_per_month",
    "professionals_feeding_share",
    "mes_activation_over_time",
    "mandatory_document_compliance",
    "consultations_per_month",
    # chronic_follow_up
    "hba1c_tests_per_year",
    "diabetes_follow_up_indicators",
    "diabetics_overdue",
    "care_vs_dmp",
    # access_audit
    "emergency_access_rates",
    "denials_by_reason",
    "masked_documents",
    "patients_viewing_access_history",
]

SECTIONS = ("coordination", "adoption", "chronic_follow_up", "access_audit")
PARAM_TYPES = ("DATE", "INTEGER", "DOUBLE", "VARCHAR", "BOOLEAN")


@dataclass(frozen=True)
class Question:
    """One analysis: its SQL file's header, parsed. `params` maps name → (DuckDB type, default)."""

    name: str
    section: str
    question: str
    grain: str
    params: dict[str, tuple[str, Any]] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)
    definitions: str = ""
    sql: str = field(default="", repr=False)


# ---------------------------------------------------------------------------------------------- header parsing

_KEY = re.compile(r"^-- ([a-z_]+):\s*(.*)$")
_COLUMN = re.compile(r"^-- {3}([a-z_][a-z0-9_]*)\s+(\S.*)$")
_CONTINUATION = re.compile(r"^-- {4,}(\S.*)$")
_PARAM = re.compile(r"^\$([a-z_][a-z0-9_]*)\s+([A-Z]+)\s*=\s*(\S.*?)\s*$")


# What a parameter of each type must be, as an error message says it.
_EXPECTED = {
    "DATE": "a date (YYYY-MM-DD)",
    "INTEGER": "an integer",
    "DOUBLE": "a number",
    "BOOLEAN": "true or false",
    "VARCHAR": "a string",
}


def _parse_value(duck_type: str, raw: Any, *, where: str) -> Any:
    """Coerce a value (from a header default or a caller) to the Python type DuckDB binds for `duck_type`."""
    bad = DmpdataError(f"{where}: expected {_EXPECTED.get(duck_type, duck_type)}, got {raw!r}")
    if duck_type == "DATE":
        if isinstance(raw, _dt.datetime):
            return raw.date()
        if isinstance(raw, _dt.date):
            return raw
        if isinstance(raw, str):
            try:
                return _dt.date.fromisoformat(raw.strip())
            except ValueError:
                raise bad from None
        raise bad
    if duck_type == "INTEGER":
        if isinstance(raw, bool):
            raise bad
        if isinstance(raw, int):
            value = raw
        elif isinstance(raw, str) and re.fullmatch(r"\s*[+-]?\d+\s*", raw):
            value = int(raw)
        else:
            raise bad
        if not -(2**31) <= value < 2**31:
            raise bad
        return value
    if duck_type == "DOUBLE":
        if isinstance(raw, bool):
            raise bad
        if isinstance(raw, (int, float)):
            return float(raw)
        if isinstance(raw, str):
            try:
                return float(raw)
            except ValueError:
                raise bad from None
        raise bad
    if duck_type == "BOOLEAN":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
            return raw.strip().lower() == "true"
        raise bad
    if duck_type == "VARCHAR":
        if isinstance(raw, str):
            return raw
        raise bad
    raise DmpdataError(
        f"{where}: unsupported parameter type {duck_type} (use one of {', '.join(PARAM_TYPES)})"
    )


def parse_header(sql: str, *, name: str, section: str) -> Question:
    """Parse the leading comment block of an analysis SQL file into a Question (raises ValueError when malformed)."""
    header: list[str] = []
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        header.append(line.rstrip())
    fields: dict[str, list[str]] = {}
    columns: dict[str, str] = {}
    current: str | None = None
    last_column: str | None = None
    for line in header:
        key = _KEY.match(line)
        if key:
            current, last_column = key.group(1), None
            fields[current] = [key.group(2)] if key.group(2) else []
            continue
        if current is None:
            raise ValueError(f"{name}.sql: header line before any 'key:' line: {line!r}")
        if current == "columns":
            column = _COLUMN.match(line)
            cont = _CONTINUATION.match(line)
            if column:
                last_column = column.group(1)
                columns[last_column] = column.group(2)
            elif cont and last_column:
                columns[last_column] += " " + cont.group(1)
            else:
                raise ValueError(
                    f"{name}.sql: bad line in 'columns': {line!r} (use '--   name  description')"
                )
            continue
        text = line[2:].strip()
        if text:
            fields[current].append(text)
    for required in ("question", "grain", "params", "columns"):
        if required not in fields:
            raise ValueError(f"{name}.sql: header has no '-- {required}:' line")
    if not columns:
        raise ValueError(f"{name}.sql: 'columns' lists no column")
    params: dict[str, tuple[str, Any]] = {}
    spec = " ".join(fields["params"]).strip()
    if spec != "none":
        for part in spec.split(";"):
            match = _PARAM.match(part.strip())
            if not match:
                raise ValueError(f"{name}.sql: bad parameter {part.strip()!r} (write '$name TYPE = default')")
            pname, ptype, default = match.groups()
            if ptype not in PARAM_TYPES:
                raise ValueError(f"{name}.sql: parameter ${pname} has type {ptype}; use one of {PARAM_TYPES}")
            params[pname] = (ptype, _parse_value(ptype, default, where=f"{name}.sql default of ${pname}"))
    return Question(
        name=name,
        section=section,
        question=" ".join(fields["question"]).strip(),
        grain=" ".join(fields["grain"]).strip(),
        params=params,
        columns=columns,
        definitions=" ".join(fields.get("definitions", [])).strip(),
        sql=sql,
    )


@cache
def _catalogue() -> dict[str, Question]:
    found: dict[str, Question] = {}
    root = files(__name__)
    for section in SECTIONS:
        folder = root.joinpath(section)
        for entry in sorted(folder.iterdir(), key=lambda p: p.name):
            if not entry.name.endswith(".sql"):
                continue
            name = entry.name.removesuffix(".sql")
            if name in found:
                raise ValueError(f"two analyses named {name!r} ({found[name].section} and {section})")
            found[name] = parse_header(entry.read_text(encoding="utf-8"), name=name, section=section)
    return found


# ---------------------------------------------------------------------------------------------- public API


def questions() -> list[Question]:
    """Every analysis, in section order (coordination, adoption, chronic_follow_up, access_audit), then by name."""
    return list(_catalogue().values())


def question(name: str) -> Question:
    """The analysis called `name` (DmpdataError when there is none)."""
    catalogue = _catalogue()
    if name not in catalogue:
        raise DmpdataError(f"no analysis named {name!r}; known analyses: {', '.join(catalogue)}")
    return catalogue[name]


def run(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> pl.DataFrame:
    """Run analysis `name` on `con` (a DuckDB connection holding the dataset, ref_ and derived tables) into a frame.

    Parameters are the analysis's (`question(name).params`); omitted ones take their declared default. An unknown
    analysis or parameter, or a value of the wrong type, raises DmpdataError.
    """
    q = question(name)
    unknown = sorted(set(params) - set(q.params))
    if unknown:
        accepted = ", ".join(q.params) or "none"
        raise DmpdataError(
            f"analysis {name!r} has no parameter {', '.join(unknown)}; its parameters: {accepted}"
        )
    values = {
        pname: default
        if params.get(pname) is None
        else _parse_value(ptype, params[pname], where=f"{name}: ${pname}")
        for pname, (ptype, default) in q.params.items()
    }
    return con.sql(q.sql, params=values or None).pl()


# ---------------------------------------------------------------------------------------------- one function per question
# Docstrings are the questions of the SQL headers (tests/test_analyses.py checks they agree).


def professionals_per_patient(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """How many different professionals take care of a patient in a year, and in how many care sectors?"""
    return run(con, "professionals_per_patient")


def discharge_letters_read_by_gp(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Share of hospital discharge letters read by the médecin traitant within 7 and 30 days"""
    return run(con, "discharge_letters_read_by_gp")


def discharge_letter_read_delays(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """How long after its submission is a hospital discharge letter first read, by the médecin traitant and by any other professional?"""
    return run(con, "discharge_letter_read_delays")


def cross_sector_sharing(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Are documents written in one care sector read by professionals of other sectors?"""
    return run(con, "cross_sector_sharing")


def lab_results_read_by_others(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Are lab reports read by professionals other than the one who prescribed the test?"""
    return run(con, "lab_results_read_by_others")


def professional_sharing_network(con: duckdb.DuckDBPyConnection, *, limit: int | None = None) -> pl.DataFrame:
    """Which pairs of professionals share the most through the DMP (one writes, the other reads)?"""
    return run(con, "professional_sharing_network", limit=limit)


def documents_per_month(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """How many documents reach the DMP each month, by document type, class, author sector and region?"""
    return run(con, "documents_per_month")


def professionals_feeding_share(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """What share of professionals feed the DMP each month, by profession?"""
    return run(con, "professionals_feeding_share")


def mes_activation_over_time(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """How many people have an open Mon espace santé profile, and how many activated it, month by month?"""
    return run(con, "mes_activation_over_time")


def mandatory_document_compliance(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Of the encounters that legally required a document in the DMP, how many got one, by document type and year?"""
    return run(con, "mandatory_document_compliance")


def consultations_per_month(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """How many times do professionals consult the DMP each month, by profession and access channel?"""
    return run(con, "consultations_per_month")


def hba1c_tests_per_year(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """How many HbA1c tests do type 2 diabetics get in a year (0, 1, 2-3, 4 or more)?"""
    return run(con, "hba1c_tests_per_year")


def diabetes_follow_up_indicators(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Do type 2 diabetics get the follow-up HAS recommends (fundus exam, creatinine, albuminuria) and is their HbA1c controlled?"""
    return run(con, "diabetes_follow_up_indicators")


def diabetics_overdue(
    con: duckdb.DuckDBPyConnection,
    *,
    as_of: _dt.date | str | None = None,
    months: int | None = None,
) -> pl.DataFrame:
    """Which type 2 diabetics are overdue for their HbA1c test on a given date (the decision-support cohort)?"""
    return run(con, "diabetics_overdue", as_of=as_of, months=months)


def care_vs_dmp(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """What care happened (encounters) versus what the DMP shows (documents fed), by kind of encounter and year?"""
    return run(con, "care_vs_dmp")


def emergency_access_rates(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """How often do professionals open a DMP in emergency mode (bris de glace, centre 15), and how often is it refused?"""
    return run(con, "emergency_access_rates")


def denials_by_reason(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Why are professionals' consultations of the DMP refused, year by year?"""
    return run(con, "denials_by_reason")


def masked_documents(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Which documents do patients mask from professionals, and what does masking block?"""
    return run(con, "masked_documents")


def patients_viewing_access_history(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Do patients who activated Mon espace santé look at who accessed their DMP (the access history)?"""
    return run(con, "patients_viewing_access_history")
