"""MkDocs hooks: the pages' generated blocks, built from the repository at build time.

A page asks for a block with an HTML comment on a line of its own:

- ``<!-- dmpdata:include PATH -->``: a text of the repository (a README, the data dictionary), so that it has
  one home; its relative links are rewritten to the pages that include their targets, or to the path as code;
- ``<!-- dmpdata:analyses -->``: the analyses catalogue, from the SQL headers (``dmpdata.analyses.questions()``);
- ``<!-- dmpdata:scenarios -->``: the preset scenarios (``datasets/scenarios/*.toml``);
- ``<!-- dmpdata:targets -->``: the published figures of ``datasets/calibration/targets.csv``;
- ``<!-- dmpdata:sources -->``: each reference table's rows, evidence and sources (``dmpdata/reference/*.csv``);
- ``<!-- dmpdata:api MODULE -->``: the module's docstring, then each name of its ``__all__`` as the module has it at
  run time (some are made at import: the analyses from their SQL files, the charts by a registry), rendered by
  mkdocstrings where its source defines it, else from the object's signature and docstring.
"""

from __future__ import annotations

import collections
import csv
import importlib
import inspect
import logging
import posixpath
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Repository texts included in the site -> the page that includes them (one home per text: the site only shows them).
INCLUDED = {
    "dmpdata/schemas/DATA_DICTIONARY.md": "guide/dictionary.md",
    "dmpdata/pathways/README.md": "extend/pathways.md",
    "dmpdata/reference/README.md": "extend/reference.md",
    "dmpdata/analyses/README.md": "extend/analyses.md",
    "dmpdata/warehouse/README.md": "guide/warehouse.md",
    "datasets/calibration/README.md": "guide/fidelity.md",
    "notebooks/README.md": "guide/notebooks.md",
    "benchmarks/RESULTS.md": "benchmarks.md",
}


class _RuntimeAll(logging.Filter):
    """Drop griffe's notice that it cannot read a dmpdata ``__all__`` built at import (``[..., *CHARTS]``).

    Static analysis cannot expand such a list; the API pages read ``__all__`` from the imported module instead
    (``api`` below), so the notice says nothing about the site, and under ``--strict`` it would fail the build.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return not re.search(r"Unsupported item in dmpdata[\w.]*\.__all__", record.getMessage())


# mkdocstrings routes griffe's messages to this logger.
logging.getLogger("mkdocs.plugins.griffe").addFilter(_RuntimeAll())

MARKER = re.compile(r"^<!-- dmpdata:(\w+)(?: (\S+))? -->$", re.MULTILINE)
LINK = re.compile(r"(?<!!)\[([^\]\n]+)\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~)")


def on_page_markdown(markdown: str, page, config, files) -> str:
    """Replace each marker of the page by its block."""

    def block(match: re.Match) -> str:
        kind, arg = match.group(1), match.group(2)
        if kind == "api":
            return api(arg)
        if kind == "include":
            # Included below the page's own title: its headings go one level down.
            shift = 1 if markdown[: match.start()].strip() else 0
            return include(arg, page.file.src_uri, shift)
        if arg is not None or kind not in BLOCKS:
            raise ValueError(f"{page.file.src_uri}: unknown block {match.group(0)}")
        return BLOCKS[kind]()

    return MARKER.sub(block, markdown)


# ------------------------------------------------------------------------------------------------ includes


def include(path: str, page_uri: str, shift: int = 0) -> str:
    """The repository file `path`, its relative links pointing into the site or shown as paths."""
    text = (ROOT / path).read_text(encoding="utf-8")
    out, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line.lstrip()):
            fenced = not fenced
        if not fenced and shift and line.startswith("#"):
            line = "#" * shift + line
        out.append(line if fenced else LINK.sub(lambda m: _relink(m, path, page_uri), line))
    return "\n".join(out) + "\n"


def _relink(match: re.Match, source: str, page_uri: str) -> str:
    label, target = match.group(1), match.group(2)
    if re.match(r"^[a-z]+:", target) or target.startswith("#"):
        return match.group(0)
    where, _, anchor = target.partition("#")
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(source), where))
    if resolved in INCLUDED:
        href = posixpath.relpath(INCLUDED[resolved], posixpath.dirname(page_uri) or ".")
        return f"[{label}]({href}{'#' + anchor if anchor else ''})"
    code = f"`{resolved}`"
    return code if label.strip("`") == resolved else f"{label} ({code})"


# ------------------------------------------------------------------------------------------------ analyses


def _escape(text: str) -> str:
    """Free text from a SQL header, shown as Markdown prose."""
    return re.sub(r"([\\`*\[\]<>|])", r"\\\1", " ".join(text.split()))


def analyses_catalogue() -> str:
    from dmpdata import analyses

    by_section: dict[str, list] = collections.defaultdict(list)
    for q in analyses.questions():
        by_section[q.section].append(q)
    out = []
    for section, questions in by_section.items():
        out.append(f"## {section.replace('_', ' ').capitalize()}\n")
        out.extend(_question(q) for q in questions)
    return "\n".join(out)


def _question(q) -> str:
    lines = [f"### `{q.name}`\n", f"**{_escape(q.question)}**\n", f"*Grain:* {_escape(q.grain)}.\n"]
    params = {name: str(default) for name, (_, default) in q.params.items()}
    call = ", ".join(["con", *(f"{name}={value!r}" for name, value in params.items())])
    options = "".join(f" -p {name}={value}" for name, value in params.items())
    lines.append(f"Python: `analyses.{q.name}({call})` · CLI: `dmpdata analyze DIR {q.name}{options}`\n")
    if q.params:
        lines += ["| parameter | type | default |", "|---|---|---|"]
        lines += [f"| `{name}` | {kind} | `{default}` |" for name, (kind, default) in q.params.items()]
        lines.append("")
    lines += ["| column | description |", "|---|---|"]
    lines += [f"| `{name}` | {_escape(text)} |" for name, text in q.columns.items()]
    lines.append("")
    if q.definitions.strip():
        lines.append(f"*Definitions:* {_escape(q.definitions)}\n")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------ data tables


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += [
        "| " + " | ".join(cell.replace("|", "\\|").replace("\n", " ") for cell in row) + " |" for row in rows
    ]
    return "\n".join(lines) + "\n"


def scenarios() -> str:
    rows = []
    for path in sorted((ROOT / "datasets" / "scenarios").glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        area = ", ".join(
            [f"region {code}" for code in data.get("regions", [])]
            + [f"department {code}" for code in data.get("departments", [])]
        )
        factors = "; ".join(
            f"{key} {code} × {value}"
            for key in ("prevalence_factor", "feeding_factor")
            for code, value in data.get(key, {}).items()
        )
        rows.append(
            [
                f"`{data['name']}`",
                f"{data['patients']:,}",
                str(data.get("seed", 0)),
                area or "all of France",
                factors or "—",
                data.get("description", ""),
            ]
        )
    return _table(["preset", "patients", "seed", "area", "factors", "description"], rows)


def targets() -> str:
    with (ROOT / "datasets" / "calibration" / "targets.csv").open(encoding="utf-8", newline="") as f:
        rows = [
            [
                f"`{r['target']}`",
                r["description"],
                r["population"],
                r["value"],
                f"{r['tolerance']} ({r['tolerance_kind']})",
                r["source"],
            ]
            for r in csv.DictReader(f)
        ]
    return _table(["target", "what", "population", "published", "tolerance", "source"], rows)


def sources() -> str:
    rows = []
    for path in sorted((ROOT / "dmpdata" / "reference").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            records = list(csv.DictReader(f))
        if not records or "source" not in records[0]:
            continue
        evidence = collections.Counter(r.get("evidence", "") for r in records if r.get("evidence"))
        common = collections.Counter(r["source"] for r in records).most_common()
        shown = "; ".join(f"{source} ({n})" if len(common) > 1 else source for source, n in common[:3])
        if len(common) > 3:
            shown += f"; and {len(common) - 3} more"
        rows.append(
            [
                f"`{path.stem}`",
                f"{len(records):,}",
                ", ".join(f"{kind} {n}" for kind, n in sorted(evidence.items())) or "—",
                shown,
            ]
        )
    return _table(["table", "rows", "evidence", "sources (rows)"], rows)


# ------------------------------------------------------------------------------------------------ API reference

_static = None


def _defined(path: str) -> bool:
    """Whether mkdocstrings can find `path` in the package's source (static analysis, as it renders)."""
    global _static
    import griffe

    if _static is None:
        _static = griffe.load("dmpdata", search_paths=[str(ROOT)])
    try:
        _static[path.removeprefix("dmpdata.")]
    except (KeyError, ValueError, griffe.AliasResolutionError):
        return False
    return True


