"""Charts: one per analysis (registered in its section's module), plotting the analysis's numbers, valid Vega-Lite,
aggregated under Altair's row limit, titled axes, offline rendering; importing them leaves Altair's theme alone."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Callable

import altair as alt
import polars as pl
import pytest

from dmpdata import analyses, charts
from dmpdata.charts import _labels, _theme
from dmpdata.charts._helpers import _frame
from dmpdata.charts.adoption import TOP_TYPES
from dmpdata.charts.chronic_follow_up import DMP_STATES, OVERDUE_BANDS, TOP_GPS

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
    with charts.themed():
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
    """Every analysis has a chart and every chart an analysis, in the module of the analysis's section."""
    missing = set(QUESTIONS) - set(charts.CHARTS)
    assert not missing, (
        f"no chart for {sorted(missing)}: add @chart('<name>') functions (dmpdata/charts/README.md)"
    )
    assert set(charts.CHARTS) == set(QUESTIONS)
    for q in analyses.questions():
        fn = getattr(charts, q.name)
        assert charts.CHARTS[q.name] is fn
        assert q.name in charts.__all__
        assert fn.__doc__
        assert fn.__module__ == f"dmpdata.charts.{q.section}", (
            f"{q.name}: put its chart in charts/{q.section}.py"
        )
    assert set(charts.__all__) == {"CHARTS", "THEME", "chart", "fidelity", "themed", "use_theme", *QUESTIONS}


def test_chart_decorator_refuses_a_second_chart():
    with pytest.raises(ValueError, match="two charts for analysis 'denials_by_reason'"):
        charts.chart("denials_by_reason")(lambda df: None)


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
    assert sum(_inline_rows(spec)) <= months * (TOP_TYPES + 1 + len(_labels.SECTORS))


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
        pl.col("author_sector").cast(pl.Enum(list(_labels.SECTORS))),
        pl.col("consultations").cast(pl.Decimal(38, 0)),
    )
    json.dumps(charts.cross_sector_sharing(df).to_dict())


def test_overdue_is_a_distribution(results):
    df = results["diabetics_overdue"]
    spec = charts.diabetics_overdue(df).to_dict()
    rows = _inline_rows(spec)
    assert max(rows) <= 2 * (len(OVERDUE_BANDS) + 1)
    assert max(rows) <= TOP_GPS * 2
    # every overdue patient is counted once in the distribution
    dist = next(v for v in spec["datasets"].values() if v and "band" in v[0])
    assert sum(r["patients"] for r in dist) == df.height


def test_theme_registered():
    assert charts.THEME in alt.theme.names()
    before = alt.theme.active
    try:
        charts.use_theme()
        assert alt.theme.active == charts.THEME
    finally:
        alt.theme.enable(before)
    with charts.themed():
        assert alt.theme.active == charts.THEME
    assert alt.theme.active == before


def test_importing_dmpdata_changes_no_altair_setting():
    """A fresh interpreter: importing dmpdata, its charts, report and notebook modules keeps Altair's theme."""
    code = (
        "import altair as alt; alt.theme.enable('dark'); "
        "import dmpdata, dmpdata.charts, dmpdata.report, dmpdata.notebook; "
        "assert alt.theme.active == 'dark', alt.theme.active; "
        "assert 'dmpdata' in alt.theme.names()"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_charts_carry_the_theme_only_when_applied(results):
    df = results["denials_by_reason"]
    with charts.themed():
        themed = charts.denials_by_reason(df).to_dict()
    assert themed["config"]["range"]["category"] == _theme.PALETTE
    with alt.theme.enable("default"):
        plain = charts.denials_by_reason(df).to_dict()
    assert "range" not in plain.get("config", {})


@pytest.mark.parametrize("name", ["documents_per_month", "cross_sector_sharing", "diabetics_overdue"])
def test_renders_offline_to_svg(name, specs):
    import vl_convert  # a dependency of dmpdata (the report's offline SVG): never skipped

    svg = vl_convert.vegalite_to_svg(specs[name])
    assert svg.lstrip().startswith("<svg") and "</svg>" in svg
    assert "http://" not in svg.replace("http://www.w3.org", "")


# --- the charts plot the analyses' numbers ------------------------------------------------------------------------


def _fields(encoding: dict) -> set[str]:
    """The data fields an encoding reads (tooltips included; conditions on `datum.…` expressions are not fields)."""
    found = set()
    for enc in encoding.values():
        for item in enc if isinstance(enc, list) else [enc]:
            if isinstance(item, dict) and isinstance(item.get("field"), str):
                found.add(item["field"])
    return found


def _plotted(spec: dict) -> list[tuple[str, set[str], list[dict]]]:
    """(dataset name, fields the view encodes, the dataset's rows) for every view with an encoding, the data
    inherited from the enclosing layer/concat when the view has none."""
    datasets = spec.get("datasets", {})
    out = []

    def walk(view: dict, data: dict | None, encoding: dict) -> None:
        data = view.get("data", data)
        encoding = {**encoding, **(view.get("encoding") or {})}
        if "mark" in view and data is not None:
            name = data.get("name") or json.dumps(data.get("values"), sort_keys=True)[:40]
            rows = datasets[data["name"]] if "name" in data else data.get("values", [])
            out.append((name, _fields(encoding), rows))
        for key in ("layer", "hconcat", "vconcat", "concat"):
            for sub in view.get(key, []):
                # a layer shares its encoding with its layers, a concatenation does not
                walk(sub, data, encoding if key == "layer" else {})

    walk(spec, None, {})
    return out


def _number(v):
    return round(float(v), 9) if isinstance(v, (int, float)) and not isinstance(v, bool) else v


def _multiset(values) -> Counter:
    return Counter(
        _number(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))
    )


