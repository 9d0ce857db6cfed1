"""Files dmpdata writes appear whole or not at all, leave no temporary file behind when writing fails, and have the
permissions a plain `open(path, "w")` or `mkdir` would give them (0o666 or 0o777 less the umask)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

import dmpdata
from dmpdata import report
from dmpdata.atomic import atomic_file, give_plain_mode, staging, umask
from dmpdata.export import export
from dmpdata.layout import MANIFEST


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(params=[0o022, 0o077], ids=["umask022", "umask077"])
def mask(request):
    """Run the test under this umask (restored after)."""
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def test_umask_is_read_without_changing_it(mask):
    assert umask() == mask
    assert umask() == mask  # still the same: reading it did not leave it changed


def test_give_plain_mode(tmp_path, mask):
    file, folder = tmp_path / "f", tmp_path / "d"
    file.write_text("x")
    folder.mkdir()
    for path in (file, folder):
        path.chmod(0o700)
        give_plain_mode(path)
    assert (_mode(file), _mode(folder)) == (0o666 & ~mask, 0o777 & ~mask)


def test_a_dataset_honours_the_umask(tmp_path, mask):
    ds = dmpdata.generate("tiny", out=tmp_path / "ds", patients=60, seed=3, workers=1)
    assert _mode(ds.path) == 0o777 & ~mask
    assert _mode(ds.path / MANIFEST) == 0o666 & ~mask
    part = ds.files("patients")[0]
    assert (_mode(part), _mode(part.parent)) == (0o666 & ~mask, 0o777 & ~mask)


def test_an_export_honours_the_umask(tiny, tmp_path, mask):
    result = export(tiny, tmp_path / "csv", format="csv", workers=1)
    assert _mode(result.path) == 0o777 & ~mask
    files = [p for p in result.path.rglob("*") if p.is_file()]
    assert files and {_mode(p) for p in files} == {0o666 & ~mask}


def test_the_report_honours_the_umask(tmp_path, mask, monkeypatch):
    monkeypatch.setattr(report, "build", lambda con, **kw: "<html><head></head><body>report</body></html>")
    path = report.write(None, tmp_path / "report.html")
    assert _mode(path) == 0o666 & ~mask
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_the_warehouse_honours_the_umask(tiny, tmp_path, mask):
    con = tiny.duckdb(tmp_path / "w.duckdb", validate=False, link=True)
    con.close()
    assert _mode(tmp_path / "w.duckdb") == 0o666 & ~mask
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.duckdb"]


def test_a_report_that_fails_to_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    """Rendering gives text that cannot be encoded (a lone surrogate): the write fails after the temporary file was
    created; it is removed, and the previous report stays as it was."""
    previous = tmp_path / "report.html"
    previous.write_text(f'<html><head><meta name="generator" content="{report.GENERATOR} 0"></head></html>')
    before = previous.read_bytes()
    monkeypatch.setattr(report, "build", lambda con, **kw: "<html>\udc80</html>")
    with pytest.raises(UnicodeEncodeError):
        report.write(None, previous)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]
    assert previous.read_bytes() == before


def test_an_atomic_file_is_removed_when_the_rename_fails(tmp_path, monkeypatch):
    def refuse(src, dst):
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="cross-device"), atomic_file(tmp_path / "out.txt") as tmp:
        tmp.write_text("complete")
    assert list(tmp_path.iterdir()) == []


def test_a_folder_that_cannot_be_renamed_into_place_leaves_the_previous_one(tmp_path, monkeypatch):
    """The previous folder is moved aside before the new one takes its name: when that rename fails, the previous
    folder is put back and neither the work folder nor the set-aside one remains."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("previous")
    real = Path.rename

    def rename(self, target):
        if self.name.startswith(".out.partial-"):
            raise OSError(18, "Invalid cross-device link")
        return real(self, target)

    monkeypatch.setattr(Path, "rename", rename)
    with pytest.raises(OSError, match="cross-device"), staging(out) as tmp:
        (tmp / "new.txt").write_text("new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert [p.name for p in out.iterdir()] == ["old.txt"] and (out / "old.txt").read_text() == "previous"