def api(module_name: str) -> str:
    module = importlib.import_module(module_name)
    out = [inspect.getdoc(module) or "", ""]
    for name in module.__all__:
        obj = getattr(module, name)
        paths = [f"{module_name}.{name}"]
        if getattr(obj, "__module__", None) and getattr(obj, "__qualname__", "<").isidentifier():
            paths.append(f"{obj.__module__}.{obj.__qualname__}")
        path = next((p for p in paths if _defined(p)), None)
        if path is not None:
            out.append(f"::: {path}\n")
        else:
            out.append(_by_hand(name, obj))
    return "\n".join(out)


def _by_hand(name: str, obj) -> str:
    """An object the source does not define by name (made at import): its signature and docstring."""
    try:
        signature = f"{name}{inspect.signature(obj)}"
    except (TypeError, ValueError):
        signature = f"{name} = {obj!r}"
    return f"## `{name}`\n\n```python\n{signature}\n```\n\n{_sections(inspect.getdoc(obj) or '')}\n"


SECTION = re.compile(r"^(Args|Arguments|Parameters|Returns|Raises|Yields|Examples?|Notes?):\s*$")
ITEM = re.compile(r"^([\w*]+)(?:\s*\(([^)]*)\))?:\s+(.*)$")


def _sections(doc: str) -> str:
    """A Google-style docstring as Markdown: each section titled, its `name: text` items as a list."""
    out, section = [], None
    for line in doc.splitlines():
        if match := SECTION.match(line):
            section = match.group(1)
            out += ["", f"**{section}:**", ""]
        elif section and line.startswith("    "):
            text = line[4:]
            item = ITEM.match(text) if section in ("Args", "Arguments", "Parameters", "Raises") else None
            if item and not text.startswith(" "):
                kind = f" ({item.group(2)})" if item.group(2) else ""
                out.append(f"- `{item.group(1)}`{kind}: {item.group(3)}")
            else:
                out.append(text.strip() if section in ("Args", "Arguments", "Parameters", "Raises") else text)
        else:
            section = None if line.strip() and not line.startswith(" ") and section else section
            out.append(line)
    return "\n".join(out)


BLOCKS = {"analyses": analyses_catalogue, "scenarios": scenarios, "targets": targets, "sources": sources}
