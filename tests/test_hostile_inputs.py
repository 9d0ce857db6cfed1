"""Hostile inputs (issue #9, part 3): every user mistake ends in one clear line and a non-zero exit, never a traceback.

The command line runs in a subprocess (`python -m dmpdata.cli`), as a user would run it, so that what reaches the
terminal is exactly what is checked: the exit code, no "Traceback", and a first stderr line starting with "error:".
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dmpdata.errors import ScenarioError
from dmpdata.scenario import load_scenario


def _run(*args, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    env.pop("DMPDATA_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "dmpdata.cli", *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd,
        env=env,
        timeout=300,
    )


def _assert_one_clear_error(result: subprocess.CompletedProcess, *needles: str) -> str:
    """Non-zero exit, no traceback, the first non-empty stderr line starts with `error:`; returns that line."""
    context = f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    assert result.returncode != 0, context
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, context
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines, context
    assert lines[0].startswith("error:"), context
    for needle in needles:
        assert needle in lines[0], f"{needle!r} not in the error line\n{context}"
    return lines[0]


# ----------------------------------------------------------------------------------------------- the cases
# Each case is one or more CLI runs. They are independent, so the module fixture below runs them all at once
# (each in its own folder) and the tests then check one case each: the suite stays fast on a 2-core machine.

SCENARIOS = {
    "malformed-toml": ('name = "x"\npatients = = 12\n', "malformed TOML"),
    "unknown-key": ('name = "x"\npatients = 100\npatient_count = 5\n', "patient_count"),
    "negative-patients": ('name = "x"\npatients = -3\n', "patients"),
    "zero-patients": ('name = "x"\npatients = 0\n', "patients"),
    "absurd-patients": ('name = "x"\npatients = 1_000_000_000_000\n', "patients"),
    "reversed-period": ('name = "x"\npatients = 100\nstart = 2025-06-30\nend = 2022-01-01\n', "start"),
    "period-outside-data": (
        'name = "x"\npatients = 100\nstart = 2019-01-01\nend = 2020-01-01\n',
        "2021-01-01",
    ),
    "not-utf8": (b'name = "\xff\xfe"\npatients = 10\n', "UTF-8"),
}
PATIENT_COUNTS = ["-3", "0", str(10**12)]
ANALYZE = {
    "unknown-question": (["no_such_question"], "no_such_question"),
    "non-numeric-param": (["diabetics_overdue", "-p", "months=abc"], "abc"),
    "unknown-param": (["diabetics_overdue", "-p", "bogus=1"], "bogus"),
    "param-without-value": (["diabetics_overdue", "-p", "months"], "name=value"),
}
NON_ASCII = "données é"


def _cases(root: Path, tiny, warehouse: Path) -> dict[str, Callable[[], object]]:
    """name -> a callable running the case's command(s) in `root / name` (set up here, before anything runs)."""
    cases: dict[str, Callable[[], object]] = {}

    def folder(name: str) -> Path:
        path = root / name
        path.mkdir()
        return path

    for name, (text, _) in SCENARIOS.items():
        here = folder(f"scenario-{name}")
        toml = here / "scenario.toml"
        toml.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        cases[f"scenario-{name}"] = partial(
            _run, "generate", "--scenario", toml, "--out", here / "out", cwd=here
        )
    for n in PATIENT_COUNTS:
        here = folder(f"patients{n}")
        cases[f"patients{n}"] = partial(_run, "generate", "--patients", n, "--out", here / "out", cwd=here)
    here = folder("unknown-scenario")
    cases["unknown-scenario"] = partial(
        _run, "generate", "--scenario", "atlantis", "--out", here / "out", cwd=here
    )
    here = folder("missing-scenario-file")
    cases["missing-scenario-file"] = partial(
        _run, "generate", "--scenario", here / "nowhere.toml", "--out", here / "out", cwd=here
    )

    here = folder("parent-is-a-file")
    (here / "afile").write_text("not a folder")
    cases["parent-is-a-file"] = partial(
        _run, "generate", "--patients", "50", "--out", here / "afile" / "out", cwd=here
    )
    here = folder("out-is-a-file")
    (here / "out").write_text("mine")
    cases["out-is-a-file"] = partial(_run, "generate", "--patients", "50", "--out", here / "out", cwd=here)
    for force in (False, True):
        here = folder(f"user-files-force-{force}")
        (here / "user" / "sub").mkdir(parents=True)
        (here / "user" / "notes.txt").write_text("mine")
        (here / "user" / "sub" / "data.csv").write_text("a,b\n1,2\n")
        cases[f"user-files-force-{force}"] = partial(
            _run,
            "generate",
            "--patients",
            "50",
            "--out",
            here / "user",
            *(["--force"] if force else []),
            cwd=here,
        )

    here = folder("user-file-in-a-dataset")

    def user_file_in_a_dataset_then_force(here: Path = here):  # bind now: `here` is reassigned below
        first = _run("generate", "--patients", "50", "--out", here / "ds", cwd=here)
        (here / "ds" / "notes.txt").write_text("mine")  # the user keeps a note next to the tables
        return [first, _run("generate", "--patients", "50", "--out", here / "ds", "--force", cwd=here)]

    cases["user-file-in-a-dataset"] = user_file_in_a_dataset_then_force

    here = folder("non-ascii")
    out = here / NON_ASCII / "ds"

    def non_ascii_then_force(here: Path = here, out: Path = out):  # bind now (see above)
        return [
            _run("generate", "--patients", "80", "--seed", "3", "--out", out, cwd=here),
            _run("validate", out, cwd=here),
            _run("generate", "--patients", "80", "--out", out, cwd=here),  # a dataset is there: needs --force
            _run("generate", "--patients", "60", "--seed", "4", "--out", out, "--force", cwd=here),
            _run("validate", out, cwd=here),
        ]

    cases["non-ascii"] = non_ascii_then_force

    here = folder("validate-not-a-folder")
    (here / "file.parquet").write_bytes(b"PAR1 not really")
    cases["validate-a-file"] = partial(_run, "validate", here / "file.parquet", cwd=here)

    for name, (args, _) in ANALYZE.items():
        here = folder(f"analyze-{name}")
        db = (
            here / "w.duckdb"
        )  # one copy of the warehouse per run: DuckDB locks a file against other processes
        shutil.copyfile(warehouse, db)
        cases[f"analyze-{name}"] = partial(_run, "analyze", tiny.path, *args, "--db", db, cwd=here)
    here = folder("analyze-not-a-dataset")
    (here / "empty").mkdir()
    cases["analyze-not-a-dataset"] = partial(_run, "analyze", here / "empty", "no_such_question", cwd=here)
    return cases


