"""The comment header of dmpdata's SQL files (analyses, derived tables): `-- key: text` lines and a `columns` list."""

from __future__ import annotations

import re

__all__ = ["header_fields"]

_KEY = re.compile(r"^-- ([a-z_]+):\s*(.*)$")
_COLUMN = re.compile(r"^-- {3}([a-z_][a-z0-9_]*)\s+(\S.*)$")
_CONTINUATION = re.compile(r"^-- {4,}(\S.*)$")


def header_fields(sql: str, name: str) -> tuple[dict[str, list[str]], dict[str, str]]:
    """The leading comment block of `sql` as {key: its lines of text} and the `columns` entries as
    {column: description} (`--   name  description`, continued on lines indented by 4 spaces or more).

    Raises ValueError, naming the file `name`.sql, on a line before any key or a malformed `columns` line.
    """
    fields: dict[str, list[str]] = {}
    columns: dict[str, str] = {}
    current: str | None = None
    last_column: str | None = None
    for raw in sql.splitlines():
        if not raw.startswith("--"):
            break
        line = raw.rstrip()
        key = _KEY.match(line)
        if key:
            current, last_column = key.group(1), None
            fields[current] = [key.group(2)] if key.group(2) else []
        elif current is None:
            raise ValueError(f"{name}.sql: header line before any 'key:' line: {line!r}")
        elif current == "columns":
            column, cont = _COLUMN.match(line), _CONTINUATION.match(line)
            if column:
                last_column = column.group(1)
                columns[last_column] = column.group(2)
            elif cont and last_column:
                columns[last_column] += " " + cont.group(1)
            else:
                raise ValueError(
                    f"{name}.sql: bad line in 'columns': {line!r} (use '--   name  description')"
                )
        elif line[2:].strip():
            fields[current].append(line[2:].strip())
    return fields, columns
