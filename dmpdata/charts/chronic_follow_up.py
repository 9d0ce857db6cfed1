"""Charts of the chronic follow-up analyses: prevalence, multimorbidity, follow-up indicators, DMP coverage, diabetes."""

from __future__ import annotations

import altair as alt
import polars as pl

from dmpdata.charts._helpers import (
    COUNT,
    PCT,
    PCT_TIP,
    _frame,
    _grouped_bars,
    _label_axis,
    _labelled,
    _legend,
    _long,
    _rank,
    _title,
    _year,
)
from dmpdata.charts._labels import FOLLOW_UP_COHORTS, HBA1C_BANDS, MULTIMORBIDITY
from dmpdata.charts._registry import chart
from dmpdata.charts._theme import PALETTE, WIDTH

TOP_GPS = 15
OVERDUE_BANDS = [  # (label, lowest month, highest month) of months since the last HbA1c
    ("0-5 months", 0, 5),
    ("6-8 months", 6, 8),
    ("9-11 months", 9, 11),
    ("12-17 months", 12, 17),
    ("18-23 months", 18, 23),
    ("2-3 years", 24, 35),
    ("3 years or more", 36, None),
]
NEVER_TESTED = "No HbA1c on record"


@chart("hba1c_tests_per_year")
def hba1c_tests_per_year(df: pl.DataFrame) -> alt.Chart:
    """100 % stacked bars per year: type 2 diabetics by number of HbA1c tests (0, 1, 2-3, 4+)."""
    d = _frame(df).with_columns(_labelled("band", HBA1C_BANDS).alias("band_label"))
    bands = list(HBA1C_BANDS.values())
    bands += [
        b for b in d.sort("band_order")["band_label"].unique(maintain_order=True).to_list() if b not in bands
    ]
    return (
        alt.Chart(d)
        .mark_bar()
        .encode(
            x=_year(),
            y=alt.Y(
                "share:Q", title="Type 2 diabetics of the year (%)", axis=alt.Axis(format=PCT), stack="zero"
            ),
            color=alt.Color(
                "band_label:N",
                sort=bands,
                title="HbA1c tests in the year",
                scale=alt.Scale(
                    domain=bands, range=["#c3423f", "#f3a712", "#9bc53d", "#29a36a", *PALETTE][: len(bands)]
                ),
                legend=_legend(columns=2),
            ),
            order=alt.Order("band_order:Q", sort="descending"),
            tooltip=[
                alt.Tooltip("year:O", title="Year"),
                alt.Tooltip("band_label:N", title="HbA1c tests"),
                alt.Tooltip("patients:Q", title="Patients", format=COUNT),
                alt.Tooltip("share:Q", title="Share of the diabetics", format=PCT_TIP),
            ],
        )
        .properties(
            width=WIDTH,
            title=_title(
                "HbA1c (glycated haemoglobin) tests of type 2 diabetics per year",
                "Diabetic all year long; HAS (French health authority) recommends one test every 3 months",
            ),
        )
    )


@chart("diabetes_follow_up_indicators")
def diabetes_follow_up_indicators(df: pl.DataFrame) -> alt.Chart:
    """Grouped bars per year: share of type 2 diabetics with each recommended follow-up, and HbA1c control."""
    d = _frame(df)
    measures = [
        (
            "Fundus exam (ophthalmologist) that year or the year before",
            "share_fundus_exam_2y",
            "with_fundus_exam_2y",
        ),
        ("Creatinine test that year (kidney function)", "share_creatinine", "with_creatinine"),
        ("Urine albumin test that year (albuminuria)", "share_albuminuria", "with_albuminuria"),
        (
            "HbA1c controlled: last of the year < 7 % (of those tested)",
            "share_hba1c_controlled",
            "hba1c_controlled",
        ),
    ]
    return _grouped_bars(
        _long(d, ["year", "diabetics"], measures),
        x=_year(),
        x_tip=alt.Tooltip("year:O", title="Year"),
        measures=[m[0] for m in measures],
        y_title="Type 2 diabetics of the year (%)",
        legend_title="Follow-up recommended by the HAS",
        count_title="Patients",
        title=_title(
            "Follow-up of type 2 diabetics (HAS recommendations)",
            "HbA1c control: over the diabetics tested that year; results count even when not fed to the DMP",
        ),
    )


