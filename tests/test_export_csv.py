"""CSV export (one CSV per table + data dictionary) and the `dmpdata export` command's user-facing behaviour."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from dmpdata.cli import app
from dmpdata.dataset import sha256_of
from dmpdata.engine import SYNTHETIC_NOTICE
from dmpdata.export import export

runner = CliRunner()


@pytest.fixture(scope="module")
def csv_dir(tiny, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("csv") / "out"
    result = runner.invoke(app, ["export", str(tiny.path), "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "wrote" in result.stdout and "1,000 patients" in result.stdout
    return out


def test_one_csv_per_table_round_trips_exactly(csv_dir, tiny_frames):
    for table, frame in tiny_frames.items():
        back = pl.read_csv(csv_dir / f"{table}.csv", schema=frame.schema)
        assert back.equals(frame), table


def test_the_data_dictionary_describes_every_exported_column(csv_dir, tiny_frames):
    dictionary = pl.read_csv(csv_dir / "dictionary.csv")
    assert dictionary.columns == ["table", "column", "dtype", "nullable", "description", "codes"]
    described = set(zip(dictionary["table"], dictionary["column"], strict=True))
    exported = {(table, column) for table, frame in tiny_frames.items() for column in frame.columns}
    assert described == exported
    assert dictionary["description"].str.len_chars().min() > 10
    markdown = (csv_dir / "DATA_DICTIONARY.md").read_text(encoding="utf-8")
    assert "All data here is synthetic" in markdown and "## `access_events`" in markdown


def test_export_json_has_notice_source_counts_and_checksums(csv_dir, tiny):
    meta = json.loads((csv_dir / "export.json").read_text(encoding="utf-8"))
    assert meta["generator"] == "dmpdata" and meta["format"] == "csv" and meta["notice"] == SYNTHETIC_NOTICE
    assert meta["source"]["manifest_sha256"] == sha256_of(tiny.path / "manifest.json")
    assert meta["source"]["seed"] == 7 and meta["subset"] is None
    assert {e["path"] for e in meta["files"]} | {"export.json"} == {p.name for p in csv_dir.iterdir()}
    for entry in meta["files"]:
        assert sha256_of(csv_dir / entry["path"]) == entry["sha256"]
        if entry["path"].endswith(".csv") and entry["path"] != "dictionary.csv":
            assert entry["rows"] == tiny.row_counts[entry["path"].removesuffix(".csv")]


def test_same_dataset_gives_byte_identical_csv(csv_dir, tiny, tmp_path):
    again = export(tiny, tmp_path / "again", format="csv").path
    for path in csv_dir.iterdir():
        assert (again / path.name).read_bytes() == path.read_bytes(), path.name


# ------------------------------------------------------------------------------------------- CLI behaviour


def _error_line(result) -> str:
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines and lines[0].startswith("error:"), result.output
    return " ".join(lines)


def test_unknown_format_is_one_error_line_exit_2(tiny, tmp_path):
    result = runner.invoke(app, ["export", str(tiny.path), "--format", "xml", "--out", str(tmp_path / "x")])
    assert "unknown export format 'xml'" in _error_line(result)
    assert not (tmp_path / "x").exists()


def test_missing_dataset_is_one_error_line_exit_2(tmp_path):
    result = runner.invoke(app, ["export", str(tmp_path / "nope"), "--out", str(tmp_path / "x")])
    assert "is not a folder" in _error_line(result)
    (tmp_path / "half").mkdir()
    result = runner.invoke(app, ["export", str(tmp_path / "half"), "--out", str(tmp_path / "x")])
    assert "no manifest.json" in _error_line(result)


def test_refuses_to_overwrite_a_folder_that_is_not_an_export(tiny, tmp_path):
    user = tmp_path / "user"
    user.mkdir()
    (user / "notes.txt").write_text("mine")
    for force in ([], ["--force"]):
        result = runner.invoke(app, ["export", str(tiny.path), "--out", str(user), *force])
        assert "not a dmpdata export" in _error_line(result)
    assert [p.name for p in user.iterdir()] == ["notes.txt"] and (user / "notes.txt").read_text() == "mine"
    result = runner.invoke(app, ["export", str(tiny.path), "--out", str(tiny.path)])
    assert "dataset folder itself" in _error_line(result)


def test_refuses_a_previous_export_without_force_and_replaces_it_with_force(tiny, tmp_path):
    out = tmp_path / "out"
    first = runner.invoke(
        app, ["export", str(tiny.path), "--format", "csv", "--patients", "5", "--out", str(out)]
    )
    assert first.exit_code == 0, first.output
    before = (out / "patients.csv").read_bytes()
    result = runner.invoke(
        app, ["export", str(tiny.path), "--format", "fhir", "--patients", "3", "--out", str(out)]
    )
    assert "add --force" in _error_line(result)
    assert (out / "patients.csv").read_bytes() == before
    result = runner.invoke(
        app, ["export", str(tiny.path), "--format", "fhir", "--patients", "3", "--out", str(out), "--force"]
    )
    assert result.exit_code == 0, result.output
    assert not (out / "patients.csv").exists() and len((out / "Patient.ndjson").read_text().splitlines()) == 3
    assert json.loads((out / "export.json").read_text())["format"] == "fhir"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "temporary folders left behind"
    (out / "mine.txt").write_text("keep")
    result = runner.invoke(app, ["export", str(tiny.path), "--patients", "3", "--out", str(out), "--force"])
    assert "did not write (mine.txt)" in _error_line(result)
    assert (out / "mine.txt").read_text() == "keep"


def test_a_failed_export_leaves_nothing_behind(tiny, tmp_path):
    result = runner.invoke(
        app,
        [
            "export",
            str(tiny.path),
            "--department",
            "2B",
            "--condition",
            "C80",
            "--condition",
            "J44",
            "--condition",
            "I50",
            "--out",
            str(tmp_path / "x"),
        ],
    )
    assert "no patient" in _error_line(result)
    assert list(tmp_path.iterdir()) == []


def test_user_mistakes_print_no_traceback_from_the_real_command(tiny, tmp_path):
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    env.pop("DMPDATA_DEBUG", None)
    for args in (
        ["--format", "parquet"],
        ["--department", "100"],
        ["--condition", "Z99"],
        ["--patients", "-1"],
    ):
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "dmpdata.cli",
                "export",
                str(tiny.path),
                "--out",
                str(tmp_path / "x"),
                *args,
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        assert result.returncode == 2, (args, result.stderr)
        assert "Traceback" not in result.stderr + result.stdout
        assert result.stderr.lstrip().startswith("error:"), (args, result.stderr)
