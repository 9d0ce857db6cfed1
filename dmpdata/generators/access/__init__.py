"""Access stage: the DMP's traces — submissions, patients' actions, professionals' consultations — with decisions."""

from __future__ import annotations

from dmpdata.generators.access.events import EVENT_COLUMNS
from dmpdata.generators.access.sessions import latest_at_or_before
from dmpdata.generators.access.stage import generate_access

__all__ = ["EVENT_COLUMNS", "generate_access", "latest_at_or_before"]
