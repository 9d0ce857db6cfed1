"""The dmpdata Altair theme: registered on import, enabled only by whoever draws (report, notebook, caller)."""

from __future__ import annotations

import altair as alt

THEME = "dmpdata"
PALETTE = ["#00509d", "#e4572e", "#29a36a", "#f3a712", "#7d5ba6", "#4cb5c3", "#a8a8a8", "#c3423f"]
WIDTH, HEIGHT = 560, 260


# Registering adds a name to Altair's registry without changing the active theme: importing dmpdata leaves the
# caller's Altair settings alone.
@alt.theme.register(THEME, enable=False)
def _theme() -> alt.theme.ThemeConfig:
    return {
        "config": {
            "view": {"continuousWidth": WIDTH, "continuousHeight": HEIGHT, "stroke": None},
            "font": "DejaVu Sans, Helvetica, Arial, sans-serif",
            "range": {"category": PALETTE},
            "axis": {
                "labelFontSize": 11,
                "titleFontSize": 12,
                "titleFontWeight": "normal",
                "gridColor": "#e8e8e8",
            },
            "legend": {"labelFontSize": 11, "titleFontSize": 12, "orient": "bottom"},
            "title": {"fontSize": 14, "anchor": "start", "fontWeight": "bold"},
        }
    }


def use_theme() -> None:
    """Enable the dmpdata theme for every chart drawn from now on (what `dmpdata.notebook.setup()` does)."""
    alt.theme.enable(THEME)


def themed() -> alt.utils.plugin_registry.PluginEnabler:
    """The dmpdata theme for the charts serialised inside a `with themed():` block, the previous theme after it."""
    return alt.theme.enable(THEME)
