"""Charts of the coordination analyses: who cares for a patient, who reads whose documents."""

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
from dmpdata.charts._labels import SECTORS, SECTORS_SHORT
from dmpdata.charts._registry import chart
from dmpdata.charts._theme import PALETTE


def _per_year_bars(
    d: pl.DataFrame,
    measures: list[tuple[str, str]],
    *,
    y: alt.Y,
    colors: list[str],
    legend_title: str,
    value_tip: alt.Tooltip,
    title: alt.TitleParams,
) -> alt.Chart:
    """Bars side by side per year, one per (label, column) of `measures`, with the year's patients in the tooltip."""
    labels = [label for label, _ in measures]
    return (
        alt.Chart(_long(d, ["year", "patients"], [(label, column, None) for label, column in measures]))
        .mark_bar()
        .encode(
            x=_year(),
            xOffset=alt.XOffset("measure:N", sort=labels),
            y=y,
            color=alt.Color(
                "measure:N",
                sort=labels,
                title=legend_title,
                scale=alt.Scale(range=colors),
                legend=_legend(columns=1),
            ),
            tooltip=[
                alt.Tooltip("year:O", title="Year"),
                alt.Tooltip("measure:N", title=legend_title),
                value_tip,
                alt.Tooltip("patients:Q", title="Patients with care that year", format=COUNT),
            ],
        )
        .properties(title=title, width=250)
    )


@chart("professionals_per_patient")
def professionals_per_patient(df: pl.DataFrame) -> alt.HConcatChart:
    """Grouped bars per year: professionals per patient (mean, median), and shares seen by several / across sectors."""
    d = _frame(df)
    left = _per_year_bars(
        d,
        [("Mean", "mean_professionals"), ("Median", "median_professionals")],
        y=alt.Y("value:Q", title="Different professionals per patient in the year"),
        colors=PALETTE[:2],
        legend_title="Statistic",
        value_tip=alt.Tooltip("value:Q", title="Professionals per patient", format=".2f"),
        title=_title("How many professionals care for one patient"),
    )
    right = _per_year_bars(
        d,
        [
            ("Seen by 2 or more different professionals", "share_2_or_more"),
            ("Seen in 2 or more care sectors", "share_multi_sector"),
        ],
        y=alt.Y("value:Q", title="Patients with care that year (%)", axis=alt.Axis(format=PCT)),
        colors=PALETTE[2:4],
        legend_title="Patients",
        value_tip=alt.Tooltip("value:Q", title="Share of patients", format=PCT_TIP),
        title=_title("Care shared between professionals", "Sectors: ville, hospital, médico-social"),
    )
    return (
        alt.hconcat(left, right)
        .resolve_scale(color="independent")
        .properties(
            title=_title(
                "Professionals taking care of each patient, per year",
                "Different professionals carrying out a patient's encounters (visits, stays, tests, dispensing…)",
            )
        )
    )


@chart("discharge_letters_read_by_gp")
def discharge_letters_read_by_gp(df: pl.DataFrame) -> alt.Chart:
    """Grouped bars per year of discharge: share read by the médecin traitant within 7 days, 30 days, ever."""
    d = _frame(df)
    measures = [
        ("Within 7 days of submission", "share_read_7d", "read_within_7d"),
        ("Within 30 days", "share_read_30d", "read_within_30d"),
        ("At any time", "share_read_ever", "read_ever"),
    ]
    long = _long(d, ["discharge_year", "letters_with_gp"], measures)
    return _grouped_bars(
        long,
        x=_year("discharge_year", "Year of discharge from hospital"),
        x_tip=alt.Tooltip("discharge_year:O", title="Year of discharge"),
        measures=[m[0] for m in measures],
        y_title="Letters read by the médecin traitant (%)",
        legend_title="Read by the médecin traitant",
        count_title="Letters read",
        title=_title(
            "Discharge letters (lettre de liaison) read by the médecin traitant",
            "Hospital discharge letters fed to the DMP, for patients with a médecin traitant (their regular GP)",
        ),
    )


@chart("discharge_letter_read_delays")
def discharge_letter_read_delays(df: pl.DataFrame) -> alt.Chart:
    """Grouped bars per delay band: letters first read by the médecin traitant vs by any other professional."""
    d = _frame(df).sort("band_order")
    bands = d["delay_band"].to_list()
    measures = [
        ("By the médecin traitant (regular GP)", "share_by_gp", "letters_by_gp"),
        ("By any professional other than the author", "share_by_any", "letters_by_any"),
    ]
    long = _long(d, ["delay_band", "band_order"], measures)
    return _grouped_bars(
        long,
        x=alt.X(
            "delay_band:N",
            sort=bands,
            title="Time from submission to the DMP to the first read",
            axis=alt.Axis(labelAngle=0),
        ),
        x_tip=alt.Tooltip("delay_band:N", title="First read"),
        measures=[m[0] for m in measures],
        y_title="Discharge letters (%)",
        legend_title="First read",
        count_title="Letters",
        title=_title(
            "How quickly hospital discharge letters (lettres de liaison) are first read",
            "Letters of patients who have a médecin traitant; recent letters had less time to be read",
        ),
    )