@pytest.fixture(scope="module")
def runs(tiny, tmp_path_factory):
    """Every case's result, name -> CompletedProcess (or a list of them), with the folder it ran in."""
    root = tmp_path_factory.mktemp("hostile")
    warehouse = root / "warehouse.duckdb"
    tiny.duckdb(
        warehouse
    ).close()  # built once here, outside the session's tiny folder (which stays untouched)
    cases = _cases(root, tiny, warehouse)
    # The long multi-step case first, so that the short ones fill the other workers meanwhile.
    order = sorted(cases, key=lambda name: name not in ("non-ascii", "user-file-in-a-dataset"))
    with ThreadPoolExecutor(max_workers=(os.cpu_count() or 2) + 1) as pool:
        futures = {name: pool.submit(cases[name]) for name in order}
        return root, {name: future.result() for name, future in futures.items()}


# ------------------------------------------------------------------------------------------- scenario files


@pytest.mark.parametrize("case", list(SCENARIOS))
def test_a_bad_scenario_file_is_one_error_line(runs, case):
    root, results = runs
    _assert_one_clear_error(results[f"scenario-{case}"], SCENARIOS[case][1])
    assert not (root / f"scenario-{case}" / "out").exists()


@pytest.mark.parametrize("patients", PATIENT_COUNTS)
def test_a_bad_patient_count_on_the_command_line(runs, patients):
    root, results = runs
    _assert_one_clear_error(results[f"patients{patients}"], "patients")
    assert not (root / f"patients{patients}" / "out").exists()


def test_an_unknown_scenario_name(runs):
    _assert_one_clear_error(runs[1]["unknown-scenario"], "atlantis")


def test_a_missing_scenario_file(runs):
    _assert_one_clear_error(runs[1]["missing-scenario-file"], "nowhere.toml")


# ----------------------------------------------------------------------------------------------- outputs


def test_an_output_that_cannot_be_created(runs):
    """The parent of --out is a file: no folder can be made there (this holds even for root, unlike chmod)."""
    root, results = runs
    _assert_one_clear_error(results["parent-is-a-file"])
    assert (root / "parent-is-a-file" / "afile").read_text() == "not a folder"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores directory permissions")
