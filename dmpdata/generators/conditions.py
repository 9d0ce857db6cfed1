"""Conditions stage: chronic conditions per patient (ICD-10) by age and sex, with ALD flags and onset dates."""

from __future__ import annotations

import numpy as np
import polars as pl

from dmpdata import reference
from dmpdata.generators.population import DAYS_PER_YEAR, EPOCH, reference_date
from dmpdata.scenario import Scenario

__all__ = ["generate_conditions"]


def generate_conditions(scenario: Scenario, rng: np.random.Generator, patients: pl.DataFrame) -> pl.DataFrame:
    """One row per patient × condition present, drawn from the age × sex prevalence table."""
    ref = reference_date().toordinal()
    birth = patients["birth_date"].cast(pl.Int32).to_numpy().astype(np.float64) + EPOCH
    age = np.clip(((ref - birth) / DAYS_PER_YEAR).astype(np.int64), 0, 104)
    sex = patients["sex"].to_numpy()
    death = patients["death_date"].cast(pl.Int32).cast(pl.Float64).fill_null(np.inf).to_numpy() + EPOCH
    mean_years = reference.parameter("condition_mean_duration_years")
    prevalence = reference.load("condition_prevalence")
    blocks = []
    for code in reference.load("conditions")["condition_code"]:
        table = prevalence.filter(pl.col("condition_code") == code)
        factor = scenario.prevalence_factor.get(code, 1.0)
        p = np.zeros(patients.height)
        ald = np.zeros(patients.height)
        for s in ("M", "F"):
            rows = table.filter(pl.col("sex") == s).sort("age_min")
            lookup = np.searchsorted(rows["age_max"].to_numpy(), age, side="left")
            lookup = np.clip(lookup, 0, rows.height - 1)
            m = sex == s
            p[m] = rows["prevalence"].to_numpy()[lookup[m]]
            ald[m] = rows["ald_share"].to_numpy()[lookup[m]]
        has = rng.random(patients.height) < np.clip(p * factor, 0, 1)
        is_ald = rng.random(patients.height) < ald
        onset = ref - np.floor(rng.exponential(mean_years, patients.height) * DAYS_PER_YEAR)
        onset = np.clip(onset, birth, np.minimum(death - 1, ref))
        idx = np.flatnonzero(has)
        blocks.append(pl.DataFrame({
            "patient_id": patients["patient_id"].gather(idx),
            "condition_code": pl.Series([code] * idx.size, dtype=pl.String),
            "ald": pl.Series(is_ald[idx]),
            "onset_date": pl.Series((onset[idx] - EPOCH).astype(np.int32)).cast(pl.Date),
        }))
    out = pl.concat(blocks).sort("patient_id", "condition_code")
    return out
