"""Analyses: one SQL file per question (dmpdata/analyses/<section>/<name>.sql), run on DuckDB into polars frames.

Each SQL file opens with a comment block (see README.md beside this module)::

    -- question: Share of hospital discharge letters read by the médecin traitant within 7 and 30 days
    -- grain: one row per year of discharge
    -- params: none | $as_of DATE = 2026-07-01 ; $months INTEGER = 6
    -- definitions:
    --   free text
    -- columns:
    --   name     description

The headers are the single source: at import, every file becomes a `Question` (`questions()`), a module function
of the same name taking the header's parameters as keywords (its docstring built from the header), and an entry of
`__all__`, in the catalogue's order (sections in `SECTIONS` order, then file names).

The SQL reads only the dataset tables (organizations, professionals, patients, conditions, encounters,
documents, observations, access_events), reference tables named ``ref_<name>`` and the derived tables of
dmpdata/warehouse/derived/ (built by ``dmpdata.warehouse.derive(con)``), so it runs on any DuckDB connection
holding them (``dmpdata.warehouse.connect`` builds one). Parameters are bound by DuckDB (``$name``), never
formatted into the SQL.
"""

from __future__ import annotations

import datetime as _dt
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any

import duckdb
import polars as pl

from dmpdata.errors import DmpdataError
from dmpdata.sqlheader import header_fields

# The sections (folders) in the catalogue's and the report's order, with the title the report gives them.
SECTIONS = {
    "coordination": "Care coordination",
    "adoption": "DMP adoption",
    "chronic_follow_up": "Chronic disease follow-up",
    "access_audit": "Access audit",
}
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


# ---------------------------------------------------------------------------------------------- parameter values

# What a parameter of each type must be, as an error message says it.
_EXPECTED = {
    "DATE": "a date (YYYY-MM-DD)",
    "INTEGER": "an integer",
    "DOUBLE": "a number",
    "BOOLEAN": "true or false",
    "VARCHAR": "a string",
}


def _as_date(raw: Any) -> _dt.date | None:
    if isinstance(raw, _dt.datetime):
        return raw.date()
    if isinstance(raw, _dt.date):
        return raw
    if isinstance(raw, str):
        try:
            return _dt.date.fromisoformat(raw.strip())
        except ValueError:
            return None
    return None


