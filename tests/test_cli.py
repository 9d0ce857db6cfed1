"""The command line: happy paths and one clear line for each user mistake."""

from __future__ import annotations

import shutil
import subprocess
import sys

import duckdb
from typer.testing import CliRunner

from dmpdata.cli import app

runner = CliRunner()


def test_generate_then_validate(tmp_path):
    out = tmp_path / "x"
    result = runner.invoke(
        app, ["generate", "--scenario", "tiny", "--seed", "7", "--out", str(out), "--patients", "200"]
    )
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output and "200 patients" in result.output
    result = runner.invoke(app, ["validate", str(out)])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output


def test_validate_exits_1_and_names_the_problem(tmp_path):
    out = tmp_path / "x"
    runner.invoke(app, ["generate", "--out", str(out), "--patients", "100"])
    (out / "manifest.json").unlink()
    result = runner.invoke(app, ["validate", str(out)])
    assert result.exit_code == 1
    assert "manifest_present" in result.output


def test_scenarios_lists_presets():
    result = runner.invoke(app, ["scenarios"])
    assert result.exit_code == 0
    for name in ("tiny", "demo", "hauts-de-france"):
        assert name in result.output


def _run(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "dmpdata.cli", *args], capture_output=True, text=True, cwd=cwd
    )


def test_user_mistakes_are_one_line_without_traceback(tmp_path):
    (tmp_path / "user").mkdir()
    (tmp_path / "user" / "notes.txt").write_text("mine")
    cases = [
        ("generate", "--scenario", "nope", "--out", str(tmp_path / "a")),
        ("generate", "--patients", "-3", "--out", str(tmp_path / "b")),
        ("generate", "--out", str(tmp_path / "user")),
        ("validate", str(tmp_path / "missing")),
    ]
    for args in cases:
        result = _run(*args)
        assert result.returncode != 0, args
        assert "Traceback" not in result.stderr, args
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert (lines and lines[0].startswith("error:")) or result.stdout, (
            args,
            result.stderr,
            result.stdout,
        )
    assert (tmp_path / "user" / "notes.txt").read_text() == "mine"


def test_report_never_overwrites_a_file_it_did_not_write_without_force(tiny, tmp_path):
    """`report --out` replaces a previous dmpdata report, refuses anything else (one line, nothing loaded, file
    intact) unless --force, and refuses a folder."""
    db = str(tmp_path / "w.duckdb")
    mine = tmp_path / "notes.html"
    mine.write_text("<html>my own notes</html>")
    result = _run("report", str(tiny.path), "--db", db, "--out", str(mine))
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "exists and is not a dmpdata report; not overwriting it (add --force" in result.stderr
    assert mine.read_text() == "<html>my own notes</html>"
    assert not (tmp_path / "w.duckdb").exists(), "the refusal comes before any work"

    result = runner.invoke(app, ["report", str(tiny.path), "--db", db, "--out", str(mine), "--force"])
    assert result.exit_code == 0, result.output
    assert '<meta name="generator" content="dmpdata ' in mine.read_text(encoding="utf-8")[:300]
    result = runner.invoke(app, ["report", str(tiny.path), "--db", db, "--out", str(mine)])
    assert result.exit_code == 0, result.output  # its own report: replaced without --force

    result = _run("report", str(tiny.path), "--db", db, "--out", str(tmp_path))
    assert result.returncode != 0 and "is a folder" in result.stderr and "Traceback" not in result.stderr


def test_only_dmpdata_reports_count_as_reports(tmp_path):
    from dmpdata.report import is_report

    page = tmp_path / "page.html"
    for text, expected in [
        ('<html><head><meta charset="utf-8"><meta name="generator" content="dmpdata 0.1.0">', True),
        (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>dmpdata report</title>',
            True,
        ),  # older
        ("<html><head><title>dmpdata notes</title></head>", False),  # a user's page about dmpdata
        ("<html>mine</html>", False),
    ]:
        page.write_text(text)
        assert is_report(page) is expected, text
    assert is_report(tmp_path / "absent.html") is False


def test_messages_keep_their_square_brackets(tmp_path):
    """rich reads `[...]` as markup: a message or path with brackets must print as it is, not lose them."""
    scenario = tmp_path / "s.toml"
    scenario.write_text('name = "s"\npatients = 100\nfeeding_factor = -2\n')
    result = _run("generate", "--scenario", str(scenario), "--out", str(tmp_path / "a"))
    assert result.returncode != 0
    assert "(e.g. [feeding_factor] ville = 2.0)" in result.stderr, result.stderr
    out = tmp_path / "[bold]run"
    result = _run("generate", "--patients", "100", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "[bold]run" in result.stdout.replace("\n", ""), result.stdout  # (rich may fold a long line)


def test_load_copies_or_links_and_keeps_the_kind_it_finds(tiny, tmp_path):
    db = str(tmp_path / "w.duckdb")
    linked = runner.invoke(app, ["load", str(tiny.path), "--db", db, "--link"])
    assert linked.exit_code == 0, linked.output
    assert "4 event tables as views over the Parquet parts" in " ".join(linked.output.split())
    again = runner.invoke(app, ["load", str(tiny.path), "--db", db])  # no flag: the linked warehouse is kept
    assert again.exit_code == 0 and "views over the Parquet parts" in " ".join(again.output.split())
    copied = runner.invoke(app, ["load", str(tiny.path), "--db", db, "--copy"])
    assert copied.exit_code == 0 and "views" not in copied.output, copied.output
    with duckdb.connect(db, read_only=True) as con:
        assert con.execute("SELECT linked FROM dmpdata_meta").fetchall() == [(False,)]


def test_a_bad_pathway_file_is_one_error_line_without_traceback(tmp_path):
    """A pathway file that breaks the schema is a user mistake (PathwayError, a DmpdataError): exactly one `error:`
    line naming the file, no traceback, a non-zero exit, whether the command meets it while importing the schemas
    (validate) or while starting to generate (nothing is written then)."""
    from dmpdata.pathways import pathways_dir

    folder = tmp_path / "pathways"
    folder.mkdir()
    for path in pathways_dir().glob("*.toml"):
        shutil.copy(path, folder)
    (folder / "broken.toml").write_text('name = "broken"\ndescription = "no activity"\n', encoding="utf-8")
    # The command line with the pathway files read from `folder` (first argument) instead of dmpdata's own.
    script = (
        "import sys; from pathlib import Path; import dmpdata.pathways as p; folder = Path(sys.argv.pop(1)); "
        "p.pathways_dir = lambda: folder; from dmpdata.cli import main; main()"
    )
    for args in (
        ("generate", "--patients", "50", "--out", str(tmp_path / "out")),
        ("validate", str(tmp_path / "missing")),
    ):
        result = subprocess.run(
            [sys.executable, "-c", script, str(folder), *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
        )
        context = (args, result.returncode, result.stdout, result.stderr)
        assert result.returncode == 2, context
        assert "Traceback" not in result.stderr + result.stdout, context
        errors = [line for line in result.stderr.splitlines() if "error:" in line]
        assert errors == ["error: broken: no activities"], context
    assert not (tmp_path / "out").exists()


def test_every_user_facing_error_is_a_dmpdata_error():
    from dmpdata.dictionary import DictionaryError
    from dmpdata.errors import DatasetError, DmpdataError, ScenarioError
    from dmpdata.export import SubsetError
    from dmpdata.pathways import PathwayError

    for error in (DatasetError, ScenarioError, SubsetError, PathwayError, DictionaryError):
        assert issubclass(error, DmpdataError), error
    assert issubclass(PathwayError, ValueError) and issubclass(DictionaryError, ValueError)  # as before
