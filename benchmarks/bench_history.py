"""Benchmark (not a test): the full five-year history — every table — generated, written and validated.

Run:  uv run python benchmarks/bench_history.py [--patients 50000 100000]

Each size runs in its own subprocess (so peak RSS is per size). Prints patients/s and rows/s of generation
(including Parquet writing), bytes per patient on disk, validation throughput and peak memory.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(n: int) -> dict:
    import dmpdata

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ds"
        started = time.perf_counter()
        ds = dmpdata.generate("demo", out=out, patients=n)
        generate_s = time.perf_counter() - started
        started = time.perf_counter()
        report = ds.validate()
        validate_s = time.perf_counter() - started
        rows = sum(ds.row_counts.values())
        size = sum(f["bytes"] for e in ds.manifest["tables"].values() for f in e["files"])
    return {"patients": n, "rows": rows, "generate_s": generate_s, "validate_s": validate_s, "bytes": size,
            "valid": report.ok, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, nargs="+", default=[50_000, 100_000])
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run(args.child)))
        return
    for n in args.patients:
        out = subprocess.run([sys.executable, __file__, "--child", str(n)], capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{r['patients']:>9,} patients, 5 years: {r['rows']:>11,} rows | generate {r['generate_s']:6.1f} s = "
              f"{r['patients'] / r['generate_s']:>8,.0f} patients/s, {r['rows'] / r['generate_s']:>10,.0f} rows/s | "
              f"{r['bytes'] / r['patients']:,.0f} bytes/patient | validate {r['validate_s']:5.1f} s = "
              f"{r['rows'] / r['validate_s']:>10,.0f} rows/s (valid: {r['valid']}) | peak RSS {r['peak_rss_mb']:,.0f} MB")


if __name__ == "__main__":
    main()
