"""dmpdata: synthetic data for France's Dossier Médical Partagé — generate, validate, query, export."""

from __future__ import annotations

from dmpdata._version import __version__
from dmpdata.dataset import Dataset, generate, open_dataset
from dmpdata.errors import DatasetError, DmpdataError, ScenarioError
from dmpdata.scenario import Scenario, load_scenario, preset_names

__all__ = [
    "Dataset",
    "DatasetError",
    "DmpdataError",
    "Scenario",
    "ScenarioError",
    "__version__",
    "generate",
    "load_scenario",
    "open_dataset",
    "preset_names",
]