DMP_STATES = ["DMP open: a reminder can reach Mon espace santé", "No open DMP"]


def _overdue_bands(d: pl.DataFrame) -> pl.DataFrame:
    """The cohort with `band` (time since the last HbA1c, OVERDUE_BANDS or NEVER_TESTED) and `dmp` (DMP_STATES)."""
    band = pl.lit(NEVER_TESTED, dtype=pl.String)
    for label, low, high in reversed(OVERDUE_BANDS):
        cond = pl.col("months_since_last_hba1c") >= low
        if high is not None:
            cond = cond & (pl.col("months_since_last_hba1c") <= high)
        band = pl.when(cond).then(pl.lit(label)).otherwise(band)
    return d.with_columns(
        band.alias("band"),
        pl.when(pl.col("dmp_open").fill_null(False))
        .then(pl.lit(DMP_STATES[0]))
        .otherwise(pl.lit(DMP_STATES[1]))
        .alias("dmp"),
    )


def _overdue_distribution(d: pl.DataFrame) -> alt.Chart:
    """Stacked bars: overdue patients per band of time since the last HbA1c (from the first band present)."""
    labels = [b[0] for b in OVERDUE_BANDS]
    present = [i for i, lab in enumerate(labels) if lab in set(d["band"].to_list())]
    first = present[0] if present else 1
    bands = [*labels[first:], NEVER_TESTED]
    grid = pl.DataFrame({"band": bands}).join(pl.DataFrame({"dmp": DMP_STATES}), how="cross")
    dist = grid.join(
        d.group_by("band", "dmp").agg(pl.len().cast(pl.Int64).alias("patients")),
        on=["band", "dmp"],
        how="left",
    ).with_columns(pl.col("patients").fill_null(0))
    return (
        alt.Chart(dist)
        .mark_bar()
        .encode(
            x=alt.X(
                "band:N", sort=bands, title="Time since the last HbA1c test", axis=alt.Axis(labelAngle=-30)
            ),
            y=alt.Y("patients:Q", title="Overdue type 2 diabetics", stack="zero"),
            color=alt.Color(
                "dmp:N", sort=DMP_STATES, title="Patient's DMP at that date", legend=_legend(columns=1)
            ),
            tooltip=[
                alt.Tooltip("band:N", title="Since the last HbA1c"),
                alt.Tooltip("dmp:N", title="DMP"),
                alt.Tooltip("patients:Q", title="Patients", format=COUNT),
            ],
        )
        .properties(title=_title("How long since their last HbA1c"), width=300)
    )


def _overdue_gps(d: pl.DataFrame) -> alt.Chart:
    """Ranked bars: the TOP_GPS médecins traitants with the most overdue patients."""
    gps = (
        d.with_columns(
            pl.when(pl.col("gp_professional_id").is_null())
            .then(pl.lit("No médecin traitant"))
            .otherwise(pl.format("Médecin traitant #{}", pl.col("gp_professional_id")))
            .alias("gp")
        )
        .group_by("gp")
        .agg(pl.len().cast(pl.Int64).alias("patients"))
        .sort(["patients", "gp"], descending=[True, False])
        .head(TOP_GPS)
    )
    return (
        alt.Chart(gps)
        .mark_bar(color=PALETTE[1])
        .encode(
            x=alt.X("patients:Q", title="Overdue patients", axis=alt.Axis(tickMinStep=1)),
            y=alt.Y("gp:N", sort=gps["gp"].to_list(), title="Who should be reminded", axis=_label_axis(200)),
            tooltip=[
                alt.Tooltip("gp:N", title="Médecin traitant"),
                alt.Tooltip("patients:Q", title="Overdue patients", format=COUNT),
            ],
        )
        .properties(
            title=_title(f"Médecins traitants with the most overdue patients (top {TOP_GPS})"),
            width=220,
            height=alt.Step(16),
        )
    )


@chart("diabetics_overdue")
def diabetics_overdue(df: pl.DataFrame) -> alt.HConcatChart:
    """The overdue cohort: bars of the distribution of months since the last HbA1c; ranked bars of the GPs to remind."""
    d = _overdue_bands(_frame(df))
    return alt.hconcat(_overdue_distribution(d), _overdue_gps(d)).properties(
        title=_title(
            "Type 2 diabetics overdue for their HbA1c test (decision-support cohort)",
            f"{d.height:,} patients whose last HbA1c is too old or missing; HAS recommends one every 3 months",
        )
    )


