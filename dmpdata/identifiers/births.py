"""Plausible monthly births of each birthplace: the NIR order numbers a real person born there may hold."""

from __future__ import annotations

from functools import cache

import numpy as np
import polars as pl

from dmpdata import reference

__all__ = ["PLACE_SLOTS", "real_order_ceiling"]

# A NIR bucket's last 6 digits are its encoded birthplace: 5-digit commune (Corsica before 1976: 20xxx), 2A from
# 1976: 100000 + commune, 2B: 200000 + commune (see nir._bucket).
PLACE_SLOTS = 300_000


@cache
def real_order_ceiling() -> np.ndarray:
    """For each encoded birthplace (index 0..PLACE_SLOTS-1), the highest order number a real person born there in a
    given month plausibly holds: ceil(population x nir_safe_birth_rate x nir_safe_births_factor / 12), from the
    commune's legal population (reference communes: communes, arrondissements, overseas); 0 where no commune is
    known (born abroad, 99xxx: the order there counts registrations, not births of a commune).

    Order numbers are given per commune and month to the birth records in register order (both sexes), so a
    synthetic order number above this ceiling is one no real person born there that month is expected to hold."""
    rate = reference.parameter("nir_safe_birth_rate") * reference.parameter("nir_safe_births_factor") / 12
    communes = reference.load("communes").filter(pl.col("population") > 0)
    code = communes["code"]
    pop = communes["population"].cast(pl.Float64).to_numpy()
    corsica = code.str.contains("^2[AB]").to_numpy()
    digits = code.str.replace("^2A", "1").str.replace("^2B", "2").cast(pl.Int64).to_numpy()
    # 2A004 -> 1004 -> 100004; 2B004 -> 2004 -> 200004; others: the 5-digit code itself.
    slot = np.where(corsica, (digits // 1000) * 100_000 + digits % 1000, digits)
    births = np.zeros(PLACE_SLOTS)
    np.add.at(births, slot, pop * rate)
    # Corsica before 1976: 2A and 2B communes with the same number share the code 20xxx.
    np.add.at(births, 20_000 + digits[corsica] % 1000, pop[corsica] * rate)
    births[99_000:100_000] = 0  # born abroad
    return np.ceil(births).astype(np.int64)
