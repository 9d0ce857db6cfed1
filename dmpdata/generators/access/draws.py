"""The access stage's small draws: consultation shares over time, channels and authentication, Poisson times and
on/off intervals."""

from __future__ import annotations

from functools import cache

import numpy as np
import polars as pl

from dmpdata import reference
from dmpdata.generators.documents import US_PER_DAY, curve_at
from dmpdata.generators.sampling import EPOCH
from dmpdata.generators.staff import SECTORS

DAY = US_PER_DAY


@cache
def _consult_curves() -> dict[str, tuple[pl.Series, np.ndarray]]:
    table = reference.load("consultation").sort("date")
    return {
        s: (part["date"], part["share"].to_numpy())
        for (s,), part in table.group_by("situation", maintain_order=True)
    }


def consult_share(situation: str, us: np.ndarray) -> np.ndarray:
    dates, shares = _consult_curves()[situation]
    return curve_at(dates, shares, us / DAY + EPOCH)


def professional_channel(
    staff, rows: np.ndarray, us: np.ndarray, rng: np.random.Generator
) -> tuple[tuple[tuple[str, ...], np.ndarray], tuple[tuple[str, ...], np.ndarray]]:
    """LPS when the professional's software is DMP-compatible then (and not using the web portal), else web PS;
    DIRECTE (CPS/e-CPS) or, through software only, INDIRECTE (structure certificate) by sector. Each as (vocabulary, codes), for `event_frame`."""
    equipped = staff.equipped_from[rows] <= np.floor(us / DAY + EPOCH)
    web = ~equipped | (rng.random(rows.size) < reference.parameter("web_ps_share"))
    indirect_share = np.where(
        staff.sector_code[rows] == SECTORS.index("etablissement"),
        reference.parameter("indirect_auth_share_etablissement"),
        reference.parameter("indirect_auth_share_ville"),
    )
    # The web portal authenticates a person (CPS/e-CPS): only the software may authenticate as the structure
    # (channels.csv, auth_modes). The draw is kept so that the other draws keep their values.
    indirect = (rng.random(rows.size) < indirect_share) & ~web & _allows("lps", "INDIRECTE")
    return (("lps", "web_ps"), web), (("DIRECTE", "INDIRECTE"), indirect)


@cache
def _allows(channel: str, auth_mode: str) -> bool:
    return auth_mode in allowed_auth_modes()[channel]


def allowed_auth_modes() -> dict[str, tuple[str, ...]]:
    """channel -> the authentication modes the DMP accepts on it (channels.csv `auth_modes`; professional channels
    only)."""
    return {
        code: tuple(modes.split("|")) for code, modes in reference.labels("channels", "auth_modes").items()
    }


def patient_channel(n: int, rng: np.random.Generator) -> tuple[tuple[str, ...], np.ndarray]:
    """The Mon espace santé app or website (split assumed)."""
    return ("mes_app", "mes_web"), rng.random(n) >= reference.parameter("patient_app_share")


def interval_ends(
    start_us: np.ndarray,
    p_end: float,
    limit_us: np.ndarray,
    rng: np.random.Generator,
    min_days: float,
    max_days: float,
) -> np.ndarray:
    """End of an on/off interval (unmask, unblock) for a share `p_end` of intervals, else +inf (-1 here)."""
    end = start_us + ((min_days + rng.random(start_us.size) * (max_days - min_days)) * DAY).astype(np.int64)
    ends = (rng.random(start_us.size) < p_end) & (end < limit_us)
    return np.where(ends, end, -1)


def uniform_events(
    lo_us: np.ndarray, hi_us: np.ndarray, rate_per_year: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Poisson events at uniform times in each person's [lo, hi) window: (person index, time µs)."""
    span = np.where(hi_us > lo_us, hi_us - lo_us, 0).astype(np.float64)
    count = rng.poisson(rate_per_year * span / (365.2425 * DAY))
    person = np.repeat(np.arange(lo_us.size), count)
    at = lo_us[person] + (rng.random(person.size) * span[person]).astype(np.int64)
    return person, at