def same(field: str, expected: Callable[[pl.DataFrame], list], within: str | None = None):
    """The values of `field`, over the datasets that plot it (those holding `within` when given), are `expected`."""

    def check(df, plotted):
        rows = {
            name: r for name, fields, r in plotted if field in fields and (within is None or within in r[0])
        }
        assert rows, f"no view plots {field}"
        got = _multiset(row[field] for r in rows.values() for row in r)
        assert got == _multiset(expected(df)), field

    return check


def totals(field: str, by: str, expected: Callable[[pl.DataFrame], dict]):
    """Each dataset plotting `field` and holding `by` sums `field` per `by` to `expected` (zero groups dropped)."""

    def check(df, plotted):
        seen = {name: r for name, fields, r in plotted if field in fields and r and by in r[0]}
        assert seen, f"no view plots {field} by {by}"
        want = {str(k)[:10]: _number(v) for k, v in expected(df).items() if v}
        for rows in seen.values():
            got = defaultdict(int)
            for row in rows:
                got[str(row[by])[:10]] += row[field] or 0
            assert {k: _number(v) for k, v in got.items() if v} == want, f"{field} by {by}"

    return check


def cols(*columns: str) -> Callable[[pl.DataFrame], list]:
    """The analysis's columns stacked (the long format of grouped bars)."""
    return lambda df: [v for c in columns for v in df[c].to_list()]


def by_sum(by: str, column: str) -> Callable[[pl.DataFrame], dict]:
    return lambda df: dict(df.group_by(by).agg(pl.col(column).sum()).iter_rows())


def _overdue_gps(df: pl.DataFrame) -> list[int]:
    counts = df.group_by("gp_professional_id").len()["len"].sort(descending=True)
    return counts.head(TOP_GPS).to_list()


def _dmp_states(df: pl.DataFrame) -> dict[str, int]:
    open_ = int(df["dmp_open"].fill_null(False).sum())
    return {DMP_STATES[0]: open_, DMP_STATES[1]: df.height - open_}


def _opt_out_share(df: pl.DataFrame) -> list:
    return [d / a if a else None for d, a in zip(df["emergency_denied_opt_out"], df["attempts"], strict=True)]


