"""Killing `generate` at any moment never leaves a folder taken for a complete dataset; a rerun gives the right one."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import dmpdata
from dmpdata.errors import DatasetError


def wait_for_part(proc: subprocess.Popen, work: Path, table: str, timeout: float = 120) -> bool:
    """Poll until a Parquet part of `table` appears in the hidden work folder next to `work`, or in `work` itself once
    the run renamed it there (True), or until the process ends or `timeout` seconds pass (False): the signal then
    lands at a known stage of the run."""

    def written() -> bool:
        return bool(list(work.parent.glob(f".{work.name}.partial-*/{table}/*.parquet"))) or any(
            work.glob(f"{table}/*.parquet")
        )

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if written():
            return True
        time.sleep(0.02)  # a poll interval, not a guess at how long the run takes
    return written()


# The stages a kill lands in: the shared tables written (every chunk still to come), the first chunk's patients
# written (its other tables still to come), its last table written (the manifest and the rename may or may not
# have followed: both outcomes are checked).
MIDWAY = {"professionals": True, "patients": True, "access_events": False}


@pytest.mark.parametrize("table", list(MIDWAY))
def test_sigkill_leaves_nothing_that_looks_complete(tmp_path, table):
    out = tmp_path / "ds"
    args = [
        sys.executable,
        "-m",
        "dmpdata.cli",
        "generate",
        "--scenario",
        "tiny",
        "--patients",
        "8000",
        "--seed",
        "3",
        "--out",
        str(out),
    ]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen = wait_for_part(proc, out, table)
    alive = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert seen, f"no {table} part appeared before the run ended (exit code {proc.returncode})"
    if MIDWAY[table]:
        assert alive and not out.exists(), f"the run was not caught mid-way at its {table} part"
    if out.exists():  # it finished before the kill: then it must be whole and valid
        assert dmpdata.open_dataset(out).validate().ok
    else:
        with pytest.raises(DatasetError):
            dmpdata.open_dataset(out)
        leftovers = [p for p in tmp_path.iterdir() if p.name != "ds"]
        assert all(
            p.name.startswith(".ds.partial-") for p in leftovers
        )  # only the hidden work folder remains
    # A rerun gives the complete dataset (same bytes as an uninterrupted run).
    again = dmpdata.generate("tiny", out=out, patients=8000, seed=3, force=out.exists())
    reference = dmpdata.generate("tiny", out=tmp_path / "reference", patients=8000, seed=3)
    assert (
        json.loads((again.path / "manifest.json").read_text())["tables"]
        == json.loads((reference.path / "manifest.json").read_text())["tables"]
    )


def test_ctrl_c_during_a_parallel_run_stops_every_worker_and_keeps_nothing(tmp_path):
    """Ctrl-C reaches the whole process group: one line from the parent, no worker traceback, no folder left."""
    import os

    scenario = tmp_path / "many-chunks.toml"
    # 100 chunks: seconds of work, so the signal lands mid-run even when a loaded machine polls late.
    scenario.write_text(
        'name = "many-chunks"\npatients = 100000\nseed = 3\nchunk_size = 1000\n', encoding="utf-8"
    )
    out = tmp_path / "ds"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dmpdata.cli",
            "generate",
            "--scenario",
            str(scenario),
            "--workers",
            "2",
            "--out",
            str(out),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".ds.partial-*/patients/part-*.parquet")) and time.monotonic() < deadline:
        time.sleep(0.1)  # wait until the workers are writing chunks
    started = list(tmp_path.glob(".ds.partial-*/patients/part-*.parquet"))
    alive = proc.poll() is None
    os.killpg(proc.pid, signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert started and alive, (
        f"the run was not caught mid-way (parts seen: {len(started)}, running: {alive}): {stderr}"
    )
    assert proc.returncode != 0, (stdout, stderr)
    assert "interrupted" in stderr and "Traceback" not in stderr + stdout
    assert not out.exists() and not list(tmp_path.glob(".ds*"))


def test_a_script_without_a_main_guard_gets_one_clear_error_and_leaves_nothing(tmp_path):
    """Worker processes re-import the main script: an unguarded top-level `generate` must not run again in each of
    them (nor leave their work folders behind); the parent says what to do."""
    script = tmp_path / "unguarded.py"
    out = tmp_path / "ds"
    script.write_text(
        "import dmpdata\n"
        "scenario = dmpdata.load_scenario('tiny').with_overrides(chunk_size=250)\n"
        f"dmpdata.generate(scenario, out={str(out)!r}, workers=2)\n"
        "print('generated')\n"
    )
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1
    assert "generated" not in proc.stdout
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("dmpdata.errors.DatasetError:") and 'if __name__ == "__main__":' in last
    assert (
        "BrokenProcessPool" not in proc.stderr and "RuntimeError" not in proc.stderr
    )  # the workers stay quiet
    assert sorted(p.name for p in tmp_path.iterdir()) == ["unguarded.py"]  # no dataset, no work folder

    # The same script with the guard runs.
    script.write_text(
        script.read_text()
        .replace("dmpdata.generate", "if __name__ == '__main__':\n    dmpdata.generate")
        .replace("print('generated')", "    print('generated')")
    )
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and "generated" in proc.stdout, proc.stderr
    assert dmpdata.open_dataset(out).validate().ok