def test_an_output_under_a_read_only_folder(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        result = _run("generate", "--patients", "50", "--out", locked / "out", cwd=tmp_path)
        _assert_one_clear_error(result)
    finally:
        locked.chmod(0o755)


def test_an_output_that_is_a_file(runs):
    root, results = runs
    _assert_one_clear_error(results["out-is-a-file"], "not a folder")
    assert (root / "out-is-a-file" / "out").read_text() == "mine"


@pytest.mark.parametrize("force", [False, True], ids=["without-force", "with-force"])
def test_a_folder_holding_user_files_is_never_touched(runs, force):
    root, results = runs
    _assert_one_clear_error(results[f"user-files-force-{force}"], "not a dmpdata dataset")
    user = root / f"user-files-force-{force}" / "user"
    assert sorted(p.relative_to(user).as_posix() for p in user.rglob("*")) == [
        "notes.txt",
        "sub",
        "sub/data.csv",
    ]
    assert (user / "notes.txt").read_text() == "mine"
    assert (user / "sub" / "data.csv").read_text() == "a,b\n1,2\n"


def test_force_never_deletes_a_user_file_kept_inside_a_dataset(runs):
    root, results = runs
    first, forced = results["user-file-in-a-dataset"]
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in forced.stderr
    assert (root / "user-file-in-a-dataset" / "ds" / "notes.txt").is_file(), (
        f"--force exited {forced.returncode} and deleted notes.txt"
    )


def test_a_non_ascii_path_works_end_to_end_and_force_replaces_only_a_dataset(runs):
    root, results = runs
    first, checked, again, forced, rechecked = results["non-ascii"]
    assert first.returncode == 0, first.stderr
    assert checked.returncode == 0 and "valid" in checked.stdout, checked.stdout + checked.stderr
    _assert_one_clear_error(again, "--force")  # an existing dataset is only replaced on request
    assert forced.returncode == 0 and "60 patients" in forced.stdout, forced.stdout + forced.stderr
    assert rechecked.returncode == 0, rechecked.stdout + rechecked.stderr
    out = root / "non-ascii" / NON_ASCII / "ds"
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["scenario"]["patients"] == 60


# ------------------------------------------------------------------------------------- validate / analyze


def test_validate_of_something_that_is_not_a_folder(runs):
    result = runs[1]["validate-a-file"]
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "folder_exists" in result.stdout and "INVALID" in result.stdout  # the report names the problem


@pytest.mark.parametrize("case", list(ANALYZE))
def test_analyze_with_bad_arguments(runs, case):
    _assert_one_clear_error(runs[1][f"analyze-{case}"], ANALYZE[case][1])


def test_analyze_of_a_folder_that_is_not_a_dataset(runs):
    _assert_one_clear_error(runs[1]["analyze-not-a-dataset"], "manifest")


# -------------------------------------------------------------------------------------------- fuzzing

_KEYS = [
    "name",
    "description",
    "patients",
    "seed",
    "start",
    "end",
    "regions",
    "departments",
    "chunk_size",
    "prevalence_factor",
    "feeding_factor",
    "unknown",
]
_VALUES = [
    '"x"',
    "0",
    "-1",
    "1",
    "100",
    "1e3",
    "nan",
    "inf",
    "true",
    "2021-07-01",
    "1979-05-27T07:32:00Z",
    "07:32:00",
    '["11"]',
    '["zz"]',
    "[1, 2]",
    "{E11 = 0.5}",
    "{E11 = -1}",
    '{"11502-2" = 30}',
    "{ville = nan}",
    "{}",
    "[]",
    '""',
    "'''multi\nline'''",
    "9999999999999999999999",
]

_line = st.one_of(
    st.tuples(st.sampled_from(_KEYS), st.sampled_from(_VALUES)).map(lambda kv: f"{kv[0]} = {kv[1]}"),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=30),
    st.sampled_from(["[prevalence_factor]", "[feeding_factor]", "[table]", "[[x]]", "="]),
)
_toml_text = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=200),
    st.lists(_line, max_size=12).map("\n".join),
    st.lists(_line, max_size=8).map(lambda lines: 'name = "fuzz"\npatients = 10\n' + "\n".join(lines)),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_toml_text)
def test_load_scenario_on_any_text_only_ever_raises_scenario_error(text):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.toml"
        path.write_text(text, encoding="utf-8")
        try:
            scenario = load_scenario(path)
        except ScenarioError as err:
            message = str(err).strip()
            assert message and "\n" not in message, f"not one line: {message!r}"
        else:
            assert 1 <= scenario.patients <= 100_000_000
            assert scenario.start < scenario.end


def test_a_dataset_in_a_folder_named_with_glob_characters_works(tmp_path):
    """Polars and DuckDB expand `[x]`, `*` and `?` in a path as a pattern: every path dmpdata reads is taken as it
    is. (A dataset under `run[1]/` failed validation: "expanded paths were empty".)"""
    import dmpdata
    from dmpdata.schemas.access_rule import recompute_outcomes
    from dmpdata.validate import validate_path

    out = tmp_path / "run[1]" / "d?s"
    ds = dmpdata.generate("tiny", out=out, patients=150, seed=3)
    report = validate_path(out, workers=1)
    assert report.ok, report.to_frame()
    assert ds.table("patients").collect().height == 150
    assert recompute_outcomes(out).height > 0
    con = ds.duckdb(tmp_path / "w.duckdb")
    assert con.execute("SELECT count(*) FROM patients").fetchone()[0] == 150
    con.close()
    from dmpdata.export import export

    assert export(out, tmp_path / "csv[2]", format="csv").patients == 150
    assert export(out, tmp_path / "fhir[3]", format="fhir").patients == 150
