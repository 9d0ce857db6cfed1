"""Altair charts: one function per analysis (registered by `@chart("<analysis>")` in the module of its section),
the fidelity scorecard's chart, and the dmpdata theme.

Importing this package changes no global Altair setting: the theme is registered, not enabled. The report applies
it while it serialises its charts; `dmpdata.notebook.setup()` and `use_theme()` enable it for a session.
"""

from __future__ import annotations

# The section modules register their charts as they are imported.
from dmpdata.charts import access_audit, adoption, chronic_follow_up, coordination  # noqa: F401
from dmpdata.charts._registry import CHARTS, chart
from dmpdata.charts._theme import THEME, themed, use_theme
from dmpdata.charts.scorecard import fidelity

# Every chart function is also an attribute of the package, under its analysis's name (charts.documents_per_month).
globals().update(CHARTS)

# The public names: the registry, the theme, the scorecard chart and one chart function per analysis.
__all__ = ["CHARTS", "THEME", "chart", "fidelity", "themed", "use_theme", *CHARTS]