def _as_integer(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and re.fullmatch(r"\s*[+-]?\d+\s*", raw):
        value = int(raw)
    else:
        return None
    return value if -(2**31) <= value < 2**31 else None


def _as_double(raw: Any) -> float | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        return float(raw)
    if isinstance(raw, str):
        try:
            return float(raw)
        except ValueError:
            return None
    return None


def _as_boolean(raw: Any) -> bool | None:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
        return raw.strip().lower() == "true"
    return None


def _as_varchar(raw: Any) -> str | None:
    return raw if isinstance(raw, str) else None


# Each DuckDB type's coercion: the Python value DuckDB binds, or None when `raw` is not one.
_COERCE: dict[str, Callable[[Any], Any]] = {
    "DATE": _as_date,
    "INTEGER": _as_integer,
    "DOUBLE": _as_double,
    "BOOLEAN": _as_boolean,
    "VARCHAR": _as_varchar,
}


def _parse_value(duck_type: str, raw: Any, *, where: str) -> Any:
    """Coerce a value (from a header default or a caller) to the Python type DuckDB binds for `duck_type`."""
    coerce = _COERCE.get(duck_type)
    if coerce is None:
        raise DmpdataError(
            f"{where}: unsupported parameter type {duck_type} (use one of {', '.join(PARAM_TYPES)})"
        )
    value = coerce(raw)
    if value is None:
        raise DmpdataError(f"{where}: expected {_EXPECTED[duck_type]}, got {raw!r}")
    return value


# ---------------------------------------------------------------------------------------------- header parsing

_PARAM = re.compile(r"^\$([a-z_][a-z0-9_]*)\s+([A-Z]+)\s*=\s*(\S.*?)\s*$")


def _parse_params(spec: str, name: str) -> dict[str, tuple[str, Any]]:
    """`$name TYPE = default ; …` (or `none`) as {name: (type, default)}."""
    params: dict[str, tuple[str, Any]] = {}
    if spec == "none":
        return params
    for part in spec.split(";"):
        match = _PARAM.match(part.strip())
        if not match:
            raise ValueError(f"{name}.sql: bad parameter {part.strip()!r} (write '$name TYPE = default')")
        pname, ptype, default = match.groups()
        if ptype not in PARAM_TYPES:
            raise ValueError(f"{name}.sql: parameter ${pname} has type {ptype}; use one of {PARAM_TYPES}")
        params[pname] = (ptype, _parse_value(ptype, default, where=f"{name}.sql default of ${pname}"))
    return params


def parse_header(sql: str, *, name: str, section: str) -> Question:
    """Parse the leading comment block of an analysis SQL file into a Question (raises ValueError when malformed)."""
    fields, columns = header_fields(sql, name)
    for required in ("question", "grain", "params", "columns"):
        if required not in fields:
            raise ValueError(f"{name}.sql: header has no '-- {required}:' line")
    if not columns:
        raise ValueError(f"{name}.sql: 'columns' lists no column")
    return Question(
        name=name,
        section=section,
        question=" ".join(fields["question"]).strip(),
        grain=" ".join(fields["grain"]).strip(),
        params=_parse_params(" ".join(fields["params"]).strip(), name),
        columns=columns,
        definitions=" ".join(fields.get("definitions", [])).strip(),
        sql=sql,
    )


@cache
def _catalogue() -> dict[str, Question]:
    """Every analysis file parsed, in the catalogue's order: sections in SECTIONS order, then by file name."""
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

# The Python type a caller may pass for a parameter of each DuckDB type (None: the header's default).
_ANNOTATIONS = {
    "DATE": "datetime.date | str | None",
    "INTEGER": "int | None",
    "DOUBLE": "float | None",
    "VARCHAR": "str | None",
    "BOOLEAN": "bool | None",
}


def _docstring(q: Question) -> str:
    """The entry point's docstring: the question, then the grain, parameters and columns of the header."""
    args = [
        "    con: DuckDB connection holding the dataset, ref_ and derived tables (`dmpdata.warehouse.connect`)."
    ]
    args += [
        f"    {pname}: {ptype}, default {default} (None: the default)."
        for pname, (ptype, default) in q.params.items()
    ]
    columns = [f"    - `{column}`: {text}" for column, text in q.columns.items()]
    grain = q.grain[:1].upper() + q.grain[1:]
    where = f"{grain} (section {q.section}, file {q.section}/{q.name}.sql)."
    returns = ["Returns:", "    A polars DataFrame with the columns:", ""]
    return "\n".join([q.question, "", where, "", "Args:", *args, "", *returns, *columns])


def _entry_point(q: Question) -> Callable[..., pl.DataFrame]:
    """`dmpdata.analyses.<name>(con, **params)`: `run(con, name, **params)` with the header's keyword parameters."""

    def analysis(con: duckdb.DuckDBPyConnection, **params: Any) -> pl.DataFrame:
        return run(con, q.name, **params)

    signature = [
        inspect.Parameter("con", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation="DuckDBPyConnection")
    ]
    signature += [
        inspect.Parameter(pname, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=_ANNOTATIONS[ptype])
        for pname, (ptype, _) in q.params.items()
    ]
    analysis.__signature__ = inspect.Signature(signature, return_annotation="polars.DataFrame")  # type: ignore[attr-defined]
    analysis.__name__ = analysis.__qualname__ = q.name
    analysis.__module__ = __name__
    analysis.__doc__ = _docstring(q)
    return analysis


def _publish() -> list[str]:
    """Define one module function per analysis and return their names, in the catalogue's order."""
    names = []
    for q in questions():
        if q.name in globals():
            raise ValueError(f"analysis {q.name!r} would shadow dmpdata.analyses.{q.name}: rename its file")
        globals()[q.name] = _entry_point(q)
        names.append(q.name)
    return names


__all__ = ["SECTIONS", "Question", "question", "questions", "run", *_publish()]
