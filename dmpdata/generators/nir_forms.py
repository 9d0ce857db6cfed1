"""NIR forms the population carries besides the plain one: pseudo-months of people born abroad."""

from __future__ import annotations

from functools import cache

import numpy as np
import polars as pl

from dmpdata import reference

__all__ = ["nir_pseudo_months"]

# Key of the NIR pseudo-month substream, far above the small keys numpy's spawn() hands out.
_PSEUDO_MONTH_STREAM = 0x4E4952


def nir_pseudo_months(rng: np.random.Generator, abroad: np.ndarray) -> np.ndarray:
    """The NIR pseudo-month (0 for none) of each person: a share of people born abroad were registered from an
    incomplete civil-status record, and their NIR carries a pseudo-month of the first pseudo range of nir_forms
    (20-42) instead of their month of birth (parameter nir_pseudo_month_share_of_foreign_born, an assumption).

    Drawn from a substream keyed on the chunk's own seed, not from `rng`: both passes of the engine (nir_traits,
    then generate_patients after more draws) get the same months, and no other column changes."""
    seq = rng.bit_generator.seed_seq
    sub = np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, _PSEUDO_MONTH_STREAM)))
    )
    n = abroad.size
    share = reference.parameter("nir_pseudo_month_share_of_foreign_born")
    chosen = abroad & (sub.random(n) < share)
    months = _first_pseudo_range()
    return np.where(chosen, months[sub.integers(0, months.size, n)], 0).astype(np.int8)


@cache
def _first_pseudo_range() -> np.ndarray:
    """The months of the first pseudo-month range of nir_forms (an incomplete civil-status record: 20-42)."""
    rows = reference.load("nir_forms").filter(
        (pl.col("part") == "month") & (pl.col("code_from").cast(pl.Int64) > 12)
    )
    lo, hi = rows.row(0)[1:3]
    return np.arange(int(lo), int(hi) + 1, dtype=np.int8)