def _care_totals(d: pl.DataFrame) -> pl.DataFrame:
    """Encounters and encounters with a document per kind over the whole period, most encounters first."""
    return (
        d.group_by("kind")
        .agg(
            pl.col("encounters").sum().cast(pl.Int64),
            pl.col("encounters_with_document").sum().cast(pl.Int64),
        )
        .sort(["encounters", "kind"], descending=[True, False])
    )


def _care_bars(totals: pl.DataFrame, rows: alt.Scale, height: int) -> alt.Chart:
    """Grouped horizontal bars per kind: encounters, and encounters with a document in the DMP."""
    kinds = totals["kind"].to_list()
    measures = ["Care that happened (encounters)", "Encounters with a document in the DMP"]
    long = pl.concat(
        [
            totals.select("kind", pl.lit(measures[0]).alias("measure"), pl.col("encounters").alias("count")),
            totals.select(
                "kind",
                pl.lit(measures[1]).alias("measure"),
                pl.col("encounters_with_document").alias("count"),
            ),
        ]
    )
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y("kind:N", sort=kinds, title="Kind of encounter", scale=rows, axis=_label_axis(260)),
            yOffset=alt.YOffset("measure:N", sort=measures),
            x=alt.X("count:Q", title="Encounters over the whole period"),
            color=alt.Color(
                "measure:N",
                sort=measures,
                title="Encounters",
                scale=alt.Scale(range=["#a8a8a8", PALETTE[0]]),
                legend=_legend(columns=1),
            ),
            tooltip=[
                alt.Tooltip("kind:N", title="Encounter"),
                alt.Tooltip("measure:N", title="Encounters"),
                alt.Tooltip("count:Q", title="Count", format=COUNT),
            ],
        )
        .properties(title=_title("Care vs DMP, whole period"), width=260, height=height)
    )


def _care_heatmap(d: pl.DataFrame, kinds: list[str], rows: alt.Scale, height: int) -> alt.LayerChart:
    """Heatmap kind × year of the share of encounters with a document in the DMP, the share written in each cell."""
    heat = alt.Chart(d).encode(
        x=_year(title="Year the encounter started"),
        y=alt.Y(
            "kind:N",
            sort=kinds,
            title=None,
            scale=rows,
            axis=alt.Axis(labels=False, ticks=False, domain=False),
        ),
        tooltip=[
            alt.Tooltip("year:O", title="Year"),
            alt.Tooltip("kind:N", title="Encounter"),
            alt.Tooltip("encounters:Q", title="Encounters", format=COUNT),
            alt.Tooltip("encounters_with_document:Q", title="With a document in the DMP", format=COUNT),
            alt.Tooltip("share_with_document:Q", title="Share with a document", format=PCT_TIP),
            alt.Tooltip("share_with_document_if_open:Q", title="Share when the DMP was open", format=PCT_TIP),
            alt.Tooltip("documents:Q", title="Documents", format=COUNT),
        ],
    )
    return alt.layer(
        heat.mark_rect().encode(
            color=alt.Color(
                "share_with_document:Q",
                title="Encounters with a document in the DMP (%)",
                scale=alt.Scale(scheme="blues", domain=[0, 1]),
                legend=_legend(format=".0%", orient="bottom"),
            )
        ),
        heat.mark_text(fontSize=10).encode(
            text=alt.Text("share_with_document:Q", format=".0%"),
            color=alt.condition("datum.share_with_document > 0.5", alt.value("white"), alt.value("#1d1d1d")),
        ),
    ).properties(title=_title("Share with a document, by year"), width=alt.Step(44), height=height)


