"""Benchmark (not a test): the whole pipeline at scale — generate, validate, load, analyses — in one run.

Run:  uv run python benchmarks/bench_scale.py [--patients 100000 1000000] [--ten-million] [--workers N]

Each size runs in its own subprocess. For each size it reports, on this machine and in this run:
- generation of the full five-year history (every table): patients/s, rows/s, bytes per patient on disk;
- the I/O limit: the same number of rows per table and chunk, with the same column types, of random data
  written straight to Parquet by the same workers and writer settings (a code column drawn from a 1,000-word
  vocabulary, written from an Enum as the engine writes them; a free-text column, such as names or `unique_id`, as
  many distinct random strings of the same mean length as in the chunk); the ratio generation / limit;
- `validate` and `load` (DuckDB file) throughput, and their floors on this machine: polars reading every part
  once, and DuckDB copying the parts into a database file (CREATE TABLE AS SELECT *, no types, keys or views);
- `load --link` (the event tables as views over the parts, `connect(..., link=True)`): time, file size;
- peak RSS of the whole process tree (parent + worker processes, sampled every 50 ms) for each step;
- at 1 M patients (or the largest size), each analysis's time (median of 3) on the copied warehouse, and the
  slowest on the linked one;
- the patients table against a Faker row loop (benchmarks/bench_population.py, same fields).
`--ten-million` adds a 10 M-patient run of generation (+ validate and load unless --generate-only-10m).
Datasets are written under --work (default: a temporary folder beside datasets/, removed afterwards).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


class PeakRSS:
    """Peak resident memory of this process and all its children, sampled in a thread."""

    def __init__(self, interval: float = 0.05):
        import psutil

        self.proc, self.interval, self.peak, self._stop = psutil.Process(), interval, 0, threading.Event()

    def _sample(self) -> None:
        import psutil

        while not self._stop.is_set():
            total = 0
            for p in [self.proc, *self.proc.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    total += p.memory_info().rss
            self.peak = max(self.peak, total)
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakRSS:
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def mb(self) -> float:
        return self.peak / 2**20


def random_chunk(k: int, shapes: dict[str, tuple[int, dict[str, object]]], root: str) -> int:
    """The I/O limit for chunk k: random columns of the same types and row counts, written like the engine writes.

    A string column is given as "code" (a closed code set: drawn from a 1,000-word vocabulary and written from an
    Enum, as dmpdata writes its code columns) or as ("text", distinct values, mean length) (free text such as names
    or `unique_id`: as many distinct random strings of that length, written as strings)."""
    import numpy as np
    import polars as pl

    from dmpdata.engine import PARQUET_OPTIONS, parquet_metadata

    rng = np.random.default_rng(k)
    words = [f"value-{i:06d}" for i in range(1000)]
    vocab = pl.Series(words, dtype=pl.Enum(words))
    total = 0
    for table, (rows, schema) in shapes.items():
        cols = {}
        for name, dtype in schema.items():
            if isinstance(dtype, (tuple, list)):  # free text
                _, distinct, length = dtype
                digits = rng.integers(48, 58, (distinct, max(length, 1)), dtype=np.uint8)
                text = pl.Series(name, digits.view(f"S{max(length, 1)}").ravel()).cast(pl.String)
                cols[name] = text if distinct == rows else text.gather(rng.integers(0, distinct, rows))
            elif dtype == "code":
                cols[name] = vocab.gather(rng.integers(0, vocab.len(), rows)).alias(name)
            elif dtype.startswith(("Int", "UInt")):
                cols[name] = pl.Series(name, rng.integers(0, 1 << 40, rows))
            elif dtype.startswith("Float"):
                cols[name] = pl.Series(name, rng.random(rows))
            elif dtype == "Boolean":
                cols[name] = pl.Series(name, rng.random(rows) < 0.5)
            elif dtype == "Date":
                cols[name] = pl.Series(name, rng.integers(18_000, 20_600, rows).astype("datetime64[D]"))
            elif dtype.startswith("Datetime"):
                cols[name] = pl.Series(name, rng.integers(1.5e15, 1.8e15, rows).astype("datetime64[us]"))
            else:
                raise ValueError(f"{table}.{name}: no random column for dtype {dtype}")
        path = Path(root) / table / f"part-{k:05d}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pl.DataFrame(cols).write_parquet(path, **PARQUET_OPTIONS, metadata=parquet_metadata(table))
        total += rows
    return total


def _shapes(out: Path, ds, k: int) -> dict[str, tuple[int, dict[str, object]]]:
    """What `random_chunk` writes for chunk k: per table, its rows and each column's dtype; a string column is
    "code" (a closed code set) or ("text", distinct values, mean length in bytes), measured on chunk k's part."""
    import polars as pl

    from dmpdata.schemas import code_sets

    shape = {}
    for table, entry in ds.manifest["tables"].items():
        files = [f for f in entry["files"] if f["path"].endswith(f"part-{k:05d}.parquet")]
        if not files:
            continue
        part = out / files[0]["path"]
        columns = {}
        for name, dtype in pl.read_parquet_schema(part).items():
            if dtype != pl.String:
                columns[name] = str(dtype)
            elif name in code_sets(table):
                columns[name] = "code"
            else:
                values = pl.read_parquet(part, columns=[name])[name]
                columns[name] = ("text", max(values.n_unique(), 1), round(values.str.len_bytes().mean() or 0))
        shape[table] = (files[0]["rows"], columns)
    return shape


