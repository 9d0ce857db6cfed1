"""The chart registry: one chart function per analysis, registered under the analysis's name."""

from __future__ import annotations

from collections.abc import Callable

import altair as alt
import polars as pl

ChartFunction = Callable[[pl.DataFrame], alt.TopLevelMixin]

# analysis name → chart function, filled by the @chart decorators of the section modules as they are imported.
CHARTS: dict[str, ChartFunction] = {}


def chart(name: str) -> Callable[[ChartFunction], ChartFunction]:
    """Register the decorated function as the chart of analysis `name` (its frame in, an Altair chart out)."""

    def register(fn: ChartFunction) -> ChartFunction:
        if name in CHARTS:
            raise ValueError(
                f"two charts for analysis {name!r}: {CHARTS[name].__module__} and {fn.__module__}"
            )
        CHARTS[name] = fn
        return fn

    return register