@chart("care_vs_dmp")
def care_vs_dmp(df: pl.DataFrame) -> alt.HConcatChart:
    """Grouped horizontal bars of encounters vs encounters with a document, by kind; heatmap of the share by year."""
    d = _frame(df).with_columns(pl.coalesce(pl.col("kind_label"), pl.col("encounter_kind")).alias("kind"))
    totals = _care_totals(d)
    kinds = totals["kind"].to_list()
    # both panels share the rows: same band scale (paddings) and the same fixed height
    rows = alt.Scale(paddingInner=0.2, paddingOuter=0.1)
    height = 44 * max(len(kinds), 1)
    left = _care_bars(totals, rows, height)
    right = _care_heatmap(d, kinds, rows, height)
    return (
        alt.hconcat(left, right)
        .resolve_scale(color="independent", y="independent")
        .properties(
            title=_title(
                "What care happened versus what the DMP shows",
                "Encounters with at least one document in the DMP (documents with no encounter are left out)",
            )
        )
    )


def _prevalence_panel(d: pl.DataFrame, title: alt.TitleParams) -> alt.LayerChart:
    """Horizontal bars of the generated prevalence, a dot at the published figure, one row per label."""
    order = d.sort("published_prevalence", descending=True, nulls_last=True)["row"].to_list()
    base = alt.Chart(d).encode(
        y=alt.Y("row:N", sort=order, title=None, axis=_label_axis(300)),
        tooltip=[
            alt.Tooltip("row:N", title="Pathology or group"),
            alt.Tooltip("cases:Q", title="People with it", format=COUNT),
            alt.Tooltip("prevalence:Q", title="Prevalence (people)", format=PCT_TIP),
            alt.Tooltip("prevalence_summed:Q", title="Generated (sum of pathologies)", format=PCT_TIP),
            alt.Tooltip("published_prevalence:Q", title="Published", format=PCT_TIP),
        ],
    )
    bars = base.mark_bar(color=PALETTE[0]).encode(
        x=alt.X("prevalence_summed:Q", title="Share of the population (%)", axis=alt.Axis(format=PCT))
    )
    dots = base.mark_point(filled=True, size=60, color=PALETTE[1], opacity=1).encode(
        x=alt.X("published_prevalence:Q", title="Share of the population (%)")
    )
    return alt.layer(bars, dots).properties(title=title, width=360, height=alt.Step(16))


@chart("pathology_prevalence_vs_published")
def pathology_prevalence_vs_published(df: pl.DataFrame) -> alt.VConcatChart:
    """Bars of the generated prevalence and dots at the published one, by pathology group, then by pathology."""
    d = _frame(df).with_columns(pl.coalesce("label", "pathology", "pathology_group").alias("row"))
    groups = _prevalence_panel(
        d.filter(pl.col("level") == "group"),
        _title("By pathology group", "A group's figures: the sum of its pathologies' prevalences"),
    )
    pathologies = _prevalence_panel(d.filter(pl.col("level") != "group"), _title("By pathology"))
    return alt.vconcat(groups, pathologies).properties(
        title=_title(
            "Prevalence of the chronic pathologies: generated (bars) vs published (dots)",
            "People alive on the day, pathology with onset on or before it; published: CNAM cartographie and others",
        )
    )


@chart("multimorbidity_by_age")
def multimorbidity_by_age(df: pl.DataFrame) -> alt.Chart:
    """100 % stacked bars per age band: people with 0, 1, 2, 3 or more chronic pathologies."""
    d = _frame(df)
    measures = [(label, column, None) for column, label in MULTIMORBIDITY.items()]
    long = _long(d, ["age_band", "band_order", "people"], measures).with_columns(
        _rank("measure", list(MULTIMORBIDITY.values())).alias("measure_order")
    )
    bands = d.sort("band_order")["age_band"].to_list()
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("age_band:N", sort=bands, title="Age", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("value:Q", title="People of the age band (%)", axis=alt.Axis(format=PCT), stack="zero"),
            color=alt.Color(
                "measure:N",
                sort=list(MULTIMORBIDITY.values()),
                title="Chronic pathologies",
                scale=alt.Scale(range=["#d9d9d9", "#9bc53d", "#f3a712", "#c3423f"]),
                legend=_legend(columns=4),
            ),
            order=alt.Order("measure_order:Q"),
            tooltip=[
                alt.Tooltip("age_band:N", title="Age"),
                alt.Tooltip("measure:N", title="Chronic pathologies"),
                alt.Tooltip("value:Q", title="Share of the age band", format=PCT_TIP),
                alt.Tooltip("people:Q", title="People of the age band", format=COUNT),
            ],
        )
        .properties(
            width=WIDTH,
            title=_title(
                "Multimorbidity by age",
                "Distinct chronic pathologies (CNAM cartographie, treated hypertension, chronic kidney disease)",
            ),
        )
    )


