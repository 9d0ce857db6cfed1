"""Local identity records: each structure's own identity of a patient (RNIV status), qualified over time."""

from __future__ import annotations

from functools import cache

import numpy as np
import polars as pl

from dmpdata import reference
from dmpdata.generators.sampling import EPOCH

__all__ = ["IdentityCurves", "Records", "generate_identity_records"]

US_PER_DAY = 86_400_000_000
# A contact packed with its record key: the day (from the chunk's first contact) in the low bits.
DAY_BITS = 16
DAY_MASK = (1 << DAY_BITS) - 1
STEPS = ("retrieved", "validated")


class IdentityCurves:
    """The curves of identity_qualification.csv, by step, and which one each organization follows (its facility
    type's own curve, else its sector's `*` curve)."""

    def __init__(self, organizations: pl.DataFrame):
        table = reference.load("identity_qualification").sort("date")
        keys = table.select("facility_type_code", "sector").unique(maintain_order=True).rows()
        self.points = {step: [self._curve(table, step, ft, sector) for ft, sector in keys] for step in STEPS}
        index = {key: i for i, key in enumerate(keys)}
        fts = organizations["facility_type_code"].to_list()
        sectors = organizations["sector"].to_list()
        # curve_of[organization_id] (ids are 1..n; row 0 unused): the most specific curve, -1 when none applies.
        self.curve_of = np.full(len(fts) + 1, -1, dtype=np.int16)
        for row, (ft, sector) in enumerate(zip(fts, sectors, strict=True)):
            self.curve_of[row + 1] = index.get((ft, sector), index.get(("*", sector), -1))
        # The qualified share of each curve day by day (row -1: no curve, 0): one gather per document, no sort.
        every = [days for step in STEPS for days, _ in self.points[step]]
        self.first_day = min(days[0] for days in every)
        grid = np.arange(self.first_day, max(days[-1] for days in every) + 2)
        self.daily = np.zeros((len(keys) + 1, grid.size))
        for c in range(len(keys)):
            self.daily[c] = np.prod([np.interp(grid, *self.points[s][c]) for s in STEPS], axis=0)

    @staticmethod
    def _curve(table: pl.DataFrame, step: str, ft: str, sector: str) -> tuple[np.ndarray, np.ndarray]:
        part = table.filter(
            (pl.col("step") == step) & (pl.col("facility_type_code") == ft) & (pl.col("sector") == sector)
        )
        days = np.array([d.toordinal() for d in part["date"]], dtype=np.float64)
        return days, part["share"].to_numpy()

    def share(self, org: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Expected share of the organization's records qualified (both steps done) on that day (to the day)."""
        at = np.clip(np.floor(day).astype(np.int64) - int(self.first_day), 0, self.daily.shape[1] - 1)
        return self.daily[self.curve_of[org], at]

    def threshold(self, step: str, org: np.ndarray, u: np.ndarray) -> np.ndarray:
        """The day the step's curve reaches u: -inf when it already had at its first point, inf when never.

        Every curve's inverse in one interpolation: curve c's shares are shifted by 2c (each curve rises strictly,
        tests/test_reference.py), so that u + 2c falls within curve c's stretch when its curve passes u."""
        curve = self.curve_of[org].astype(np.int64)
        points = self.points[step]
        shifted = np.concatenate([shares + 2 * c for c, (_, shares) in enumerate(points)])
        days = np.concatenate([d for d, _ in points])
        lo = np.array([shares[0] for _, shares in points] + [np.inf])[curve]  # curve -1: never
        hi = np.array([shares[-1] for _, shares in points] + [-np.inf])[curve]
        at = np.interp(u + 2 * curve, shifted, days)
        return np.where(u > hi, np.inf, np.where(u <= lo, -np.inf, at))


@cache
def _statuses() -> tuple[str, ...]:
    """The RNIV codes by (retrieved, validated) flags, index retrieved × 2 + validated (identity_statuses.csv)."""
    table = reference.load("identity_statuses")
    by_flags = {
        int(r) * 2 + int(v): code
        for code, r, v in table.select("code", "ins_retrieved", "identity_validated").iter_rows()
    }
    return tuple(by_flags[i] for i in range(4))


class Records:
    """One chunk's identity records (numpy, sorted by person then organization), looked up by (person, org)."""

    def __init__(self, key, person, org, created, last, retrieved, validated, stride):
        self.key, self.person, self.org, self.stride = key, person, org, stride
        self.created, self.last = created, last
        self.retrieved, self.validated = retrieved, validated
        self.qualified = np.maximum(retrieved, validated)  # NaN-free: inf = never
        self.withheld = np.zeros(key.size, dtype=np.int64)

    def row_of(self, person: np.ndarray, org: np.ndarray) -> np.ndarray:
        """The record row of each (person, org) pair (every pair has one: records come from every contact)."""
        return np.searchsorted(self.key, person.astype(np.int64) * self.stride + org)

    def frame(self, patient_ids: np.ndarray) -> pl.DataFrame:
        """The identity_records rows: timestamps, status at the period's end, documents withheld."""
        retrieved, validated = np.isfinite(self.retrieved), np.isfinite(self.validated)
        status = retrieved.astype(np.int64) * 2 + validated.astype(np.int64)
        return pl.DataFrame(
            {
                "patient_id": patient_ids[self.person],
                "organization_id": self.org,
                "created_at": _dates(self.created),
                "ins_retrieved_at": _dates(self.retrieved),
                "identity_validated_at": _dates(self.validated),
                "qualified_at": _dates(self.qualified),
                "status": pl.Series(_statuses(), dtype=pl.String).gather(status),
                "documents_withheld": self.withheld,
            }
        )


def _dates(days: np.ndarray) -> pl.Series:
    """Day ordinals (whole days) to Date, null where not finite (never)."""
    finite = np.isfinite(days)
    return pl.Series(np.where(finite, days - EPOCH, np.nan)).fill_nan(None).cast(pl.Int32).cast(pl.Date)


def generate_identity_records(
    rng: np.random.Generator,
    curves: IdentityCurves,
    person: np.ndarray,
    org: np.ndarray,
    day: np.ndarray,
) -> Records:
    """The identity records of one chunk from its contacts (person, organization_id, day; day ordinals): one per
    (person, structure), created at the first contact; the INS retrieved and the identity validated when the
    structure's routine reaches the record (its curve passes the record's draw) no later than its last contact."""
    stride = int(curves.curve_of.size)
    # The steps are whole days, so only the contacts' days count: each contact packed as (record key, day) into one
    # int64 and sorted by value (the encounters come sorted by patient: a stable sort merges those runs fast); a
    # record's first and last contact are then the ends of its run. No index array, no gather, no reduction.
    day = np.floor(day).astype(np.int64)
    base = int(day.min()) if day.size else 0
    if day.size and int(day.max()) - base >= 1 << DAY_BITS:  # pragma: no cover - a period of 179 years
        raise ValueError("identity records: contacts span more days than the packing holds")
    packed = np.sort(((person.astype(np.int64) * stride + org) << DAY_BITS) | (day - base), kind="stable")
    key = packed >> DAY_BITS
    new = np.r_[True, key[1:] != key[:-1]] if key.size else np.zeros(0, dtype=bool)
    first = (packed[new] & DAY_MASK) + base
    last = (packed[np.r_[new[1:], True] if key.size else new] & DAY_MASK) + base
    key = key[new]
    r_person, r_org = key // stride, key % stride
    done = {}
    for step in STEPS:  # one uniform per record and step, in record order
        # Whole days: a step done on a day holds from that day's start (documents submitted that day are fed).
        at = np.maximum(first, np.floor(curves.threshold(step, r_org, rng.random(key.size))))
        done[step] = np.where(at <= last, at, np.inf)
    first, last = first.astype(np.float64), last.astype(np.float64)
    return Records(key, r_person, r_org, first, last, done["retrieved"], done["validated"], stride)
