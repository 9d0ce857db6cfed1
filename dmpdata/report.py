"""Offline HTML report: headline figures, then every analysis's question, chart and table, in one file."""

from __future__ import annotations

import html
import json
from functools import cache
from pathlib import Path

import altair as alt
import polars as pl

from dmpdata import analyses, charts, fidelity
from dmpdata._version import __version__
from dmpdata.atomic import atomic_file
from dmpdata.cache import read_cached, write_cached
from dmpdata.errors import DatasetError
from dmpdata.headlines import headlines

__all__ = ["build", "check_target", "is_report", "write"]

# In every report's head: what `write` recognises as a report it may replace.
GENERATOR = "dmpdata"

TABLE_ROWS = 12
FIDELITY_ROWS = 100  # enough for the scorecard table to list every target

STYLE = """
body{font-family:DejaVu Sans,Helvetica,Arial,sans-serif;margin:2rem auto;max-width:1000px;color:#1d1d1d;line-height:1.45}
h1{margin-bottom:.2rem} .sub{color:#555;margin-top:0}
.notice{background:#fff4e5;border-left:4px solid #f3a712;padding:.6rem 1rem;margin:1rem 0}
.kpis{display:flex;flex-wrap:wrap;gap:.8rem;margin:1rem 0 2rem}
.kpi{border:1px solid #ddd;border-radius:6px;padding:.6rem 1rem;min-width:150px}
.kpi b{display:block;font-size:1.4rem;color:#00509d}
section.q{border-top:1px solid #e5e5e5;padding-top:1rem;margin-top:1.5rem}
.grain{color:#666;font-size:.9rem} table{border-collapse:collapse;font-size:.8rem;margin-top:.6rem}
td,th{border:1px solid #ddd;padding:2px 6px;text-align:right} th{background:#f5f5f5}
nav a{margin-right:1rem} .tbl{overflow-x:auto}
"""


@cache
def _vega_bundle() -> str:
    """Vega, Vega-Lite and Vega-Embed in one script (from vl-convert): the report needs no network.

    Bundling is the slow step of a small report, so the script is kept in dmpdata's cache folder
    (`cache.cache_dir()`), one file per vl-convert and Vega-Lite version; a cache that cannot be read or written is
    simply skipped.
    """
    import vl_convert

    vl_version = alt.SCHEMA_VERSION.lstrip("v").rsplit(".", 1)[0]
    name = f"vega-bundle-{vl_version}-vl-convert-{vl_convert.__version__}.js"
    bundle = read_cached(name)
    if bundle is None:
        bundle = vl_convert.javascript_bundle(vl_version=vl_version)
        write_cached(name, bundle)  # whole or absent, even with several reports written at once
    return bundle


def _table(df: pl.DataFrame, rows_shown: int = TABLE_ROWS) -> str:
    head = df.head(rows_shown)
    cells = "".join(f"<th>{html.escape(c)}</th>" for c in head.columns)
    plain = [_is_label(c) for c in head.columns]
    rows = []
    for row in head.iter_rows():
        rows.append(
            "<tr>"
            + "".join(f"<td>{html.escape(_fmt(v, p))}</td>" for v, p in zip(row, plain, strict=True))
            + "</tr>"
        )
    more = f"<p class='grain'>{df.height - rows_shown:,} more rows</p>" if df.height > rows_shown else ""
    return f"<div class='tbl'><table><tr>{cells}</tr>{''.join(rows)}</table></div>{more}"


def _is_label(column: str) -> bool:
    """Columns whose numbers are labels (years, ids, orders): printed without thousands separators."""
    return "year" in column or column.endswith(("_id", "_order")) or column == "month_of_year"


def _fmt(value, plain: bool = False) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value) if plain else f"{value:,}"
    return "" if value is None else str(value)


def _embed(div: str, chart: alt.TopLevelMixin) -> str:
    """The script drawing `chart` in the element `div` (the spec carries the theme active when it is serialised)."""
    return f"vegaEmbed('#{div}', {json.dumps(chart.to_dict())}, {{actions: false, renderer: 'svg'}});"


