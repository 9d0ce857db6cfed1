"""Charts of the adoption analyses: documents fed, professionals feeding, profiles, consultations."""

from __future__ import annotations

import altair as alt
import polars as pl

from dmpdata.charts._helpers import (
    COUNT,
    PCT,
    PCT_TIP,
    _colors,
    _complete,
    _frame,
    _labelled,
    _legend,
    _month,
    _month_tip,
    _rank,
    _title,
    _year,
)
from dmpdata.charts._labels import CHANNELS, SECTORS
from dmpdata.charts._registry import chart
from dmpdata.charts._theme import WIDTH

TOP_TYPES = 7  # document types drawn one by one; the others are stacked as one


def _documents_by_type(d: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """Documents per month of the TOP_TYPES most fed types and of the others as one group; the groups in order."""
    top = (
        d.group_by("type_label")
        .agg(pl.col("documents").sum())
        .sort(["documents", "type_label"], descending=[True, False])
        .head(TOP_TYPES)["type_label"]
        .to_list()
    )
    other = "Other document types"
    by_type = _complete(
        d.with_columns(
            pl.when(pl.col("type_label").is_in(top))
            .then(pl.col("type_label"))
            .otherwise(pl.lit(other))
            .alias("type_group")
        )
        .group_by("month", "type_group")
        .agg(pl.col("documents").sum().cast(pl.Int64)),
        "month",
        "type_group",
        ["documents"],
    )
    types = [*top, other]
    return by_type.with_columns(_rank("type_group", types).alias("type_order")), types


def _documents_by_sector(d: pl.DataFrame) -> pl.DataFrame:
    """Documents per month and author's sector (labelled), zeros where a sector fed nothing."""
    return _complete(
        d.with_columns(_labelled("sector", SECTORS).alias("sector_label"))
        .group_by("month", "sector_label")
        .agg(pl.col("documents").sum().cast(pl.Int64)),
        "month",
        "sector_label",
        ["documents"],
    )


@chart("documents_per_month")
def documents_per_month(df: pl.DataFrame) -> alt.VConcatChart:
    """Stacked areas by month: documents fed by type (top types + other); lines by the author's sector."""
    d = _frame(df).with_columns(pl.coalesce(pl.col("type_label"), pl.col("type_code")).alias("type_label"))
    by_type, types = _documents_by_type(d)
    by_sector = _documents_by_sector(d)
    y_title = "Documents submitted to the DMP in the month"
    stacked = (
        alt.Chart(by_type)
        .mark_area()
        .encode(
            x=_month(),
            y=alt.Y("documents:Q", title=y_title, stack="zero"),
            color=alt.Color(
                "type_group:N", sort=types, title="Document type", legend=_legend(columns=2, labelLimit=300)
            ),
            order=alt.Order("type_order:Q"),
            tooltip=[
                _month_tip(),
                alt.Tooltip("type_group:N", title="Document type"),
                alt.Tooltip("documents:Q", title="Documents", format=COUNT),
            ],
        )
        .properties(title=_title("By document type (the most fed types)"))
    )
    lines = (
        alt.Chart(by_sector)
        .mark_line(point=False)
        .encode(
            x=_month(),
            y=alt.Y("documents:Q", title=y_title),
            color=alt.Color(
                "sector_label:N",
                sort=list(SECTORS.values()),
                title="Sector of the author",
                legend=_legend(columns=2, labelLimit=300),
            ),
            tooltip=[
                _month_tip(),
                alt.Tooltip("sector_label:N", title="Author's sector"),
                alt.Tooltip("documents:Q", title="Documents", format=COUNT),
            ],
        )
        .properties(title=_title("By sector of the author"), height=200)
    )
    return (
        alt.vconcat(stacked, lines)
        .resolve_scale(color="independent")
        .properties(
            title=_title(
                "Documents fed to the DMP each month",
                "Every version submitted counts, dated by its submission",
            )
        )
    )


@chart("professionals_feeding_share")
def professionals_feeding_share(df: pl.DataFrame) -> alt.Chart:
    """Lines by month: share of the professionals of each profession who fed at least one document."""
    d = _frame(df).with_columns(
        pl.coalesce(pl.col("profession_label"), pl.col("profession_code")).alias("profession")
    )
    order = (
        d.group_by("profession")
        .agg(pl.col("professionals").max())
        .sort("professionals", descending=True)["profession"]
        .to_list()
    )
    return (
        alt.Chart(d)
        .mark_line()
        .encode(
            x=_month(),
            y=alt.Y(
                "share_feeding:Q",
                title="Professionals who fed the DMP that month (%)",
                axis=alt.Axis(format=PCT),
            ),
            color=alt.Color(
                "profession:N",
                sort=order,
                title="Profession",
                scale=_colors(len(order)),
                legend=_legend(columns=3),
            ),
            tooltip=[
                _month_tip(),
                alt.Tooltip("profession:N", title="Profession"),
                alt.Tooltip("share_feeding:Q", title="Share feeding", format=PCT_TIP),
                alt.Tooltip(
                    "share_feeding_of_equipped:Q", title="Share of the equipped ones feeding", format=PCT_TIP
                ),
                alt.Tooltip("feeding_professionals:Q", title="Professionals feeding", format=COUNT),
                alt.Tooltip(
                    "equipped_professionals:Q", title="Equipped with DMP-compatible software", format=COUNT
                ),
                alt.Tooltip("professionals:Q", title="Professionals", format=COUNT),
                alt.Tooltip("documents:Q", title="Documents fed", format=COUNT),
            ],
        )
        .properties(
            title=_title(
                "Professionals feeding the DMP each month, by profession",
                "Share of the professionals who authored at least one document submitted that month",
            )
        )
    )


@chart("mes_activation_over_time")
def mes_activation_over_time(df: pl.DataFrame) -> alt.Chart:
    """Lines by month: share of the population with an open / activated profile, dataset vs national figures."""
    d = _frame(df)
    profiles = ["Open profile", "Activated profile"]
    sources = ["This dataset", "National figures (published)"]
    parts = []
    for profile, source, column, count in [
        (profiles[0], sources[0], "share_open", "open_profiles"),
        (profiles[1], sources[0], "share_activated", "activated_profiles"),
        (profiles[0], sources[1], "national_open_share", None),
        (profiles[1], sources[1], "national_activated_share", None),
    ]:
        parts.append(
            d.select(
                "month",
                pl.lit(profile, dtype=pl.String).alias("profile"),
                pl.lit(source, dtype=pl.String).alias("source"),
                pl.col(column).cast(pl.Float64).alias("share"),
                (pl.col(count) if count else pl.lit(None)).cast(pl.Int64).alias("people"),
            )
        )
    long = pl.concat(parts).filter(pl.col("share").is_not_null())
    return (
        alt.Chart(long)
        .mark_line()
        .encode(
            x=_month(),
            y=alt.Y("share:Q", title="Share of the population alive (%)", axis=alt.Axis(format=PCT)),
            color=alt.Color(
                "profile:N", sort=profiles, title="Mon espace santé profile", legend=_legend(columns=1)
            ),
            strokeDash=alt.StrokeDash("source:N", sort=sources, title="Source", legend=_legend(columns=1)),
            tooltip=[
                _month_tip(),
                alt.Tooltip("profile:N", title="Profile"),
                alt.Tooltip("source:N", title="Source"),
                alt.Tooltip("share:Q", title="Share of the population", format=PCT_TIP),
                alt.Tooltip("people:Q", title="People", format=COUNT),
            ],
        )
        .properties(
            title=_title(
                "Mon espace santé (the patient's health space holding the DMP): open and activated profiles",
                "End of each month; a profile is open unless the person opposed it, activating it is their own step",
            )
        )
    )


@chart("mandatory_document_compliance")
def mandatory_document_compliance(df: pl.DataFrame) -> alt.Chart:
    """Lines with points by year: share of the encounters requiring a mandatory document that got one, by type."""
    d = _frame(df).with_columns(pl.coalesce(pl.col("type_label"), pl.col("type_code")).alias("type_label"))
    agg = (
        d.group_by("type_label", "year")
        .agg(
            pl.col("encounters_requiring").sum().cast(pl.Int64),
            pl.col("encounters_with_document").sum().cast(pl.Int64),
        )
        .with_columns(
            (
                pl.col("encounters_with_document")
                / pl.when(pl.col("encounters_requiring") > 0).then(pl.col("encounters_requiring"))
            ).alias("share_fed")
        )
        .sort("type_label", "year")
    )
    order = (
        agg.group_by("type_label")
        .agg(pl.col("encounters_requiring").sum())
        .sort("encounters_requiring", descending=True)["type_label"]
        .to_list()
    )
    return (
        alt.Chart(agg)
        .mark_line(point=True)
        .encode(
            x=_year(title="Year the encounter ended"),
            y=alt.Y(
                "share_fed:Q",
                title="Encounters that got the required document (%)",
                axis=alt.Axis(format=PCT),
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=alt.Color(
                "type_label:N",
                sort=order,
                title="Mandatory document type",
                scale=_colors(len(order)),
                legend=_legend(columns=2, labelLimit=300),
            ),
            tooltip=[
                alt.Tooltip("year:O", title="Year"),
                alt.Tooltip("type_label:N", title="Document type"),
                alt.Tooltip("share_fed:Q", title="Share fed", format=PCT_TIP),
                alt.Tooltip("encounters_with_document:Q", title="Encounters with the document", format=COUNT),
                alt.Tooltip("encounters_requiring:Q", title="Encounters requiring it", format=COUNT),
            ],
        )
        .properties(
            width=WIDTH,
            title=_title(
                "Documents the law requires in the DMP: how often they were fed",
                "Encounters (stays, tests, visits…) that required a document of the type once the obligation applied",
            ),
        )
    )


def _consultations_by_profession(d: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """Attempts per month and profession (zeros filled), and the professions by attempts, most first."""
    by_profession = _complete(
        d.group_by("month", "profession").agg(
            pl.col("attempts").sum().cast(pl.Int64),
            pl.col("granted").sum().cast(pl.Int64),
            pl.col("denied").sum().cast(pl.Int64),
        ),
        "month",
        "profession",
        ["attempts", "granted", "denied"],
    )
    order = (
        by_profession.group_by("profession")
        .agg(pl.col("attempts").sum())
        .sort(["attempts", "profession"], descending=[True, False])["profession"]
        .to_list()
    )
    by_profession = by_profession.with_columns(_rank("profession", order).alias("profession_order"))
    return by_profession, order


def _consultations_by_channel(d: pl.DataFrame) -> pl.DataFrame:
    """Attempts per month and access channel (labelled), zeros filled."""
    by_channel = (
        d.with_columns(_labelled("channel", CHANNELS).alias("channel_label"))
        .group_by("month", "channel_label")
        .agg(pl.col("attempts").sum().cast(pl.Int64), pl.col("granted").sum().cast(pl.Int64))
        .sort("month", "channel_label")
    )
    return _complete(by_channel, "month", "channel_label", ["attempts", "granted"])


@chart("consultations_per_month")
def consultations_per_month(df: pl.DataFrame) -> alt.VConcatChart:
    """Stacked areas by month × profession of consultation attempts; lines by access channel."""
    d = _frame(df).with_columns(
        pl.coalesce(pl.col("profession_label"), pl.col("profession_code")).alias("profession")
    )
    by_profession, order = _consultations_by_profession(d)
    by_channel = _consultations_by_channel(d)
    y_title = "Consultation attempts (granted or refused)"
    top = (
        alt.Chart(by_profession)
        .mark_area()
        .encode(
            x=_month(),
            y=alt.Y("attempts:Q", title=y_title, stack="zero"),
            color=alt.Color(
                "profession:N",
                sort=order,
                title="Profession of the reader",
                scale=_colors(len(order)),
                legend=_legend(columns=3),
            ),
            order=alt.Order("profession_order:Q"),
            tooltip=[
                _month_tip(),
                alt.Tooltip("profession:N", title="Profession"),
                alt.Tooltip("attempts:Q", title="Attempts", format=COUNT),
                alt.Tooltip("granted:Q", title="Granted", format=COUNT),
                alt.Tooltip("denied:Q", title="Refused", format=COUNT),
            ],
        )
        .properties(title=_title("By profession"))
    )
    bottom = (
        alt.Chart(by_channel)
        .mark_line()
        .encode(
            x=_month(),
            y=alt.Y("attempts:Q", title=y_title),
            color=alt.Color(
                "channel_label:N", sort=list(CHANNELS.values()), title="Access channel", legend=_legend()
            ),
            tooltip=[
                _month_tip(),
                alt.Tooltip("channel_label:N", title="Channel"),
                alt.Tooltip("attempts:Q", title="Attempts", format=COUNT),
                alt.Tooltip("granted:Q", title="Granted", format=COUNT),
            ],
        )
        .properties(title=_title("By access channel"), height=180)
    )
    return (
        alt.vconcat(top, bottom)
        .resolve_scale(color="independent")
        .properties(
            title=_title(
                "Professionals consulting the DMP each month", "Attempts to open a patient's documents"
            )
        )
    )


@chart("care_withheld_unqualified_identity")
def care_withheld_unqualified_identity(df: pl.DataFrame) -> alt.HConcatChart:
    """Bars by year: documents withheld for an unqualified identity, by sector; lines: their share of what would
    have reached the DMP."""
    d = _frame(df).with_columns(_labelled("sector", SECTORS).alias("sector_label"))
    color = alt.Color("sector_label:N", title="Sector of the structure", legend=_legend())
    bars = (
        alt.Chart(d)
        .mark_bar()
        .encode(
            x=_year(),
            xOffset="sector_label:N",
            y=alt.Y("documents_withheld:Q", title="Documents withheld (identity not qualified)"),
            color=color,
            tooltip=[
                alt.Tooltip("year:O", title="Year"),
                alt.Tooltip("sector_label:N", title="Sector"),
                alt.Tooltip("documents_withheld:Q", title="Documents withheld", format=COUNT),
                alt.Tooltip("encounters_withheld:Q", title="Encounters concerned", format=COUNT),
            ],
        )
        .properties(title=_title("Documents withheld"))
    )
    lines = (
        alt.Chart(d)
        .mark_line(point=True)
        .encode(
            x=_year(),
            y=alt.Y(
                "share_withheld:Q",
                title="Share of the documents that would have been fed (%)",
                axis=alt.Axis(format=PCT),
            ),
            color=color,
            tooltip=[
                alt.Tooltip("year:O", title="Year"),
                alt.Tooltip("sector_label:N", title="Sector"),
                alt.Tooltip("share_withheld:Q", title="Share withheld", format=PCT_TIP),
            ],
        )
        .properties(title=_title("Share withheld"))
    )
    return alt.hconcat(bars, lines).properties(
        title=_title(
            "Care that never reached the DMP because the identity was not qualified",
            "A structure feeds the DMP only once it holds a qualified identity of the patient (INS référentiel)",
        )
    )
