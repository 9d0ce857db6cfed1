"""Benchmark (not a test): each analysis's time on a dataset's DuckDB warehouse (median of 3 runs).

Run:  uv run python benchmarks/bench_analyses.py [DATASET_DIR]   (default: datasets/demo, made by `dmpdata demo`)
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import dmpdata
from dmpdata import analyses


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "datasets/demo")
    ds = dmpdata.open_dataset(path)
    started = time.perf_counter()
    con = ds.duckdb(path / "warehouse.duckdb")
    print(
        f"{path}: {sum(ds.row_counts.values()):,} rows; warehouse ready in {time.perf_counter() - started:.1f} s"
    )
    worst = 0.0
    for q in analyses.questions():
        times = []
        for _ in range(3):
            t = time.perf_counter()
            df = analyses.run(con, q.name)
            times.append(time.perf_counter() - t)
        median = statistics.median(times)
        worst = max(worst, median)
        print(f"  {q.section:<18} {q.name:<34} {median * 1000:7.0f} ms  ({df.height:,} rows)")
    print(f"slowest analysis: {worst * 1000:.0f} ms (target < 1000 ms)")


if __name__ == "__main__":
    main()
