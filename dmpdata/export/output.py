"""Export folders: refuse to clobber user files, write under a temporary name, rename once complete."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from dmpdata.dataset import sha256_of
from dmpdata.errors import DatasetError

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


def check_output(out: Path, force: bool) -> None:
    """Only an absent or empty folder, or with force a previous dmpdata export holding nothing else, may be written."""
    if out.exists() and not out.is_dir():
        raise DatasetError(f"{out} exists and is not a folder; choose another --out")
    if out.is_dir() and any(out.iterdir()):
        meta = read_export_json(out)
        if meta is None:
            raise DatasetError(f"{out} is not empty and is not a dmpdata export; refusing to touch it (choose another --out)")
        if not force:
            raise DatasetError(f"{out} already holds a dmpdata export; add --force to replace it")
        own = {EXPORT_JSON} | {f.get("path") for f in meta.get("files", []) if isinstance(f, dict)}
        foreign = sorted(p.relative_to(out).as_posix() for p in out.rglob("*")
                         if p.is_file() and p.relative_to(out).as_posix() not in own)
        if foreign:
            names = ", ".join(foreign[:3]) + ("…" if len(foreign) > 3 else "")
            raise DatasetError(f"{out} holds files dmpdata did not write ({names}); move them away or choose another --out")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.exists():
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise DatasetError(f"cannot create {parent}: {err.strerror}") from None
    if not os.access(parent, os.W_OK):
        raise DatasetError(f"cannot write in {parent}: permission denied")


def file_entries(root: Path, counts: dict[str, int]) -> list[dict]:
    """Rows, bytes and sha256 of every written file (export.json's `files`), in name order."""
    return [{"path": name, "rows": counts[name], "bytes": (root / name).stat().st_size, "sha256": sha256_of(root / name)}
            for name in sorted(counts)]


@contextmanager
def staging(out: Path):
    """Yield a temporary folder beside `out`; on success it replaces `out` atomically, on failure it is removed."""
    parent = out.parent if str(out.parent) else Path(".")
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=parent))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)
    try:
        yield tmp
        old = None
        if out.exists():
            if any(out.iterdir()):
                old = out.with_name(f".{out.name}.old-{os.getpid()}")
                out.rename(old)
            else:
                out.rmdir()
        tmp.rename(out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
