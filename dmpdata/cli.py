"""Command line: thin Typer commands over the Python API (generate, validate, scenarios, demo)."""

# Commands import the heavy parts they run (pandera, DuckDB, generators) when run, for a fast start; no cycle hides.

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from dmpdata.dataset import generate as generate_api
from dmpdata.dataset import open_dataset
from dmpdata.errors import DatasetError, DmpdataError
from dmpdata.layout import MANIFEST, REPORT, WAREHOUSE
from dmpdata.scenario import load_scenario, preset_names, presets_dir

app = typer.Typer(
    name="dmpdata",
    help="Synthetic data for France's Dossier Médical Partagé (DMP): generate, validate, query, export.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# No console markup: messages, paths and data print as they are ("[x]" included); colour comes from `_styled`.
out_console = Console(markup=False)
err_console = Console(stderr=True, markup=False)
PASS, FAIL = Text("pass", style="green"), Text("FAIL", style="bold red")


def _styled(label: str, style: str, rest: str) -> Text:
    """`label` in `style`, then `rest` as it is."""
    return Text.assemble((label, style), " ", rest)


DEMO_DIR = Path("datasets/demo")


def fail(message: str, code: int = 2) -> None:
    """One readable line on stderr and a non-zero exit: how every user mistake ends."""
    err_console.print(_styled("error:", "bold red", message), soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def user_errors():
    try:
        yield
    except DmpdataError as err:
        fail(str(err))
    except KeyboardInterrupt:
        fail("interrupted; nothing was written", 130)
    except OSError as err:
        fail(f"{err.filename or ''}: {err.strerror or err}".lstrip(": "))


@contextmanager
def progress_bar(enabled: bool = True):
    if not enabled or not err_console.is_terminal:
        yield None
        return
    with Progress(
        TextColumn("{task.description:<12}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        tasks: dict[str, int] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield report


ScenarioOpt = Annotated[
    str,
    typer.Option("--scenario", "-s", help="Preset name (see `dmpdata scenarios`) or path of a .toml file."),
]
OutOpt = Annotated[
    Path,
    typer.Option(
        "--out",
        "-o",
        help="Folder to write the dataset into (must be new, empty, or a dataset with --force).",
    ),
]


@app.command()
def generate(
    scenario: ScenarioOpt = "tiny",
    out: OutOpt = Path("datasets/tiny"),
    patients: Annotated[int | None, typer.Option(help="Override the scenario's number of patients.")] = None,
    seed: Annotated[int | None, typer.Option(help="Override the scenario's random seed.")] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing dmpdata dataset in --out.")
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Processes running patient chunks (default: every core). Same bytes for any number."
        ),
    ] = None,
    engine: Annotated[
        str, typer.Option(help="local (processes on this machine) or dask (a dask.distributed cluster).")
    ] = "local",
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="With --engine dask: the scheduler address (tcp://host:8786); default: a local cluster."
        ),
    ] = None,
) -> None:
    """Generate a synthetic dataset (Parquet per table + manifest.json), written atomically."""
    started = time.perf_counter()
    with user_errors(), progress_bar() as report:
        ds = generate_api(
            scenario,
            out=out,
            patients=patients,
            seed=seed,
            force=force,
            progress=report,
            workers=workers,
            engine=engine,
            scheduler=scheduler,
        )
    rows = ", ".join(f"{n:,} {t}" for t, n in ds.row_counts.items())
    out_console.print(f"wrote {ds.path} in {time.perf_counter() - started:.1f} s: {rows}", highlight=False)


def _print_report(report) -> None:
    if report.ok:
        out_console.print(_styled("✔", "green", report.summary()))
        return
    table = Table(title=report.summary(), title_justify="left")
    for col in ("table", "check", "column", "failing", "examples"):
        table.add_column(col, overflow="fold")
    for f in report.findings:
        table.add_row(f.table, f.check, f.column or "", f"{f.failing:,}", "\n".join(f.examples))
    out_console.print(table)


@app.command()
def validate(
    path: Annotated[Path, typer.Argument(help="Dataset folder written by `dmpdata generate`.")],
    workers: Annotated[
        int | None, typer.Option(help="Processes checking chunks (default: every core).")
    ] = None,
) -> None:
    """Validate a dataset: checksums, one Pandera schema per table, cross-table checks. Exit 1 if anything fails."""
    from dmpdata.validate import validate_path

    with user_errors(), progress_bar() as bar:
        report = validate_path(path, workers=workers, progress=bar)
    _print_report(report)
    if not report.ok:
        raise typer.Exit(1)


