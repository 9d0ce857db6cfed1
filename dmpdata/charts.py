"""Altair charts: one function per analysis chart, one theme, axis titles a reader understands."""

from __future__ import annotations

import altair as alt
import polars as pl

__all__ = ["THEME", "use_theme"]

THEME = "dmpdata"
PALETTE = ["#00509d", "#e4572e", "#29a36a", "#f3a712", "#7d5ba6", "#4cb5c3", "#a8a8a8", "#c3423f"]
WIDTH, HEIGHT = 560, 260


@alt.theme.register(THEME, enable=True)
def _theme() -> alt.theme.ThemeConfig:
    return {
        "config": {
            "view": {"continuousWidth": WIDTH, "continuousHeight": HEIGHT, "stroke": None},
            "font": "DejaVu Sans, Helvetica, Arial, sans-serif",
            "range": {"category": PALETTE},
            "axis": {"labelFontSize": 11, "titleFontSize": 12, "titleFontWeight": "normal", "gridColor": "#e8e8e8"},
            "legend": {"labelFontSize": 11, "titleFontSize": 12, "orient": "bottom"},
            "title": {"fontSize": 14, "anchor": "start", "fontWeight": "bold"},
        }
    }


def use_theme() -> None:
    """Enable the dmpdata theme (done on import; call again if another theme was enabled since)."""
    alt.theme.enable(THEME)


def _frame(df: pl.DataFrame) -> pl.DataFrame:
    """Altair serialises polars through narwhals; decimals (DuckDB HUGEINT sums) are not JSON: cast them."""
    return df.with_columns(pl.col(pl.Decimal).cast(pl.Float64))
