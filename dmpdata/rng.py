"""Seeding: one independent numpy Generator per (seed, stage, chunk), whatever the worker count."""

from __future__ import annotations

import numpy as np

__all__ = ["STAGES", "stream"]

# Stage numbers are part of the data contract: changing one changes every dataset.
STAGES = {
    "workforce": 1,
    "population": 2,
    "conditions": 3,
    "pathways": 4,
    "documents": 5,
    "access": 6,
    "identity": 7,
}


def stream(seed: int, stage: str, chunk: int = 0, *substream: int) -> np.random.Generator:
    """The random stream of `stage` for patient chunk `chunk` (0 for shared tables)."""
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence([seed, STAGES[stage], chunk, *substream]))
    )