DbOpt = Annotated[
    Path | None,
    typer.Option("--db", help="DuckDB file (default: warehouse.duckdb inside the dataset folder)."),
]


def _db_path(path: Path, db: Path | None) -> Path:
    return db if db is not None else path / WAREHOUSE


def _connect(path: Path, db: Path | None, *, validate: bool = True, link: bool | None = None):
    """Open the dataset's warehouse, building it if needed; an invalid dataset prints its report and exits 1."""
    from dmpdata.warehouse import connect

    ds = open_dataset(path)
    try:
        return ds, connect(ds, _db_path(path, db), validate=validate, link=link)
    except DatasetError as err:
        report = getattr(err, "report", None)
        if report is None or report.ok:
            raise
        _print_report(report)
        err_console.print(_styled("error:", "bold red", f"{path} is not a valid dataset; not loading it"))
        raise typer.Exit(1) from None


@app.command()
def load(
    path: Annotated[Path, typer.Argument(help="Dataset folder.")],
    db: DbOpt = None,
    link: Annotated[
        bool | None,
        typer.Option(
            "--link/--copy",
            help="--link: the four event tables become views over the dataset's Parquet parts (a small file, built in "
            "about half the time; it needs the dataset folder in place). --copy: copy every table (a self-contained "
            "file). Default: the kind of the existing warehouse, else --copy.",
        ),
    ] = None,
) -> None:
    """Load a valid dataset into DuckDB (typed tables, keys, reference tables, analysis views, derived tables)."""
    from dmpdata.warehouse import LINKED_TABLES, META_TABLE

    started = time.perf_counter()
    with user_errors():
        _, con = _connect(path, db, link=link)
        tables = con.sql("SELECT count(*) FROM duckdb_tables() WHERE NOT internal").fetchall()[0][0]
        linked = con.sql(f"SELECT linked FROM {META_TABLE}").fetchall()[0][0]
        con.close()
    how = (
        f"{tables} tables, and {len(LINKED_TABLES)} event tables as views over the Parquet parts"
        if linked
        else f"{tables} tables"
    )
    out_console.print(
        f"loaded {path} into {_db_path(path, db)} ({how}) in {time.perf_counter() - started:.1f} s",
        highlight=False,
    )


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


@app.command()
def analyze(
    path: Annotated[Path, typer.Argument(help="Dataset folder.")],
    question: Annotated[str | None, typer.Argument(help="Question to run (omit to list them).")] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="Parameter as name=value (repeatable).")
    ] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")] = OutputFormat.table,
    db: DbOpt = None,
) -> None:
    """List the analyses, or run one and print its result (table, csv or json)."""
    from dmpdata import analyses

    with user_errors():
        if question is None:
            table = Table(title="Analyses (dmpdata analyze DIR QUESTION)", title_justify="left")
            table.add_column("question name", no_wrap=True)
            for col in ("section", "question", "parameters"):
                table.add_column(col, overflow="fold")
            for q in analyses.questions():
                params = ", ".join(f"{k} ({t}, default {d})" for k, (t, d) in q.params.items()) or "—"
                table.add_row(q.name, q.section, q.question, params)
            out_console.print(table)
            return
        values = {}
        for item in param or []:
            name, sep, value = item.partition("=")
            if not sep or not name:
                fail(f"--param takes name=value, got {item!r}")
            values[name.strip()] = value
        _, con = _connect(path, db)
        df = analyses.run(con, question, **values)
    if fmt is OutputFormat.csv:
        sys.stdout.write(df.write_csv())
    elif fmt is OutputFormat.json:
        sys.stdout.write(df.write_json() + "\n")
    else:
        with pl.Config(tbl_rows=40, tbl_cols=-1, tbl_width_chars=220, fmt_str_lengths=40):
            sys.stdout.write(f"{df!s}\n")


@app.command()
def report(
    path: Annotated[Path, typer.Argument(help="Dataset folder.")],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="HTML file (default: report.html in the dataset folder)."),
    ] = None,
    db: DbOpt = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace --out even when it is not a dmpdata report.")
    ] = False,
) -> None:
    """Write one self-contained HTML report (headline figures, every analysis's chart and table), readable offline."""
    from dmpdata import report as report_module

    started = time.perf_counter()
    target = out or path / REPORT
    with user_errors():
        report_module.check_target(target, force)  # before loading anything
        ds, con = _connect(path, db)
        report_module.write(con, target, force=force, title="dmpdata report", dataset_label=_label(ds))
    out_console.print(f"wrote {target} in {time.perf_counter() - started:.1f} s", highlight=False)