@chart("cross_sector_sharing")
def cross_sector_sharing(df: pl.DataFrame) -> alt.LayerChart:
    """Heatmap author sector × reader sector: share of the author sector's reads, with the number of reads."""
    d = _frame(df).with_columns(
        _labelled("author_sector", SECTORS).alias("author"),
        _labelled("reader_sector", SECTORS).alias("reader"),
    )
    order = list(SECTORS.values())
    base = alt.Chart(d).encode(
        x=alt.X(
            "reader:N",
            sort=order,
            title="Sector of the professional reading",
            axis=alt.Axis(labelAngle=-20, labelLimit=220),
        ),
        y=alt.Y("author:N", sort=order, title="Sector that wrote the document", axis=_label_axis(260)),
    )
    tooltip = [
        alt.Tooltip("author:N", title="Written in"),
        alt.Tooltip("reader:N", title="Read in"),
        alt.Tooltip("consultations:Q", title="Granted reads", format=COUNT),
        alt.Tooltip("documents:Q", title="Distinct documents read", format=COUNT),
        alt.Tooltip("readers:Q", title="Reading professionals", format=COUNT),
        alt.Tooltip(
            "share_of_author_consultations:Q", title="Share of the author sector's reads", format=PCT_TIP
        ),
        alt.Tooltip(
            "share_of_documents_read:Q", title="Share of the sector's documents read", format=PCT_TIP
        ),
    ]
    cells = base.mark_rect().encode(
        color=alt.Color(
            "share_of_author_consultations:Q",
            title="Share of the writing sector's reads",
            scale=alt.Scale(scheme="blues", domain=[0, 1]),
            legend=_legend(format=".0%", orient="right"),
        ),
        tooltip=tooltip,
    )
    text = base.mark_text(fontSize=11).encode(
        text=alt.Text("consultations:Q", format=COUNT),
        color=alt.condition(
            "datum.share_of_author_consultations > 0.5", alt.value("white"), alt.value("#1d1d1d")
        ),
        tooltip=tooltip,
    )
    return alt.layer(cells, text).properties(
        title=_title(
            "Sharing across care sectors: who reads whose documents in the DMP",
            "Numbers: granted reads by professionals other than the author; colour: share of that sector's reads",
        ),
        width=alt.Step(110),
        height=alt.Step(44),
    )


@chart("lab_results_read_by_others")
def lab_results_read_by_others(df: pl.DataFrame) -> alt.Chart:
    """Grouped bars per year: lab reports read by their prescriber and by other professionals."""
    d = _frame(df)
    measures = [
        ("Read by the prescriber of the test", "share_read_by_prescriber", "read_by_prescriber"),
        (
            "Read by another professional (not the prescriber, not the lab)",
            "share_read_by_other",
            "read_by_other",
        ),
    ]
    return _grouped_bars(
        _long(d, ["year", "lab_reports"], measures),
        x=_year(title="Year the lab report reached the DMP"),
        x_tip=alt.Tooltip("year:O", title="Year"),
        measures=[m[0] for m in measures],
        y_title="Lab reports fed that year (%)",
        legend_title="Lab reports",
        count_title="Lab reports",
        title=_title(
            "Lab reports (CR d'examens biologiques) read by the prescriber and by others",
            "Prescriber = author of the lab prescription (PRESC-BIO) fed to the DMP, else the médecin traitant",
        ),
    )


@chart("professional_sharing_network")
def professional_sharing_network(df: pl.DataFrame) -> alt.Chart:
    """Ranked horizontal bars: author → reader pairs by the number of patients shared."""
    d = _frame(df)
    who = lambda side: pl.coalesce(pl.col(f"{side}_specialty"), pl.col(f"{side}_profession"), pl.lit("?"))  # noqa: E731
    d = d.with_columns(
        pl.format(
            "{} #{} ({}) → {} #{} ({})",
            who("author"),
            pl.col("author_professional_id"),
            _labelled("author_sector", SECTORS_SHORT),
            who("reader"),
            pl.col("reader_professional_id"),
            _labelled("reader_sector", SECTORS_SHORT),
        ).alias("pair"),
        pl.when(pl.col("author_sector") == pl.col("reader_sector"))
        .then(pl.lit("Same care sector"))
        .otherwise(pl.lit("Across care sectors"))
        .alias("link"),
    ).sort(["patients", "consultations"], descending=True)
    return (
        alt.Chart(d)
        .mark_bar()
        .encode(
            x=alt.X(
                "patients:Q",
                title="Patients shared (the reader opened documents the author wrote about them)",
            ),
            y=alt.Y(
                "pair:N",
                sort=d["pair"].to_list(),
                title="Author → reader (profession or specialty #id, sector)",
                axis=_label_axis(420),
            ),
            color=alt.Color(
                "link:N", title="Pair", sort=["Same care sector", "Across care sectors"], legend=_legend()
            ),
            tooltip=[
                alt.Tooltip("pair:N", title="Author → reader"),
                alt.Tooltip("patients:Q", title="Patients shared", format=COUNT),
                alt.Tooltip("documents:Q", title="Documents read", format=COUNT),
                alt.Tooltip("consultations:Q", title="Granted reads", format=COUNT),
            ],
        )
        .properties(
            title=_title(
                "Pairs of professionals sharing the most through the DMP",
                "One writes documents, the other reads them (granted consultations); ranked by patients shared",
            ),
            width=360,
            height=alt.Step(18),
        )
    )
