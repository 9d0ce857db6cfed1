"""Killing `generate` at any moment never leaves a folder taken for a complete dataset; a rerun gives the right one."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

import dmpdata
from dmpdata.errors import DatasetError


@pytest.mark.parametrize("delay", [0.5, 2.0, 3.5])
def test_sigkill_leaves_nothing_that_looks_complete(tmp_path, delay):
    out = tmp_path / "ds"
    args = [sys.executable, "-m", "dmpdata.cli", "generate", "--scenario", "tiny", "--patients", "8000",
            "--seed", "3", "--out", str(out)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    if out.exists():  # it finished before the kill: then it must be whole and valid
        assert dmpdata.open_dataset(out).validate().ok
    else:
        with pytest.raises(DatasetError):
            dmpdata.open_dataset(out)
        leftovers = [p for p in tmp_path.iterdir() if p.name != "ds"]
        assert all(p.name.startswith(".ds.partial-") for p in leftovers)  # only the hidden work folder remains
    # A rerun gives the complete dataset (same bytes as an uninterrupted run).
    again = dmpdata.generate("tiny", out=out, patients=8000, seed=3, force=out.exists())
    reference = dmpdata.generate("tiny", out=tmp_path / "reference", patients=8000, seed=3)
    assert json.loads((again.path / "manifest.json").read_text())["tables"] == \
        json.loads((reference.path / "manifest.json").read_text())["tables"]


def test_ctrl_c_during_a_parallel_run_stops_every_worker_and_keeps_nothing(tmp_path):
    """Ctrl-C reaches the whole process group: one line from the parent, no worker traceback, no folder left."""
    import os

    scenario = tmp_path / "many-chunks.toml"
    scenario.write_text('name = "many-chunks"\npatients = 12000\nseed = 3\nchunk_size = 1000\n', encoding="utf-8")
    out = tmp_path / "ds"
    proc = subprocess.Popen(
        [sys.executable, "-m", "dmpdata.cli", "generate", "--scenario", str(scenario), "--workers", "2", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".ds.partial-*/patients/part-*.parquet")) and time.monotonic() < deadline:
        time.sleep(0.1)  # wait until the workers are writing chunks
    os.killpg(proc.pid, signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert "interrupted" in stderr and "Traceback" not in stderr + stdout
    assert not out.exists() and not list(tmp_path.glob(".ds*"))