def read_floor(out: Path, ds) -> float:
    """The floor of `validate`: polars reading every Parquet part once (all cores), no check."""
    import polars as pl

    started = time.perf_counter()
    for entry in ds.manifest["tables"].values():
        for f in entry["files"]:
            pl.read_parquet(out / f["path"])
    return time.perf_counter() - started


def copy_floor(out: Path, ds) -> float:
    """The floor of `load`: DuckDB copying every table from its Parquet parts into a new database file (CREATE TABLE
    AS SELECT *, then CHECKPOINT), with the warehouse build's memory limit: no typed columns, keys or derived tables."""
    import duckdb

    from dmpdata.warehouse.build import BUILD_MEMORY_LIMIT, CONFIG

    db = out.parent / f"copy-floor-{out.name}.duckdb"
    started = time.perf_counter()
    con = duckdb.connect(
        str(db), config={**CONFIG, "memory_limit": BUILD_MEMORY_LIMIT, "temp_directory": str(db) + ".spill"}
    )
    try:
        for table, entry in ds.manifest["tables"].items():
            parts = ", ".join(f"'{out / f['path']}'" for f in entry["files"])
            if parts:
                con.execute(f'CREATE TABLE "{table}" AS SELECT * FROM read_parquet([{parts}])')
        con.execute("CHECKPOINT")
    finally:
        con.close()
    elapsed = time.perf_counter() - started
    db.unlink(missing_ok=True)
    shutil.rmtree(str(db) + ".spill", ignore_errors=True)
    return elapsed


def _time_analyses(con) -> dict[str, float]:
    """Each analysis's time on `con`, median of 3."""
    from dmpdata import analyses

    timings = {}
    for q in analyses.questions():
        times = []
        for _ in range(3):
            t = time.perf_counter()
            analyses.run(con, q.name)
            times.append(time.perf_counter() - t)
        timings[q.name] = statistics.median(times)
    return timings


