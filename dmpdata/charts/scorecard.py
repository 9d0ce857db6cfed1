"""The fidelity scorecard chart: each generated figure against the published one, with its tolerance."""

from __future__ import annotations

import altair as alt
import polars as pl

from dmpdata.charts._helpers import PCT, PCT_TIP, _frame, _label_axis, _legend, _title
from dmpdata.charts._theme import WIDTH


def fidelity(df: pl.DataFrame) -> alt.LayerChart:
    """Relative error of each generated figure against the published one, with its tolerance band."""
    d = (
        _frame(df)
        .with_columns(
            pl.when(pl.col("tolerance_kind") == "absolute")
            .then(pl.col("tolerance") / pl.col("published").abs())
            .otherwise(pl.col("tolerance"))
            .alias("tolerance_rel"),
            pl.when(pl.col("passed"))
            .then(pl.lit("within tolerance"))
            .otherwise(pl.lit("outside tolerance"))
            .alias("verdict"),
        )
        .with_columns((-pl.col("tolerance_rel")).alias("low"), pl.col("tolerance_rel").alias("high"))
    )
    order = d["target"].to_list()
    y = alt.Y("target:N", sort=order, title=None, axis=_label_axis())
    band = (
        alt.Chart(d)
        .mark_bar(color="#e8e8e8", height=12)
        .encode(
            y=y,
            x=alt.X("low:Q", title="Generated vs published (relative error)", axis=alt.Axis(format=PCT)),
            x2="high:Q",
        )
    )
    points = (
        alt.Chart(d)
        .mark_point(filled=True, size=70)
        .encode(
            y=y,
            x="relative_error:Q",
            color=alt.Color(
                "verdict:N",
                title=None,
                scale=alt.Scale(
                    domain=["within tolerance", "outside tolerance"], range=["#29a36a", "#c3423f"]
                ),
                legend=_legend(),
            ),
            tooltip=[
                alt.Tooltip("description:N", title="Figure"),
                alt.Tooltip("published:Q", title="Published", format=".4~g"),
                alt.Tooltip("generated:Q", title="Generated", format=".4~g"),
                alt.Tooltip("relative_error:Q", title="Relative error", format=PCT_TIP),
                alt.Tooltip("source:N", title="Source"),
            ],
        )
    )
    rule = alt.Chart(pl.DataFrame({"x": [0.0]})).mark_rule(color="#555").encode(x="x:Q")
    return (band + rule + points).properties(
        width=WIDTH,
        title=_title(
            "How close the dataset is to published French figures",
            "Grey band: tolerance (the published figure's, widened for the sample size); dot: this dataset",
        ),
    )
