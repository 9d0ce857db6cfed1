"""Shared pieces of the charts: frame preparation, axes, legends, titles, grouped bars, number formats."""

from __future__ import annotations

import altair as alt
import polars as pl
import polars.selectors as cs

from dmpdata.charts._theme import PALETTE, WIDTH

PCT = ".1~%"  # axis labels: 0%, 20%… or 0.5%, 1%, 1.5% for small shares
PCT_TIP = ".1%"
COUNT = ",d"


def _frame(df: pl.DataFrame) -> pl.DataFrame:
    """Altair serialises polars through narwhals; decimals (DuckDB HUGEINT sums) are not JSON: cast them.

    DuckDB ENUM columns arrive as polars Categorical/Enum: they are cast to plain strings too.
    """
    return df.with_columns(
        pl.col(pl.Decimal).cast(pl.Float64),
        (cs.categorical() | cs.enum()).cast(pl.String),
    )


def _title(text: str, subtitle: str | list[str] | None = None) -> alt.TitleParams:
    return alt.TitleParams(text=text, subtitle=subtitle or "")


def _year(field: str = "year", title: str = "Year") -> alt.X:
    return alt.X(f"{field}:O", title=title, axis=alt.Axis(labelAngle=0))


def _month(title: str = "Month") -> alt.X:
    return alt.X("month:T", timeUnit="yearmonth", title=title, axis=alt.Axis(format="%b %Y", labelAngle=0))


def _month_tip() -> alt.Tooltip:
    return alt.Tooltip("month:T", timeUnit="yearmonth", title="Month", format="%B %Y")


def _legend(**kwargs) -> alt.Legend:
    """A legend whose labels and title are not cut short (labels explain French terms, they are long)."""
    return alt.Legend(labelLimit=kwargs.pop("labelLimit", 420), titleLimit=420, **kwargs)


def _label_axis(label_limit: int = 300) -> alt.Axis:
    """Axis of long category labels (document types, pairs…): its title sits above the labels, not across them."""
    return alt.Axis(
        labelLimit=label_limit, titleAngle=0, titleAlign="right", titleBaseline="bottom", titleX=0, titleY=-6
    )


def _colors(n: int) -> alt.Scale | alt.UndefinedType:
    """The theme's palette, or a 20-colour scheme when there are more categories than palette colours."""
    return alt.Scale(scheme="tableau20") if n > len(PALETTE) else alt.Undefined


def _labelled(column: str, labels: dict[str, str]) -> pl.Expr:
    """Replace codes by readable labels (unknown codes stay as they are)."""
    return pl.col(column).replace(labels)


def _long(df: pl.DataFrame, keys: list[str], measures: list[tuple[str, str, str | None]]) -> pl.DataFrame:
    """Stack measure columns into rows: `measure` (label), `value` and `count` (the absolute figure, if any)."""
    parts = []
    for label, value, count in measures:
        parts.append(
            df.select(
                *keys,
                pl.lit(label, dtype=pl.String).alias("measure"),
                pl.col(value).cast(pl.Float64).alias("value"),
                (pl.col(count) if count else pl.lit(None)).cast(pl.Int64).alias("count"),
            )
        )
    return pl.concat(parts, how="vertical")


def _rank(column: str, order: list[str]) -> pl.Expr:
    """Position of each value in `order` (stacking order of areas)."""
    return pl.col(column).replace_strict(
        {v: i for i, v in enumerate(order)}, default=len(order), return_dtype=pl.Int64
    )


def _complete(df: pl.DataFrame, a: str, b: str, values: list[str]) -> pl.DataFrame:
    """Add the missing a × b combinations with zeros (stacked areas need every series at every x)."""
    grid = df.select(pl.col(a).unique()).join(df.select(pl.col(b).unique()), how="cross")
    return grid.join(df, on=[a, b], how="left").with_columns(pl.col(values).fill_null(0)).sort(a, b)


def _grouped_bars(
    long: pl.DataFrame,
    *,
    x: alt.X,
    x_tip: alt.Tooltip,
    measures: list[str],
    y_title: str,
    legend_title: str,
    title: alt.TitleParams,
    count_title: str = "Count",
    width: int | None = None,
) -> alt.Chart:
    """Bars side by side (one per measure) for each x value; `value` is a share shown as %."""
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=x,
            xOffset=alt.XOffset("measure:N", sort=measures),
            y=alt.Y("value:Q", title=y_title, axis=alt.Axis(format=PCT)),
            color=alt.Color("measure:N", sort=measures, title=legend_title, legend=_legend(columns=1)),
            tooltip=[
                x_tip,
                alt.Tooltip("measure:N", title=legend_title),
                alt.Tooltip("value:Q", title=y_title, format=PCT_TIP),
                alt.Tooltip("count:Q", title=count_title, format=COUNT),
            ],
        )
        .properties(title=title, width=width or WIDTH)
    )