def run_size(n: int, workers: int | None, work: Path, analyses_too: bool, skip_checks: bool) -> dict:
    import dmpdata
    from dmpdata.parallel import pool
    from dmpdata.validate import validate_path

    out = work / f"ds-{n}"
    scenario = dmpdata.load_scenario("demo").with_overrides(patients=n)
    result: dict = {"patients": n, "chunks": scenario.n_chunks, "chunk_size": scenario.chunk_size}
    marks: dict[str, float] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "workforce" and done == total:
            marks["workforce_done"] = time.perf_counter()
        if stage == "history" and done == 0:
            marks["patients_done"] = time.perf_counter()  # pass 1 on the workers + the global unique-NIR pass

    with PeakRSS() as rss:
        started = time.perf_counter()
        ds = dmpdata.generate(scenario, out=out, workers=workers, force=out.exists(), progress=progress)
        result["generate_s"] = time.perf_counter() - started
    result["patients_stage_s"] = marks["patients_done"] - marks["workforce_done"]
    result["generate_rss_mb"] = rss.mb
    result["rows"] = sum(ds.row_counts.values())
    result["bytes"] = sum(f["bytes"] for e in ds.manifest["tables"].values() for f in e["files"])

    # The I/O limit: same tables, same per-chunk row counts and column types, random values, same workers.
    # (Skipped with --generate-only-10m: random values compress less, and both copies would not fit on disk.)
    if skip_checks:
        shutil.rmtree(out, ignore_errors=True)
        return result
    shapes_per_chunk = [_shapes(out, ds, k) for k in range(scenario.n_chunks)]
    raw = Path(tempfile.mkdtemp(prefix="raw-", dir=work))
    with pool("local", workers, len(shapes_per_chunk)) as run:
        started = time.perf_counter()
        run(random_chunk, [(k, s, str(raw)) for k, s in enumerate(shapes_per_chunk)], lambda d, t: None)
        result["raw_parquet_s"] = time.perf_counter() - started
    result["raw_bytes"] = sum(f.stat().st_size for f in raw.rglob("*.parquet"))
    shutil.rmtree(raw)

    if not skip_checks:
        with PeakRSS() as rss:
            started = time.perf_counter()
            report = validate_path(out, workers=workers)
            result["validate_s"] = time.perf_counter() - started
        result["valid"] = report.ok
        result["validate_rss_mb"] = rss.mb
        with PeakRSS() as rss:
            started = time.perf_counter()
            con = ds.duckdb(out / "warehouse.duckdb", validate=False)
            result["load_s"] = time.perf_counter() - started
        result["load_rss_mb"] = rss.mb
        result["load_bytes"] = (out / "warehouse.duckdb").stat().st_size
        result["copy_floor_s"] = copy_floor(out, ds)
        if analyses_too:
            result["analyses_s"] = _time_analyses(con)
        con.close()
        with PeakRSS() as rss:
            started = time.perf_counter()
            con = ds.duckdb(out / "linked.duckdb", validate=False, link=True)
            result["link_s"] = time.perf_counter() - started
        result["link_rss_mb"] = rss.mb
        result["link_bytes"] = (out / "linked.duckdb").stat().st_size
        if analyses_too:
            result["linked_analyses_s"] = _time_analyses(con)
        con.close()
        result["read_floor_s"] = read_floor(out, ds)
    shutil.rmtree(out, ignore_errors=True)
    return result