@chart("follow_up_indicators_by_group")
def follow_up_indicators_by_group(df: pl.DataFrame) -> alt.Chart:
    """Horizontal bars per cohort and indicator, one bar per year: share of the cohort with the follow-up."""
    d = _frame(df).with_columns(
        pl.format("{} — {}", _labelled("cohort", FOLLOW_UP_COHORTS), pl.col("label")).alias("row"),
        _rank("cohort", list(FOLLOW_UP_COHORTS)).alias("cohort_order"),
    )
    rows = d.sort("cohort_order", "indicator_order")["row"].unique(maintain_order=True).to_list()
    return (
        alt.Chart(d)
        .mark_bar()
        .encode(
            y=alt.Y("row:N", sort=rows, title="Cohort — follow-up", axis=_label_axis(420)),
            yOffset=alt.YOffset("year:O"),
            x=alt.X("share:Q", title="People of the cohort that year (%)", axis=alt.Axis(format=PCT)),
            color=alt.Color("year:O", title="Year", legend=_legend(orient="bottom")),
            tooltip=[
                alt.Tooltip("row:N", title="Follow-up"),
                alt.Tooltip("year:O", title="Year"),
                alt.Tooltip("patients:Q", title="People of the cohort", format=COUNT),
                alt.Tooltip("with_indicator:Q", title="With the follow-up", format=COUNT),
                alt.Tooltip("share:Q", title="Share", format=PCT_TIP),
            ],
        )
        .properties(
            width=360,
            height=alt.Step(9),
            title=_title(
                "Follow-up recommended for chronic diseases (HAS), by cohort",
                "Alive all year; lab results count even when not fed to the DMP",
            ),
        )
    )


# The kinds of rows of dmp_coverage_of_chronic_patients (its labels of the rows all and none), each in its colour.
EVERYONE, IN_GROUP, NO_PATHOLOGY = "Everyone", "With a pathology of the group", "No chronic pathology"


def _coverage_panel(d: pl.DataFrame, rows: list[str], field: str, title: str, axis: alt.Axis) -> alt.Chart:
    """Horizontal bars per group of one coverage measure, everyone and no pathology in their own colours."""
    return (
        alt.Chart(d)
        .mark_bar()
        .encode(
            y=alt.Y("row:N", sort=rows, title=None, axis=_label_axis(280)),
            x=alt.X(f"{field}:Q", title=title, axis=axis),
            color=alt.Color(
                "kind:N",
                title="People",
                scale=alt.Scale(range=["#a8a8a8", PALETTE[0], "#d9d9d9"]),
                sort=[EVERYONE, IN_GROUP, NO_PATHOLOGY],
                legend=_legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("row:N", title="Group"),
                alt.Tooltip("people:Q", title="People", format=COUNT),
                alt.Tooltip("share_activated:Q", title="Mon espace santé activated", format=PCT_TIP),
                alt.Tooltip("documents_per_person_year:Q", title="Documents per person-year", format=".1f"),
            ],
        )
        .properties(width=260, height=alt.Step(18))
    )


@chart("dmp_coverage_of_chronic_patients")
def dmp_coverage_of_chronic_patients(df: pl.DataFrame) -> alt.HConcatChart:
    """Bars per pathology group: share with an activated Mon espace santé, DMP documents per person-year."""
    d = _frame(df).with_columns(
        pl.coalesce("label", "pathology_group").alias("row"),
        pl.when(pl.col("row_order") == 1).then(pl.lit(IN_GROUP)).otherwise(pl.col("label")).alias("kind"),
    )
    rows = d["row"].to_list()  # the analysis's order: everyone, the groups, no pathology
    return alt.hconcat(
        _coverage_panel(d, rows, "share_activated", "Mon espace santé activated (%)", alt.Axis(format=PCT)),
        _coverage_panel(d, rows, "documents_per_person_year", "DMP documents per person-year", alt.Axis()),
    ).properties(
        title=_title(
            "Mon espace santé and DMP documents of chronically ill people",
            "Alive at the end of the period; a person may belong to several groups",
        )
    )