def _fidelity_section(con, scripts: list[str]) -> str:
    """The scorecard against published figures, with its chart, and the structural diagnostics."""
    card = fidelity.scorecard(con)
    diagnostics = (
        fidelity.structural(con)
        .group_by("category", maintain_order=True)
        .agg(
            pl.len().alias("checks"),
            pl.col("score").min().alias("worst_score"),
            pl.col("passed").all().alias("passed"),
        )
    )
    scripts.append(_embed("chart_fidelity", charts.fidelity(card)))
    passed = int(card["passed"].sum())
    return (
        "<h2 id='fidelity'>Fidelity</h2><section class='q'>"
        f"<h3>How far is this dataset from published French figures? {passed} of {card.height} targets within tolerance</h3>"
        "<p class='grain'>targets: datasets/calibration/targets.csv (each with its source); dmpdata fidelity DIR</p>"
        "<div id='chart_fidelity' class='chart'></div>"
        f"{_table(card.select('target', 'published', 'generated', 'relative_error', 'tolerance', 'tolerance_kind', 'passed'), FIDELITY_ROWS)}"
        f"<h3>Structural diagnostics (share of rows that adhere; 100 % expected)</h3>{_table(diagnostics)}</section>"
    )


def _question_section(con, q: analyses.Question, scripts: list[str]) -> str:
    """One analysis: its question, grain, chart (when it has one and rows to draw) and the head of its table."""
    df = analyses.run(con, q.name)
    chart_fn = charts.CHARTS.get(q.name)
    chart_html = ""
    if chart_fn is not None and df.height:
        scripts.append(_embed(f"chart_{q.name}", chart_fn(df)))
        chart_html = f"<div id='chart_{q.name}' class='chart'></div>"
    return (
        f"<section class='q' id='{q.name}'><h3>{html.escape(q.question)}</h3>"
        f"<p class='grain'>{html.escape(q.name)} — {html.escape(q.grain)}</p>{chart_html}{_table(df)}</section>"
    )


def _body(con, scripts: list[str]) -> tuple[list[str], list[str]]:
    """The report's sections (analyses in the catalogue's order, then fidelity) and the navigation links."""
    parts, nav = [], []
    for section, label in analyses.SECTIONS.items():
        questions = [q for q in analyses.questions() if q.section == section]
        if not questions:
            continue
        nav.append(f"<a href='#{section}'>{html.escape(label)}</a>")
        parts.append(f"<h2 id='{section}'>{html.escape(label)}</h2>")
        parts.extend(_question_section(con, q, scripts) for q in questions)
    parts.append(_fidelity_section(con, scripts))
    nav.append("<a href='#fidelity'>Fidelity</a>")
    return parts, nav


def build(con, *, title: str = "dmpdata report", dataset_label: str = "") -> str:
    """The report as one self-contained HTML string (charts render offline, drawn in the dmpdata theme)."""
    scripts: list[str] = []
    # The theme applies while the charts are serialised, then the caller's theme is back.
    with charts.themed():
        parts, nav = _body(con, scripts)
    kpis = "".join(
        f"<div class='kpi'><b>{html.escape(v)}</b>{html.escape(k)}</div>" for k, v in headlines(con)
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="generator" content="{GENERATOR} {__version__}">
<title>{html.escape(title)}</title>
<style>{STYLE}</style>
<script>{_vega_bundle()}</script></head>
<body><h1>{html.escape(title)}</h1><p class="sub">{html.escape(dataset_label)} · dmpdata {__version__}</p>
<div class="notice"><b>Synthetic data.</b> Every person, professional and document here is fictitious
(INS-NIR TEST OID 1.2.250.1.213.1.4.10).</div>
<nav>{"".join(nav)}</nav><div class="kpis">{kpis}</div>
{"".join(parts)}
<script>{chr(10).join(scripts)}</script>
</body></html>
"""


def is_report(path: str | Path) -> bool:
    """True when `path` is an HTML report dmpdata wrote: its head names dmpdata as generator, or (a report from
    before that marker) its title is one the command line gives."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096).decode("utf-8", errors="replace")
    except OSError:
        return False
    return f'<meta name="generator" content="{GENERATOR} ' in head or any(
        f"<title>{title}</title>" in head for title in ("dmpdata report", "dmpdata demo report")
    )


def check_target(path: Path, force: bool) -> None:
    """Refuse (DatasetError) a target that is a folder, or an existing file other than a dmpdata report without
    `force`."""
    if path.is_dir():
        raise DatasetError(
            f"{path} is a folder: give the report a file name (for instance {path / 'report.html'})"
        )
    if path.exists() and not force and not is_report(path):
        raise DatasetError(
            f"{path} exists and is not a dmpdata report; not overwriting it (add --force to replace it)"
        )


def write(con, path: str | Path, *, force: bool = False, **kwargs) -> Path:
    """Write the report atomically (a temporary file renamed into place, removed if anything fails), with the
    permissions a plain write would give it.

    An existing file is replaced only when it is a dmpdata report, or with `force`: anything else is the user's.
    """
    path = Path(path)
    check_target(path, force)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = build(con, **kwargs)
    with atomic_file(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path
