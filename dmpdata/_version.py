"""The package version, in one place: pyproject.toml reads it (hatch's version source) and every module imports it."""

__version__ = "0.1.0"
