"""The patients' emergency consents: bris de glace and centre 15 (SAMU), each given by default and refusable on
its own (access_modes.csv); the bris de glace refusal is drawn with the Mon espace santé dates (population.py)."""

from __future__ import annotations

import numpy as np

from dmpdata import reference


def centre_15_opt_out(rng: np.random.Generator, mes: dict, death: np.ndarray, period_end: int) -> np.ndarray:
    """The day each holder refused access by the SAMU regulator (centre 15), NaN if never: a consent of its own,
    refused mostly with bris de glace (the same day), rarely alone. Drawn last so the stage's other draws keep
    their values."""
    activated_at, bris = mes["mes_activated_at"], mes["bris_de_glace_opt_out_at"]
    with_bris = ~np.isnan(bris)
    share = np.where(
        with_bris,
        reference.parameter("centre_15_opt_out_share_if_bris_de_glace"),
        reference.parameter("centre_15_opt_out_share_otherwise"),
    )
    decide, day = rng.random(death.size), rng.random(death.size)
    alone_at = np.floor(activated_at + day * reference.parameter("emergency_opt_out_within_days"))
    at = np.where(with_bris, bris, alone_at)
    limit = np.fmin(np.fmin(mes["mes_closed_at"], death), period_end + 1)
    opted = ~np.isnan(activated_at) & (decide < share) & (at < limit)
    return np.where(opted, at, np.nan)
