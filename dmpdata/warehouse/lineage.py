"""The derived tables' SQL files (warehouse/derived/<table>.sql): their headers, what each reads, the build order.

Each file builds one table named after it and opens with a header in the analyses' style::

    -- grain: one row per …
    -- reads: documents, encounters        (the tables its SQL reads: dataset, reference (ref_*) or derived tables)
    -- columns:
    --   name     description

The build order is not written anywhere: it follows from `reads` (a table after every derived table it reads).
Tables whose name starts with an underscore are scratch tables, shared by several derived tables and dropped as soon
as the last of them is built.

Batches of patients. A statement that uses $lo and $hi runs once per batch: `derive()` splits the patient_id range
into batches [$lo, $hi) of about `DERIVE_BATCH_ROWS` encounters each, runs the statement as written for the first
batch and as `INSERT INTO <its table> <its query>` for the others (so it must be one
`CREATE OR REPLACE [TEMP] TABLE <name> AS <query>`), all batches before the next statement. Each batch's joins then
fit in memory where one join over the whole dataset spills to disk. Batching gives the same tables because a
document's encounter is the same patient's, and so is the document an access event consults (validation checks
both); counts over batches are summed afterwards, and only counts that add up across disjoint patients are.
"""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files as resource_files

from dmpdata.sqlheader import header_fields

__all__ = ["DerivedTable", "build_order", "derived_tables", "parse", "referenced"]

_BATCHED = re.compile(r"CREATE OR REPLACE (?:TEMP )?TABLE\s+(\S+)\s+AS\s+(.*)", re.DOTALL)
_READ = re.compile(r"\b(?:FROM|JOIN)\s+([A-Za-z_][A-Za-z0-9_]*)\b", re.IGNORECASE)
_CTE = re.compile(r"(?:\bWITH|,)\s*([A-Za-z_][A-Za-z0-9_]*)\s+AS\s*\(", re.IGNORECASE)
_DISTINCT_FROM = re.compile(r"\bIS\s+(?:NOT\s+)?DISTINCT\s+FROM\b", re.IGNORECASE)
_CREATED = re.compile(r"\bCREATE OR REPLACE (?:TEMP )?TABLE\s+([A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE)


@dataclass(frozen=True)
class DerivedTable:
    """One derived table: its file's header, parsed, and its statements (comments dropped)."""

    name: str
    grain: str
    reads: tuple[str, ...]
    columns: dict[str, str] = field(default_factory=dict)
    statements: tuple[str, ...] = ()
    sql: str = field(default="", repr=False)

    @property
    def scratch(self) -> bool:
        """A scratch table: shared by other derived tables, dropped once they are built."""
        return self.name.startswith("_")

    def plan(self) -> list[tuple[str, str | None]]:
        """(statement, None) for a statement run once, (statement, `INSERT INTO <table> <query>`) for a statement run
        per batch of patients (it uses $lo and $hi): the second form runs for every batch but the first."""
        plan: list[tuple[str, str | None]] = []
        for statement in self.statements:
            if "$lo" not in statement and "$hi" not in statement:
                plan.append((statement, None))
                continue
            batched = _BATCHED.fullmatch(statement)
            if batched is None or "$lo" not in statement or "$hi" not in statement:
                raise ValueError(
                    f"{self.name}.sql: a statement run per batch uses both $lo and $hi and is one CREATE OR "
                    f"REPLACE [TEMP] TABLE … AS <query>: {statement[:80]}"
                )
            table, query = batched.groups()
            plan.append((statement, f"INSERT INTO {table} {query}"))
        return plan


def statements(sql: str, name: str = "derived") -> list[str]:
    """The statements of a SQL script whose statements end with `;` at the end of a line (comments dropped)."""
    found, lines = [], []
    for line in sql.splitlines():
        if line.lstrip().startswith("--"):
            continue
        lines.append(line)
        if line.rstrip().endswith(";"):
            statement = "\n".join(lines).strip().removesuffix(";").strip()
            if statement:
                found.append(statement)
            lines = []
    if "\n".join(lines).strip():
        raise ValueError(f"{name}.sql ends with a statement without `;`: {' '.join(lines)[:80]}")
    return found


def referenced(sql: str) -> set[str]:
    """The tables the SQL reads (after FROM or JOIN), without its CTEs and the tables it creates itself."""
    body = "\n".join(line.split("--", 1)[0] for line in sql.splitlines())
    body = _DISTINCT_FROM.sub(" <> ", body)  # a comparison, not a FROM clause
    return set(_READ.findall(body)) - set(_CTE.findall(body)) - set(_CREATED.findall(body))


def parse(sql: str, name: str) -> DerivedTable:
    """A derived table's file parsed (ValueError when its header lacks grain, reads or columns)."""
    fields, columns = header_fields(sql, name)
    for required in ("grain", "reads", "columns"):
        if required not in fields:
            raise ValueError(f"{name}.sql: header has no '-- {required}:' line")
    if not columns:
        raise ValueError(f"{name}.sql: 'columns' lists no column")
    reads = tuple(t.strip() for t in " ".join(fields["reads"]).split(",") if t.strip())
    return DerivedTable(
        name=name,
        grain=" ".join(fields["grain"]).strip(),
        reads=reads,
        columns=columns,
        statements=tuple(statements(sql, name)),
        sql=sql,
    )


def build_order(tables: dict[str, DerivedTable]) -> list[str]:
    """The tables in an order where each comes after the derived tables it reads (ValueError on a cycle).

    Among the tables ready to build, those reading a scratch table already built come first, then the other
    derived tables, then a new scratch table (by name within each group): one scratch table is alive at a time.
    """
    pending = {name: {r for r in t.reads if r in tables} for name, t in tables.items()}
    built: list[str] = []

    def rank(name: str) -> tuple[int, str]:
        if any(tables[r].scratch for r in tables[name].reads if r in tables):
            return (0, name)
        return (2 if tables[name].scratch else 1, name)

    ready = [rank(n) for n, deps in pending.items() if not deps]
    heapq.heapify(ready)
    while ready:
        _, name = heapq.heappop(ready)
        built.append(name)
        for other, deps in pending.items():
            if name in deps:
                deps.discard(name)
                if not deps:
                    heapq.heappush(ready, rank(other))
    if len(built) != len(tables):
        raise ValueError(f"derived tables read each other in a cycle: {sorted(set(tables) - set(built))}")
    return built


@cache
def derived_tables() -> dict[str, DerivedTable]:
    """Every file of warehouse/derived/, parsed, in build order."""
    folder = resource_files(__package__).joinpath("derived")
    found = {
        entry.name.removesuffix(".sql"): parse(
            entry.read_text(encoding="utf-8"), entry.name.removesuffix(".sql")
        )
        for entry in sorted(folder.iterdir(), key=lambda p: p.name)
        if entry.name.endswith(".sql")
    }
    return {name: found[name] for name in build_order(found)}
