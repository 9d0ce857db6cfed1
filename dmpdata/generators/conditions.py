"""Conditions stage: chronic conditions per patient (ICD-10) by age and sex, with ALD flags and onset dates."""

from __future__ import annotations

from functools import cache

import numpy as np
import polars as pl

from dmpdata import reference
from dmpdata.generators.population import DAYS_PER_YEAR, EPOCH
from dmpdata.generators.sampling import as_date
from dmpdata.scenario import Scenario

__all__ = ["generate_conditions"]


@cache
def _lookup() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per condition: prevalence and ALD share as arrays indexed [is_male, age 0..104]."""
    table = reference.load("condition_prevalence")
    out = {}
    for code in reference.load("conditions")["condition_code"]:
        prevalence, ald = np.zeros((2, 105)), np.zeros((2, 105))
        for row in table.filter(pl.col("condition_code") == code).iter_rows(named=True):
            i = int(row["sex"] == "M")
            ages = slice(row["age_min"], row["age_max"] + 1)
            prevalence[i, ages], ald[i, ages] = row["prevalence"], row["ald_share"]
        out[code] = (prevalence, ald)
    return out


def generate_conditions(scenario: Scenario, rng: np.random.Generator, patients: pl.DataFrame) -> pl.DataFrame:
    """One row per patient × condition present, drawn from the age × sex prevalence table."""
    # Prevalence by age at the period's start; children born later are age 0.
    ref = scenario.start.toordinal()
    birth = patients["birth_date"].cast(pl.Int32).to_numpy().astype(np.float64) + EPOCH
    age = np.clip(((ref - birth) / DAYS_PER_YEAR), 0, 104).astype(np.int64)
    sex = patients["sex"].to_numpy()
    death = patients["death_date"].cast(pl.Int32).cast(pl.Float64).fill_null(np.inf).to_numpy() + EPOCH
    mean_years = reference.parameter("condition_mean_duration_years")
    male = (sex == "M").astype(np.int64)
    blocks = []
    for code, (prevalence, ald_share) in _lookup().items():
        factor = scenario.prevalence_factor.get(code, 1.0)
        has = rng.random(patients.height) < np.clip(prevalence[male, age] * factor, 0, 1)
        is_ald = rng.random(patients.height) < ald_share[male, age]
        onset = ref - np.floor(rng.exponential(mean_years, patients.height) * DAYS_PER_YEAR)
        onset = np.clip(onset, birth, np.minimum(death - 1, np.maximum(ref, birth)))
        idx = np.flatnonzero(has)
        blocks.append(
            pl.DataFrame(
                {
                    "patient_id": patients["patient_id"].gather(idx),
                    "condition_code": pl.repeat(code, idx.size, dtype=pl.String, eager=True),
                    "ald": pl.Series(is_ald[idx]),
                    "onset_date": as_date(onset[idx], "onset_date"),
                }
            )
        )
    out = pl.concat(blocks).sort("patient_id", "condition_code")
    return out
