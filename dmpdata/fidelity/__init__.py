"""Fidelity scorecard: generated figures vs published French ones (datasets/calibration/targets.csv), plus
structural diagnostics (key uniqueness, referential integrity, category adherence, date-range adherence)."""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import duckdb
import polars as pl

from dmpdata.errors import DmpdataError
from dmpdata.schemas import MODELS
from dmpdata.schemas.integrity import CHECKS

__all__ = ["metric", "scorecard", "structural", "targets", "targets_path"]

HERE = Path(__file__).parent


def targets_path() -> Path:
    """datasets/calibration/targets.csv (inside the wheel: dmpdata/_calibration/targets.csv)."""
    packaged = HERE.parent / "_calibration" / "targets.csv"
    return packaged if packaged.is_file() else HERE.parents[1] / "datasets" / "calibration" / "targets.csv"


def targets(path: Path | None = None) -> pl.DataFrame:
    return pl.read_csv(path or targets_path(), schema_overrides={"params": pl.String, "note": pl.String})


@cache
def _sql(metric: str) -> str:
    path = HERE / f"{metric}.sql"
    if not path.is_file():
        raise DmpdataError(f"unknown fidelity metric {metric!r} (no dmpdata/fidelity/{metric}.sql)")
    return path.read_text(encoding="utf-8")


def _params(text: str | None) -> dict[str, str]:
    out = {}
    for item in (text or "").split(";"):
        if item.strip():
            name, _, value = item.partition("=")
            out[name.strip()] = value.strip()
    return out


def _tolerance(row: dict, n: float, se: float | None = None) -> float:
    """Tolerance widened for the sample: 3 standard errors — the metric's own standard error when its SQL returns
    one (per person, or per structure), else binomial for a share of n, or 3/√n for a count — never below the published
    figure's own tolerance. Returned in the row's tolerance kind (absolute or relative)."""
    target, tolerance = row["value"], row["tolerance"]
    if n <= 0:
        return math.inf
    if se is not None:
        noise = 3 * se if row["tolerance_kind"] == "absolute" else 3 * se / max(abs(target), 1e-12)
    elif row["widening"] == "binomial":
        noise = 3 * math.sqrt(max(target * (1 - target), 1e-12) / n)
        noise = noise if row["tolerance_kind"] == "absolute" else noise / max(target, 1e-12)
    else:
        noise = 3 / math.sqrt(max(n, 1.0))
        noise = noise * target if row["tolerance_kind"] == "absolute" else noise
    return max(tolerance, noise)


def metric(con: duckdb.DuckDBPyConnection, name: str, **params: str) -> tuple:
    """One metric's row (value, n[, se]) on `con`: dmpdata/fidelity/<name>.sql with its parameters bound."""
    return con.sql(_sql(name), params=params).fetchall()[0]


def scorecard(con: duckdb.DuckDBPyConnection, table: pl.DataFrame | None = None) -> pl.DataFrame:
    """One row per target: target, generated value, relative error, tolerance used, pass/fail, source."""
    rows = []
    for row in (table if table is not None else targets()).iter_rows(named=True):
        result = metric(con, row["metric"], **_params(row["params"]))
        value, n = result[0], result[1]
        se = float(result[2]) if len(result) > 2 and result[2] is not None else None
        value = float("nan") if value is None else float(value)
        tolerance = _tolerance(row, float(n or 0), se)
        error = value - row["value"]
        relative = error / row["value"] if row["value"] else math.inf
        passed = (abs(error) if row["tolerance_kind"] == "absolute" else abs(relative)) <= tolerance
        rows.append(
            {
                "target": row["target"],
                "description": row["description"],
                "published": row["value"],
                "generated": value,
                "relative_error": relative,
                "tolerance": tolerance,
                "tolerance_kind": row["tolerance_kind"],
                "n": float(n or 0),
                "passed": bool(passed and value == value),
                "source": row["source"],
            }
        )
    return pl.DataFrame(rows)


def structural(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """SDMetrics-style diagnostics, each a share of rows that adhere (1.0 expected)."""
    out = []

    def add(category: str, check: str, query: str, params: dict | None = None) -> None:
        score = con.sql(query, params=params or {}).fetchall()[0][0]
        out.append({"category": category, "check": check, "score": 1.0 if score is None else float(score)})

    for _, check in CHECKS.values():
        if hasattr(check, "unique_key"):
            table, keys = check.unique_key
            cols = ", ".join(keys)
            add(
                "key uniqueness",
                f"{table}({cols})",
                f"SELECT (SELECT count(*) FROM (SELECT DISTINCT {cols} FROM {table}))::DOUBLE / nullif(count(*), 0) FROM {table}",
            )
        if hasattr(check, "foreign_key"):
            table, column, target, target_column = check.foreign_key
            add(
                "referential integrity",
                f"{table}.{column} → {target}",
                f"SELECT avg((t.{target_column} IS NOT NULL)::INT)::DOUBLE FROM {table} s "
                f"LEFT JOIN {target} t ON t.{target_column} = s.{column} WHERE s.{column} IS NOT NULL",
            )
    for table, model in MODELS.items():
        for name, column in model.to_schema().columns.items():
            for check in column.checks:
                stats = check.statistics or {}
                if "allowed_values" in stats:
                    allowed = pl.DataFrame({"v": [str(v) for v in stats["allowed_values"]]})
                    con.register("_allowed", allowed)
                    # Rows per distinct value first: the membership test then runs once per value, not per row.
                    add(
                        "category adherence",
                        f"{table}.{name}",
                        f"SELECT (sum(n * (CAST(v AS VARCHAR) IN (SELECT v FROM _allowed))::INT) / sum(n))::DOUBLE "
                        f"FROM (SELECT {name} AS v, count(*) AS n FROM {table} WHERE {name} IS NOT NULL GROUP BY 1)",
                    )
                    con.unregister("_allowed")
    period = "(SELECT period_start FROM dmpdata_meta)", "(SELECT period_end + 1 FROM dmpdata_meta)"
    for table, column in (
        ("encounters", "start_at"),
        ("documents", "submitted_at"),
        ("observations", "effective_at"),
        ("access_events", "occurred_at"),
    ):
        add(
            "date-range adherence",
            f"{table}.{column} within the period",
            f"SELECT avg(({column} >= {period[0]} AND {column} < {period[1]})::INT)::DOUBLE FROM {table}",
        )
    return pl.DataFrame(out).with_columns((pl.col("score") >= 1.0).alias("passed"))