def _report(r: dict) -> None:
    n, rows = r["patients"], r["rows"]
    print(
        f"\n== {n:,} patients ({r['chunks']} chunks of {r['chunk_size']:,}) — {rows:,} rows, "
        f"{r['bytes'] / n:,.0f} bytes/patient on disk ({r['bytes'] / 2**30:.2f} GiB)"
    )
    print(
        f"generate  {r['generate_s']:7.1f} s  {n / r['generate_s']:>10,.0f} patients/s  {rows / r['generate_s']:>12,.0f} rows/s"
        f"  peak RSS {r['generate_rss_mb']:,.0f} MB"
    )
    print(
        f"pass 1 (NIR buckets of every chunk on the workers + the global order-number ranking): "
        f"{r['patients_stage_s']:.2f} s = "
        f"{n / r['patients_stage_s']:,.0f} patients/s"
    )
    if "raw_parquet_s" in r:
        print(
            f"raw Parquet (I/O limit) {r['raw_parquet_s']:.1f} s, {r['raw_bytes'] / 2**30:.2f} GiB written (the dataset: "
            f"{r['bytes'] / 2**30:.2f} GiB)  -> generation is {r['generate_s'] / r['raw_parquet_s']:.2f}x the limit"
        )
    if "validate_s" in r:
        print(
            f"validate  {r['validate_s']:7.1f} s  {rows / r['validate_s']:>12,.0f} rows/s  valid={r['valid']}"
            f"  peak RSS {r['validate_rss_mb']:,.0f} MB"
        )
        print(
            f"load      {r['load_s']:7.1f} s  {rows / r['load_s']:>12,.0f} rows/s  peak RSS {r['load_rss_mb']:,.0f} MB"
            f"  file {r['load_bytes'] / 2**30:.2f} GiB (every table copied)"
        )
        print(
            f"load --link {r['link_s']:5.1f} s  {rows / r['link_s']:>12,.0f} rows/s  peak RSS {r['link_rss_mb']:,.0f} MB"
            f"  file {r['link_bytes'] / 2**30:.2f} GiB (event tables read from the parts)"
        )
        total = r["generate_s"] + r["validate_s"] + r["load_s"]
        linked = r["generate_s"] + r["validate_s"] + r["link_s"]
        print(f"generate + validate + load: {total:.1f} s; with load --link: {linked:.1f} s")
        if "copy_floor_s" in r:
            print(
                f"floors on this machine: reading every part with polars {r['read_floor_s']:.1f} s (validate is "
                f"{r['validate_s'] / r['read_floor_s']:.1f}x it); DuckDB copying the parts into a database file "
                f"{r['copy_floor_s']:.1f} s (load is {r['load_s'] / r['copy_floor_s']:.2f}x it); raw Parquet write + "
                f"DuckDB copy = {r['raw_parquet_s'] + r['copy_floor_s']:.1f} s before any value is generated or "
                f"checked"
            )
    if "analyses_s" in r:
        worst = max(r["analyses_s"].items(), key=lambda kv: kv[1])
        for name, s in r["analyses_s"].items():
            print(f"  analysis {name:<36} {s * 1000:7.0f} ms")
        print(f"slowest analysis: {worst[0]} {worst[1] * 1000:.0f} ms")
    if "linked_analyses_s" in r:
        worst = max(r["linked_analyses_s"].items(), key=lambda kv: kv[1])
        over = [name for name, s in r["linked_analyses_s"].items() if s >= 1]
        print(
            f"slowest analysis on the linked warehouse: {worst[0]} {worst[1] * 1000:.0f} ms"
            f" ({len(over)} at 1 s or more{': ' + ', '.join(over) if over else ''})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--ten-million", action="store_true", help="also run 10 M patients")
    parser.add_argument(
        "--generate-only-10m",
        action="store_true",
        help="at 10 M, generation only (no I/O-limit run, validate or load)",
    )
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument(
        "--work", type=Path, default=None, help="folder for the datasets (default: a temp folder)"
    )
    parser.add_argument("--no-faker", action="store_true", help="skip the Faker row-loop comparison")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        spec = json.loads(args.child)
        print(
            json.dumps(
                run_size(spec["n"], spec["workers"], Path(spec["work"]), spec["analyses"], spec["skip"])
            )
        )
        return
    sizes = sorted(set(args.patients + ([10_000_000] if args.ten_million else [])))
    work = args.work or Path(tempfile.mkdtemp(prefix="dmpdata-bench-", dir=HERE.parent / "datasets"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} cores; workers: {args.workers or 'all cores'}; work folder {work}")
    analysed = max(s for s in sizes if s <= 1_000_000) if any(s <= 1_000_000 for s in sizes) else None
    try:
        for n in sizes:
            spec = {
                "n": n,
                "workers": args.workers,
                "work": str(work),
                "analyses": n == analysed,
                "skip": n >= 10_000_000 and args.generate_only_10m,
            }
            proc = subprocess.run(
                [sys.executable, __file__, "--child", json.dumps(spec)],
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode:
                print(proc.stderr[-3000:])
                raise SystemExit(f"size {n} failed")
            _report(json.loads(proc.stdout.strip().splitlines()[-1]))
        if not args.no_faker:
            out = subprocess.run(
                [sys.executable, str(HERE / "bench_population.py"), "--patients", str(max(sizes))],
                capture_output=True,
                text=True,
                check=True,
            )
            print(
                "\n== patients table vs a Faker row loop (benchmarks/bench_population.py)\n"
                + out.stdout.strip()
            )
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
