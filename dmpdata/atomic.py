"""Folders written atomically: work in a hidden temporary folder beside the target, rename it into place once complete."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from dmpdata.errors import DatasetError

__all__ = ["check_target", "staging"]


@contextmanager
def staging(out: Path) -> Iterator[Path]:
    """Yield an empty folder `.NAME.partial-*` beside `out` (absolute path: workers may run elsewhere).

    When the block succeeds the folder replaces `out` (an older `out` is moved aside, then removed);
    when it fails or is interrupted the folder is removed: `out` is complete or untouched.
    """
    parent = out.parent if str(out.parent) else Path(".")
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=parent)).resolve()
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)  # mkdtemp makes it private; the result gets ordinary permissions
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


def check_target(out: Path, force: bool, *, what: str, own_files: Callable[[Path], set[str] | None]) -> None:
    """Refuse to write over anything but an absent or empty folder or, with `force`, a previous `what` holding
    nothing else. `own_files(out)` gives the files dmpdata wrote there, or None when `out` is not a `what`."""
    if out.exists() and not out.is_dir():
        raise DatasetError(f"{out} exists and is not a folder; choose another --out")
    if out.is_dir() and any(out.iterdir()):
        own = own_files(out)
        if own is None:
            raise DatasetError(
                f"{out} is not empty and is not a {what}; refusing to touch it (choose another --out)"
            )
        if not force:
            raise DatasetError(f"{out} already holds a {what}; add --force to replace it")
        foreign = sorted(
            p.relative_to(out).as_posix()
            for p in out.rglob("*")
            if p.is_file() and p.relative_to(out).as_posix() not in own
        )
        if foreign:
            names = ", ".join(foreign[:3]) + ("…" if len(foreign) > 3 else "")
            raise DatasetError(
                f"{out} holds files dmpdata did not write ({names}); move them away or choose another --out"
            )
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.exists():
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise DatasetError(f"cannot create {parent}: {err.strerror}") from None
    if not os.access(parent, os.W_OK):
        raise DatasetError(f"cannot write in {parent}: permission denied")