@app.command()
def fidelity(
    path: Annotated[Path, typer.Argument(help="Dataset folder.")],
    db: DbOpt = None,
) -> None:
    """Compare the dataset with published French figures (datasets/calibration/targets.csv) and run the
    structural diagnostics. Exit 1 when a target or a diagnostic fails."""
    from dmpdata import fidelity as fidelity_module

    with user_errors():
        _, con = _connect(path, db)
        card = fidelity_module.scorecard(con)
        diagnostics = fidelity_module.structural(con)
    table = Table(title=f"Fidelity of {path} against published figures", title_justify="left")
    table.add_column("target", no_wrap=True)
    for col in ("published", "generated", "rel. error", "tolerance", ""):
        table.add_column(col, justify="right")
    for row in card.iter_rows(named=True):
        # Absolute tolerances are on shares: shown in percentage points; relative ones as a percentage.
        tolerance = (
            f"±{row['tolerance'] * 100:.1f} pts"
            if row["tolerance_kind"] == "absolute"
            else f"±{row['tolerance']:.0%} rel."
        )
        table.add_row(
            row["target"],
            f"{row['published']:.4g}",
            f"{row['generated']:.4g}",
            f"{row['relative_error']:+.1%}",
            tolerance,
            PASS if row["passed"] else FAIL,
        )
    out_console.print(table)
    summary = diagnostics.group_by("category", maintain_order=True).agg(
        pl.len().alias("checks"), pl.col("score").min().alias("worst"), pl.col("passed").all().alias("passed")
    )
    table = Table(
        title="Structural diagnostics (share of rows that adhere; 100 % expected)", title_justify="left"
    )
    for col in ("category", "checks", "worst score", ""):
        table.add_column(col)
    for row in summary.iter_rows(named=True):
        table.add_row(
            row["category"], str(row["checks"]), f"{row['worst']:.2%}", PASS if row["passed"] else FAIL
        )
    out_console.print(table)
    failed = int((~card["passed"]).sum()) + int((~diagnostics["passed"]).sum())
    out_console.print(
        f"{card['passed'].sum()} of {card.height} targets pass; "
        f"{diagnostics['passed'].sum()} of {diagnostics.height} diagnostics pass",
        highlight=False,
    )
    if failed:
        raise typer.Exit(1)


def _label(ds) -> str:
    s = ds.manifest["scenario"]
    return (
        f"scenario {s['name']} · {s['patients']:,} patients · {s['start']} to {s['end']} · seed {s['seed']}"
    )


@app.command()
def scenarios() -> None:
    """List the preset scenarios."""
    table = Table(title=f"Presets in {presets_dir()}", title_justify="left")
    table.add_column("name", no_wrap=True)
    for col in ("patients", "area", "period", "seed", "description"):
        table.add_column(col, overflow="fold")
    with user_errors():
        for name in preset_names():
            s = load_scenario(name)
            area = (
                ", ".join([*(f"region {r}" for r in s.regions), *(f"dept {d}" for d in s.departments)])
                or "France"
            )
            table.add_row(s.name, f"{s.patients:,}", area, f"{s.start} → {s.end}", str(s.seed), s.description)
    out_console.print(table)


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Where the demo dataset lives.")] = DEMO_DIR,
    force: Annotated[
        bool, typer.Option("--force", help="Regenerate even if a valid demo dataset exists.")
    ] = False,
) -> None:
    """Generate (or reuse) the `demo` scenario, validate it, load it into DuckDB, write the HTML report, summarise."""
    from dmpdata.engine import is_dmpdata_dataset
    from dmpdata.validate import validate_path, validated_before

    started = time.perf_counter()
    with user_errors():
        reuse = (
            is_dmpdata_dataset(out) and not force and open_dataset(out).manifest["scenario"]["name"] == "demo"
        )
        if reuse:
            record = validated_before(out)
            if record is not None:
                out_console.print(
                    f"reusing the demo dataset in {out}: validated clean on {record.get('validated_at')} "
                    f"({record.get('checks')} checks), files unchanged since (sha256)",
                    highlight=False,
                )
            else:
                report = validate_path(out)
                reuse = report.ok
                if reuse:
                    out_console.print(f"reusing the valid demo dataset in {out}", highlight=False)
                    _print_report(report)
        if not reuse:
            with progress_bar() as bar:
                generate_api("demo", out=out, force=is_dmpdata_dataset(out), progress=bar)
        # Loading validates the dataset when it (re)builds the warehouse: an invalid dataset stops here.
        ds, con = _connect(out, None)
        if not reuse:
            out_console.print(_styled("✔", "green", f"{out}: valid (checked while loading into DuckDB)"))
        from dmpdata import report as report_module

        html_path = report_module.write(
            con, out / REPORT, title="dmpdata demo report", dataset_label=_label(ds)
        )
        _summary(ds, con)
        con.close()
    out_console.print(
        f"dataset  {out}/  (Parquet per table + {MANIFEST})\n"
        f"duckdb   {_db_path(out, None)}  (uv run dmpdata analyze {out} to list the questions)\n"
        f"report   {html_path}  (open it in a browser; works offline)\n"
        f"notebooks: uv run jupyter lab notebooks/\n"
        f"done in {time.perf_counter() - started:.1f} s",
        highlight=False,
    )


