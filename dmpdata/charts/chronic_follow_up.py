"""Charts of the chronic follow-up analyses: HbA1c tests, HAS indicators, overdue diabetics, care vs DMP."""

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
    _title,
    _year,
)
from dmpdata.charts._labels import HBA1C_BANDS
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