# Per chart: what it plots, from its analysis's frame (an analysis column → the plotted field, or a documented
# transformation: the long format of grouped bars, sums per month or year of the aggregated charts).
EXPECTED = {
    "professionals_per_patient": [
        same(
            "value",
            cols("mean_professionals", "median_professionals", "share_2_or_more", "share_multi_sector"),
        )
    ],
    "discharge_letters_read_by_gp": [
        same("value", cols("share_read_7d", "share_read_30d", "share_read_ever")),
        same("count", cols("read_within_7d", "read_within_30d", "read_ever")),
    ],
    "discharge_letter_read_delays": [
        same("value", cols("share_by_gp", "share_by_any")),
        same("count", cols("letters_by_gp", "letters_by_any")),
    ],
    "cross_sector_sharing": [
        same("share_of_author_consultations", cols("share_of_author_consultations")),
        same("consultations", cols("consultations")),
    ],
    "lab_results_read_by_others": [
        same("value", cols("share_read_by_prescriber", "share_read_by_other")),
        same("count", cols("read_by_prescriber", "read_by_other")),
    ],
    "professional_sharing_network": [
        same("patients", cols("patients")),
        same("documents", cols("documents")),
    ],
    "documents_per_month": [totals("documents", "month", by_sum("month", "documents"))],
    "care_withheld_unqualified_identity": [
        same("documents_withheld", cols("documents_withheld")),
        same("share_withheld", cols("share_withheld")),
    ],
    "professionals_feeding_share": [
        same("share_feeding", cols("share_feeding")),
        same("feeding_professionals", cols("feeding_professionals")),
    ],
    "mes_activation_over_time": [
        same(
            "share", cols("share_open", "share_activated", "national_open_share", "national_activated_share")
        ),
        same("people", cols("open_profiles", "activated_profiles")),
    ],
    "mandatory_document_compliance": [
        totals("encounters_requiring", "year", by_sum("year", "encounters_requiring")),
        totals("encounters_with_document", "year", by_sum("year", "encounters_with_document")),
    ],
    "consultations_per_month": [
        totals("attempts", "month", by_sum("month", "attempts")),
        totals("granted", "month", by_sum("month", "granted")),
    ],
    "hba1c_tests_per_year": [same("share", cols("share")), same("patients", cols("patients"))],
    "diabetes_follow_up_indicators": [
        same(
            "value",
            cols("share_fundus_exam_2y", "share_creatinine", "share_albuminuria", "share_hba1c_controlled"),
        ),
        same("count", cols("with_fundus_exam_2y", "with_creatinine", "with_albuminuria", "hba1c_controlled")),
    ],
    "diabetics_overdue": [
        totals("patients", "dmp", _dmp_states),
        same("patients", _overdue_gps, within="gp"),
    ],
    "care_vs_dmp": [
        same("share_with_document", cols("share_with_document")),
        totals("encounters", "year", by_sum("year", "encounters")),
        totals(
            "count",
            "measure",
            lambda df: {
                "Care that happened (encounters)": df["encounters"].sum(),
                "Encounters with a document in the DMP": df["encounters_with_document"].sum(),
            },
        ),
    ],
    "pathology_prevalence_vs_published": [
        same("prevalence_summed", cols("prevalence_summed")),
        same("published_prevalence", cols("published_prevalence")),
        same("cases", cols("cases")),
    ],
    "multimorbidity_by_age": [same("value", cols("share_0", "share_1", "share_2", "share_3_plus"))],
    "follow_up_indicators_by_group": [
        same("share", cols("share")),
        same("with_indicator", cols("with_indicator")),
    ],
    "dmp_coverage_of_chronic_patients": [
        same("share_activated", cols("share_activated")),
        same("documents_per_person_year", cols("documents_per_person_year")),
        same("people", cols("people")),
    ],
    "emergency_access_rates": [
        same("value", lambda df: cols("share_bris_de_glace", "share_centre_15")(df) + _opt_out_share(df)),
        same("count", cols("bris_de_glace", "centre_15", "emergency_denied_opt_out")),
    ],
    "denials_by_reason": [
        same("share_of_attempts", cols("share_of_attempts")),
        same("denials", cols("denials")),
        same("denials_on_assumed_cells", cols("denials_on_assumed_cells")),
    ],
    "masked_documents": [
        same("ever_masked", cols("ever_masked")),
        same("denied_masked", cols("denied_masked")),
    ],
    "patients_viewing_access_history": [
        same("value", cols("share_viewing_history", "share_viewing_documents")),
        same("count", cols("patients_viewing_history", "patients_viewing_documents")),
    ],
}


def test_every_chart_has_expectations():
    missing = set(QUESTIONS) - set(EXPECTED)
    assert not missing, (
        f"add {sorted(missing)} to EXPECTED in tests/test_charts.py: the columns each chart plots"
    )
    assert set(EXPECTED) <= set(QUESTIONS), "EXPECTED names a chart with no analysis"


@pytest.mark.parametrize("name", QUESTIONS)
def test_chart_plots_the_analysis_numbers(name, results, specs):
    df = _frame(results[name])
    plotted = _plotted(specs[name])
    for check in EXPECTED[name]:
        check(df, plotted)


@pytest.mark.parametrize("name", QUESTIONS)
def test_encodings_reference_existing_fields(name, specs):
    for dataset, fields, rows in _plotted(specs[name]):
        assert rows, f"{name}: view over {dataset} has no rows"
        missing = fields - set(rows[0])
        assert not missing, f"{name}: encodes {sorted(missing)} absent from its data"


def test_report_draws_its_charts_in_the_theme(tiny):
    """The report applies the theme while it serialises its charts (every spec carries the theme's config), and
    gives the caller's theme back."""
    from dmpdata import report

    con = tiny.duckdb()
    try:
        before = alt.theme.active
        text = report.build(con)
        assert alt.theme.active == before
    finally:
        con.close()
    embeds = re.findall(r"vegaEmbed\('#(\w+)', (\{.*?\}), \{actions: false", text)
    # every analysis has rows on tiny, and the fidelity chart
    assert {div for div, _ in embeds} == {f"chart_{name}" for name in [*QUESTIONS, "fidelity"]}
    for _, spec in embeds:
        assert json.loads(spec)["config"]["range"]["category"] == _theme.PALETTE


def test_notebook_setup_applies_the_theme():
    from dmpdata import notebook

    theme, renderer = alt.theme.active, alt.renderers.active
    try:
        assert notebook.setup() in ("jupyter", "svg")
        assert alt.theme.active == charts.THEME
    finally:
        alt.theme.enable(theme)
        alt.renderers.enable(renderer)