def _summary(ds, con) -> None:
    """Print the demo's summary: rows per table, then the headline figures (dmpdata.headlines)."""
    from dmpdata.headlines import summary

    table = Table(
        title=f"{ds.path} — synthetic data, scenario {ds.manifest['scenario']['name']!r}",
        title_justify="left",
    )
    table.add_column("figure")
    table.add_column("value", justify="right")
    for name, n in ds.row_counts.items():
        table.add_row(f"rows in {name}", f"{n:,}")
    for label, value in summary(con):
        table.add_row(label, value)
    out_console.print(table)


@app.command("export")
def export_command(
    path: Annotated[Path, typer.Argument(help="Dataset folder written by `dmpdata generate`.")],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Folder to write the export into (new, empty, or a previous export with --force).",
        ),
    ],
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="fhir (FHIR R4 Bulk Data NDJSON, one file per resource type) or csv (one CSV per table + data dictionary).",
        ),
    ] = "fhir",
    department: Annotated[
        list[str] | None,
        typer.Option(
            "--department", help="Keep patients living in this INSEE department (repeatable: any of them)."
        ),
    ] = None,
    condition: Annotated[
        list[str] | None,
        typer.Option(
            "--condition",
            help="Keep patients with this condition: a CIM-10 code (E11), a pathology (heart_failure) or a group (cancer) (repeatable: all of them).",
        ),
    ] = None,
    patients: Annotated[
        int | None,
        typer.Option(
            "--patients", help="Keep at most this many matching patients (lowest patient_id first)."
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace a previous dmpdata export in --out.")
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(help="Processes rendering FHIR resources part by part (default: every core)."),
    ] = None,
) -> None:
    """Export a dataset, or a subset of its patients with everything they reference, as FHIR R4 NDJSON or CSV."""
    from dmpdata.export import Subset, export

    started = time.perf_counter()
    with user_errors(), progress_bar() as report:
        subset = Subset(
            departments=tuple(department or ()), conditions=tuple(condition or ()), patients=patients
        )
        result = export(path, out, format=fmt, subset=subset, force=force, progress=report, workers=workers)
    files = ", ".join(f"{n:,} {name}" for name, n in result.counts.items())
    out_console.print(
        f"wrote {result.path} ({result.format}, {result.patients:,} patients) in "
        f"{time.perf_counter() - started:.1f} s: {files}",
        highlight=False,
    )


def main() -> None:
    try:
        app()
    except SystemExit:
        raise
    # A user mistake met outside a command's `user_errors` (a module reading a bad file as it is imported).
    except DmpdataError as err:
        err_console.print(_styled("error:", "bold red", str(err)), soft_wrap=True)
        sys.exit(2)
    except Exception as err:  # a bug, not a user mistake: still one line, with a hint
        err_console.print(
            _styled(
                "internal error:",
                "bold red",
                f"{type(err).__name__}: {err} (set DMPDATA_DEBUG=1 for the traceback)",
            )
        )
        if os.environ.get("DMPDATA_DEBUG"):
            raise
        sys.exit(3)


if __name__ == "__main__":
    main()
