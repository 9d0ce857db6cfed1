"""dmpdata's cache folder: what it can recompute, kept between runs (the report's Vega script, the records of
clean validations). Nothing in it is needed: a cache that cannot be read or written is skipped."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from dmpdata.atomic import atomic_file

__all__ = ["cache_dir", "read_cached", "write_cached"]


def cache_dir() -> Path:
    """Where dmpdata keeps what it can recompute: $DMPDATA_CACHE, else $XDG_CACHE_HOME/dmpdata, else ~/.cache/dmpdata."""
    if os.environ.get("DMPDATA_CACHE"):
        return Path(os.environ["DMPDATA_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dmpdata"


def read_cached(name: str) -> str | None:
    """The text of cache file `name` (a path relative to the cache folder), None when absent or unreadable."""
    try:
        return (cache_dir() / name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def write_cached(name: str, text: str) -> None:
    """Write cache file `name` whole or not at all (several processes may write it at once); skipped when the
    cache folder cannot be written."""
    path = cache_dir() / name
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_file(path) as tmp:
            tmp.write_text(text, encoding="utf-8")
