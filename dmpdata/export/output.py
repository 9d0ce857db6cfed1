"""Export folders: refuse to clobber user files, write under a temporary name, rename once complete."""

from __future__ import annotations

import json
from pathlib import Path

from dmpdata.atomic import check_target, staging
from dmpdata.layout import sha256_of

__all__ = ["EXPORT_JSON", "check_output", "file_entries", "read_export_json", "staging"]

EXPORT_JSON = "export.json"


def read_export_json(path: Path) -> dict | None:
    """export.json of a previous dmpdata export in `path`, or None."""
    try:
        meta = json.loads((path / EXPORT_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    ok = isinstance(meta, dict) and meta.get("generator") == "dmpdata" and "format" in meta
    return meta if ok else None


def _own_files(out: Path) -> set[str] | None:
    meta = read_export_json(out)
    if meta is None:
        return None
    return {EXPORT_JSON} | {f.get("path") for f in meta.get("files", []) if isinstance(f, dict)}


def check_output(out: Path, force: bool) -> None:
    """Only an absent or empty folder, or with force a previous dmpdata export holding nothing else, may be written."""
    check_target(out, force, what="dmpdata export", own_files=_own_files)


def file_entries(root: Path, counts: dict[str, int]) -> list[dict]:
    """Rows, bytes and sha256 of every written file (export.json's `files`), in name order."""
    return [
        {
            "path": name,
            "rows": counts[name],
            "bytes": (root / name).stat().st_size,
            "sha256": sha256_of(root / name),
        }
        for name in sorted(counts)
    ]
