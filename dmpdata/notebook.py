"""Notebook setup: Altair charts that render in JupyterLab with no network, in the dmpdata theme."""

from __future__ import annotations

import importlib.util

import altair as alt

from dmpdata import charts

__all__ = ["setup"]


def setup() -> str:
    """Enable an offline Altair renderer and the dmpdata theme; return the renderer's name.

    Altair's default renderer loads vega-embed from a public CDN, so charts stay blank offline. With
    anywidget installed, charts are interactive widgets whose JavaScript is inlined ("jupyter", offline);
    otherwise they are static SVG drawn in the kernel by vl-convert ("svg").
    """
    charts.use_theme()
    if importlib.util.find_spec("anywidget") is not None:
        alt.renderers.enable("jupyter", offline=True)
        return "jupyter"
    alt.renderers.enable("svg")
    return "svg"
