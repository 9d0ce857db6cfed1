"""Charts: one per analysis, valid Vega-Lite, aggregated under Altair's row limit, titled axes, offline rendering."""

from __future__ import annotations

import json

import altair as alt
import polars as pl
import pytest

from dmpdata import analyses, charts

QUESTIONS = [q.name for q in analyses.questions()]
MAX_ROWS = 5000
TITLED_CHANNELS = (
    "x",
    "y",
    "x2",
    "y2",
    "color",
    "fill",
    "stroke",
    "size",
    "opacity",
    "theta",
    "radius",
    "strokeDash",
)


@pytest.fixture(scope="module")
def results(tiny):
    con = tiny.duckdb()
    try:
        yield {name: analyses.run(con, name) for name in QUESTIONS}
    finally:
        con.close()


@pytest.fixture(scope="module")
def specs(results):
    return {name: charts.CHARTS[name](df).to_dict() for name, df in results.items()}


def _views(spec: dict):
    """Every (sub)spec that may carry an encoding, walking layers, concatenations and facets."""
    yield spec
    for key in ("layer", "hconcat", "vconcat", "concat"):
        for sub in spec.get(key, []):
            yield from _views(sub)
    if isinstance(spec.get("spec"), dict):
        yield from _views(spec["spec"])


def _untitled(spec: dict) -> list[str]:
    """Channels with a quantitative or temporal field and no title (on the field definition or its axis/legend)."""
    missing = []
    for view in _views(spec):
        for channel, enc in (view.get("encoding") or {}).items():
            if channel not in TITLED_CHANNELS or not isinstance(enc, dict) or "field" not in enc:
                continue
            if enc.get("type") not in ("quantitative", "temporal"):
                continue
            guide = enc.get("axis") or enc.get("legend") or {}
            if not (enc.get("title") or (isinstance(guide, dict) and guide.get("title"))):
                missing.append(f"{channel}:{enc['field']}")
    return missing


def _inline_rows(spec: dict) -> list[int]:
    rows = [len(values) for values in spec.get("datasets", {}).values()]
    for view in _views(spec):
        data = view.get("data")
        if isinstance(data, dict) and isinstance(data.get("values"), list):
            rows.append(len(data["values"]))
    return rows


def test_one_chart_per_analysis():
    assert set(charts.CHARTS) == set(QUESTIONS)
    for name in QUESTIONS:
        fn = getattr(charts, name)
        assert charts.CHARTS[name] is fn
        assert name in charts.__all__
        assert fn.__doc__


@pytest.mark.parametrize("name", QUESTIONS)
def test_chart_spec(name, results, specs):
    assert results[name].height > 0, f"{name}: the tiny dataset gives no rows to chart"
    spec = specs[name]
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/v")
    json.dumps(spec)  # JSON-serialisable: no Decimal, date objects…
    rows = _inline_rows(spec)
    assert rows and max(rows) < MAX_ROWS and sum(rows) < MAX_ROWS
    assert _untitled(spec) == [], f"{name}: quantitative/temporal encodings without a title"
    assert spec.get("title"), f"{name}: chart has no title"


@pytest.mark.parametrize("name", QUESTIONS)
def test_empty_frame(name, results):
    empty = results[name].clear()
    spec = charts.CHARTS[name](empty).to_dict()
    json.dumps(spec)


def test_documents_per_month_is_aggregated(results):
    df = results["documents_per_month"]
    # a raw frame this size would need many more rows than the chart holds
    spec = charts.documents_per_month(df).to_dict()
    months = df["month"].n_unique()
    assert sum(_inline_rows(spec)) <= months * (charts.TOP_TYPES + 1 + len(charts.SECTORS))


def test_large_frame_stays_under_row_limit(results):
    """documents_per_month on a frame far above 5,000 rows (a demo-sized warehouse) still aggregates in polars."""
    df = results["documents_per_month"]
    big = pl.concat([df.with_columns(pl.col("region") + f"_{i}") for i in range(4)])
    assert big.height > MAX_ROWS
    assert sum(_inline_rows(charts.documents_per_month(big).to_dict())) < MAX_ROWS


def test_decimal_and_categorical_columns(results):
    """DuckDB HUGEINT sums arrive as Decimal and ENUM columns as Categorical: the charts still serialise."""
    df = results["denials_by_reason"].with_columns(
        pl.col("denials").cast(pl.Decimal(38, 0)),
        pl.col("reason").cast(pl.Categorical),
    )
    json.dumps(charts.denials_by_reason(df).to_dict())
    df = results["cross_sector_sharing"].with_columns(
        pl.col("author_sector").cast(pl.Enum(list(charts.SECTORS))),
        pl.col("consultations").cast(pl.Decimal(38, 0)),
    )
    json.dumps(charts.cross_sector_sharing(df).to_dict())


def test_overdue_is_a_distribution(results):
    df = results["diabetics_overdue"]
    spec = charts.diabetics_overdue(df).to_dict()
    rows = _inline_rows(spec)
    assert max(rows) <= 2 * (len(charts.OVERDUE_BANDS) + 1)
    assert max(rows) <= charts.TOP_GPS * 2
    # every overdue patient is counted once in the distribution
    dist = next(v for v in spec["datasets"].values() if v and "band" in v[0])
    assert sum(r["patients"] for r in dist) == df.height


def test_theme_registered():
    assert charts.THEME in alt.theme.names()
    charts.use_theme()
    assert alt.theme.active == charts.THEME


@pytest.mark.parametrize("name", ["documents_per_month", "cross_sector_sharing", "diabetics_overdue"])
def test_renders_offline_to_svg(name, specs):
    vl_convert = pytest.importorskip("vl_convert")
    svg = vl_convert.vegalite_to_svg(specs[name])
    assert svg.lstrip().startswith("<svg") and "</svg>" in svg
    assert "http://" not in svg.replace("http://www.w3.org", "")
