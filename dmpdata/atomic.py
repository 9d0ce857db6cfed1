"""Files and folders written atomically: work under a hidden temporary name beside the target, rename it into place
once complete, remove it on failure; what appears has the permissions a plain write would give it."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from dmpdata.errors import DatasetError

__all__ = ["atomic_file", "check_target", "give_plain_mode", "staging", "umask"]


def umask() -> int:
    """The process's umask. Read from /proc where the system has it: setting the umask to read it back would, for
    that instant, let another thread create files writable by anyone."""
    with (
        contextlib.suppress(OSError, ValueError, StopIteration),
        open("/proc/self/status", encoding="ascii") as fh,
    ):
        return int(next(line for line in fh if line.startswith("Umask:")).split()[1], 8)
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def give_plain_mode(path: Path) -> None:
    """Give `path` the permissions a plain `open(path, "w")` or `mkdir` would have given it: 0o666 for a file, 0o777
    for a folder, less the umask. `tempfile` makes its files and folders private (0o600, 0o700); what dmpdata writes
    through them is an ordinary file for whoever reads it next."""
    path = Path(path)
    path.chmod((0o777 if path.is_dir() else 0o666) & ~umask())


@contextmanager
def atomic_file(path: Path) -> Iterator[Path]:
    """Yield the path of an empty temporary file beside `path` to write; when the block succeeds the file gets plain
    permissions and replaces `path`, when it fails or is interrupted the file is removed: `path` is whole or untouched.
    """
    path = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        give_plain_mode(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


@contextmanager
def staging(out: Path) -> Iterator[Path]:
    """Yield an empty folder `.NAME.partial-*` beside `out` (absolute path: workers may run elsewhere).

    When the block succeeds the folder replaces `out` (an older `out` is moved aside, then removed);
    when it fails or is interrupted the folder is removed: `out` is complete or untouched.
    """
    parent = out.parent if str(out.parent) else Path(".")
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=parent)).resolve()
    try:
        give_plain_mode(tmp)
        yield tmp
        _replace_folder(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _replace_folder(tmp: Path, out: Path) -> None:
    """Rename `tmp` to `out`; a non-empty `out` is moved aside first, and put back if the rename fails."""
    old = None
    if out.exists():
        if any(out.iterdir()):
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            out.rename(old)
        else:
            out.rmdir()
    try:
        tmp.rename(out)
    except BaseException:
        if old is not None:
            old.rename(out)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


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
