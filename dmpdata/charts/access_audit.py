"""Charts of the access audit analyses: emergency access, refusals, masking, patients reading the history."""

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
from dmpdata.charts._labels import DENIAL_REASONS
from dmpdata.charts._registry import chart
from dmpdata.charts._theme import PALETTE, WIDTH


@chart("emergency_access_rates")
def emergency_access_rates(df: pl.DataFrame) -> alt.Chart:
    """Grouped bars per year: emergency-mode consultation attempts (bris de glace, centre 15) and refusals."""
    d = _frame(df).with_columns(
        (pl.col("emergency_denied_opt_out") / pl.when(pl.col("attempts") > 0).then(pl.col("attempts"))).alias(
            "share_opt_out"
        )
    )
    measures = [
        (
            "Bris de glace (break-the-glass by a professional facing an emergency)",
            "share_bris_de_glace",
            "bris_de_glace",
        ),
        ("Centre 15 (SAMU emergency call centre)", "share_centre_15", "centre_15"),
        ("Emergency access refused (patient opted out)", "share_opt_out", "emergency_denied_opt_out"),
    ]
    return _grouped_bars(
        _long(d, ["year", "attempts"], measures),
        x=_year(),
        x_tip=alt.Tooltip("year:O", title="Year"),
        measures=[m[0] for m in measures],
        y_title="DMP consultation attempts of the year (%)",
        legend_title="Emergency mode",
        count_title="Attempts",
        title=_title(
            "Emergency access to the DMP: bris de glace and centre 15",
            "Emergency modes bypass the access matrix unless the patient opted out",
        ),
    )


@chart("denials_by_reason")
def denials_by_reason(df: pl.DataFrame) -> alt.Chart:
    """Stacked bars per year: refused consultation attempts as a share of all attempts, by reason."""
    d = _frame(df).with_columns(_labelled("reason", DENIAL_REASONS).alias("reason_label"))
    reasons = list(DENIAL_REASONS.values())
    reasons += [r for r in d["reason_label"].unique(maintain_order=True).to_list() if r not in reasons]
    return (
        alt.Chart(d)
        .mark_bar()
        .encode(
            x=_year(),
            y=alt.Y(
                "share_of_attempts:Q",
                title="Consultation attempts refused (%)",
                axis=alt.Axis(format=PCT),
                stack="zero",
            ),
            color=alt.Color(
                "reason_label:N", sort=reasons, title="Reason for the refusal", legend=_legend(columns=1)
            ),
            tooltip=[
                alt.Tooltip("year:O", title="Year"),
                alt.Tooltip("reason_label:N", title="Reason"),
                alt.Tooltip("denials:Q", title="Refused attempts", format=COUNT),
                alt.Tooltip(
                    "denials_on_assumed_cells:Q",
                    title="Of which on an assumed access-matrix cell",
                    format=COUNT,
                ),
                alt.Tooltip("attempts:Q", title="All attempts of the year", format=COUNT),
                alt.Tooltip("share_of_attempts:Q", title="Share of the attempts", format=PCT_TIP),
                alt.Tooltip("share_of_denials:Q", title="Share of the refusals", format=PCT_TIP),
            ],
        )
        .properties(
            width=WIDTH,
            title=_title(
                "Why professionals' consultations of the DMP are refused",
                "Height of a bar = share of the year's consultation attempts refused",
            ),
        )
    )


@chart("masked_documents")
def masked_documents(df: pl.DataFrame) -> alt.HConcatChart:
    """Ranked horizontal bars by document type: documents masked at least once; consultations the masking blocked."""
    d = (
        _frame(df)
        .with_columns(pl.coalesce(pl.col("type_label"), pl.col("type_code")).alias("type"))
        .sort(["ever_masked", "type"], descending=[True, False])
    )
    order = d["type"].to_list()
    y = alt.Y("type:N", sort=order, title="Document type", axis=_label_axis(260))
    tooltip = [
        alt.Tooltip("type:N", title="Document type"),
        alt.Tooltip("documents:Q", title="Documents in the DMP", format=COUNT),
        alt.Tooltip("ever_masked:Q", title="Masked at least once", format=COUNT),
        alt.Tooltip("masked_at_end:Q", title="Still masked at the end", format=COUNT),
        alt.Tooltip("share_ever_masked:Q", title="Share masked at least once", format=".2%"),
        alt.Tooltip("patients_masking:Q", title="Patients masking", format=COUNT),
        alt.Tooltip("denied_masked:Q", title="Consultations refused (masked)", format=COUNT),
    ]
    left = (
        alt.Chart(d)
        .mark_bar(color=PALETTE[4])
        .encode(
            y=y,
            x=alt.X("ever_masked:Q", title="Documents masked at least once", axis=alt.Axis(tickMinStep=1)),
            tooltip=tooltip,
        )
        .properties(title=_title("Documents patients masked"), width=260, height=alt.Step(20))
    )
    right = (
        alt.Chart(d)
        .mark_bar(color=PALETTE[1])
        .encode(
            y=alt.Y("type:N", sort=order, title=None, axis=alt.Axis(labels=False, ticks=False)),
            x=alt.X(
                "denied_masked:Q", title="Consultations refused because masked", axis=alt.Axis(tickMinStep=1)
            ),
            tooltip=tooltip,
        )
        .properties(title=_title("What masking blocked"), width=200, height=alt.Step(20))
    )
    return alt.hconcat(left, right).properties(
        title=_title(
            "Documents masked by patients (masqué aux professionnels de santé)",
            "A masked document is hidden from professionals other than its author and the médecin traitant",
        )
    )


@chart("patients_viewing_access_history")
def patients_viewing_access_history(df: pl.DataFrame) -> alt.Chart:
    """Grouped bars per year: activated patients who viewed their access history vs their documents."""
    d = _frame(df)
    measures = [
        (
            "Viewed their access history (who opened their DMP)",
            "share_viewing_history",
            "patients_viewing_history",
        ),
        (
            "Viewed at least one of their documents (for comparison)",
            "share_viewing_documents",
            "patients_viewing_documents",
        ),
    ]
    return _grouped_bars(
        _long(d, ["year", "activated_patients"], measures),
        x=_year(),
        x_tip=alt.Tooltip("year:O", title="Year"),
        measures=[m[0] for m in measures],
        y_title="Patients with an activated Mon espace santé (%)",
        legend_title="Patients who",
        count_title="Patients",
        title=_title(
            "Patients checking who accessed their DMP (historique des accès)",
            "Among patients who activated Mon espace santé, the patient's health space holding the DMP",
        ),
    )
