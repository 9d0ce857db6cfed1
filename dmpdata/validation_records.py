"""Records of clean validations: a verdict kept in dmpdata's cache, keyed by the manifest and the code that judged it.

A clean verdict holds for as long as the files, the manifest and the code that judged them are the same: the key is
made of the manifest (which carries every file's sha256) and of that code, so that loading a dataset just validated
checks its files' checksums instead of validating it again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from functools import cache
from importlib.metadata import version
from pathlib import Path

from dmpdata import reference
from dmpdata._version import __version__
from dmpdata.cache import read_cached, write_cached

__all__ = ["read_record", "remember"]

_RECORDS = "validated"


@cache
def _code_digest() -> str:
    """What a verdict depends on besides the data: dmpdata's version and validation code (validation and its pandera
    adapter, the schemas, the cross-table checks, the identifier checks), the reference tables (code sets) and the
    versions of pandera, polars and duckdb."""
    h = hashlib.sha256()
    for dist in ("pandera", "polars", "duckdb"):
        h.update(f"{dist}={version(dist)};".encode())
    h.update(f"dmpdata={__version__};reference={reference.digest()};".encode())
    here = Path(__file__).resolve().parent
    try:
        for source in [
            here / "validate.py",
            here / "_pandera.py",
            here / "keys.py",
            *sorted((here / "schemas").glob("*.py")),
            *sorted((here / "identifiers").glob("*.py")),
        ]:
            h.update(source.name.encode())
            h.update(source.read_bytes())
    except OSError:  # sources not readable (a frozen install): records from this process only
        h.update(uuid.uuid4().bytes)
    return h.hexdigest()


def _record_name(manifest: dict) -> str:
    payload = json.dumps({"manifest": manifest, "code": _code_digest()}, sort_keys=True, default=str)
    return f"{_RECORDS}/{hashlib.sha256(payload.encode()).hexdigest()}.json"


def remember(path: Path, manifest: dict, *, checks: int, rows: int) -> None:
    """Record that the dataset at `path`, as `manifest` describes it, passed `checks` checks over `rows` rows."""
    record = {
        "dataset": str(path.resolve()),
        "checks": checks,
        "rows": rows,
        "validated_at": dt.datetime.now().replace(microsecond=0).isoformat(),
    }
    write_cached(_record_name(manifest), json.dumps(record, indent=2) + "\n")


def read_record(manifest: dict) -> dict | None:
    """The record of a clean validation of the dataset `manifest` describes, by this code (None if there is none)."""
    return json.loads(read_cached(_record_name(manifest)) or "null")
