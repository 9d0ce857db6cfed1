"""The médecin traitant over the period: children's declarations, one change at most (move, choice, cessation)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

import numpy as np
import polars as pl

from dmpdata import reference
from dmpdata.generators.geography import department_index
from dmpdata.generators.sampling import EPOCH, GroupedChoice
from dmpdata.rng import stream
from dmpdata.scenario import Scenario

__all__ = ["PRIVATE", "MedecinTraitant", "declarations", "with_history"]

DAYS_PER_YEAR = 365.2425
# The patients frame carries the history in these private columns (dropped when the table is written): a first
# declaration and at most one later one, day ordinals as floats (inf = never).
PRIVATE = ("_mt1", "_mt1_from", "_mt1_until", "_mt1_end", "_mt2", "_mt2_from", "_mt2_until", "_mt2_end")


@dataclass(frozen=True)
class MedecinTraitant:
    """Each patient's médecin traitant by date: `first` in force over [first_from, first_until), `second` from
    second_from until second_until (ids, 0 = none; day ordinals, inf = never / still in force)."""

    first: np.ndarray
    first_from: np.ndarray
    first_until: np.ndarray
    second: np.ndarray
    second_from: np.ndarray
    second_until: np.ndarray

    @classmethod
    def of(cls, patients: pl.DataFrame) -> MedecinTraitant:
        """From a patients frame: its private history, else (a frame without it) gp_professional_id all along."""
        if PRIVATE[0] in patients.columns:
            cols = [patients[c].to_numpy() for c in PRIVATE]
            return cls(cols[0], cols[1], cols[2], cols[4], cols[5], cols[6])
        gp = patients["gp_professional_id"].fill_null(0).to_numpy()
        never = np.full(gp.size, np.inf)
        return cls(gp, np.full(gp.size, -np.inf), never, np.zeros_like(gp), never, never)

    def on(self, person: np.ndarray, day: np.ndarray) -> np.ndarray:
        """The médecin traitant (id, 0 = none) of each `person` (row) on `day` (day ordinal, float)."""
        d = np.floor(day)
        first = (d >= self.first_from[person]) & (d < self.first_until[person])
        second = (d >= self.second_from[person]) & (d < self.second_until[person])
        return np.where(first, self.first[person], np.where(second, self.second[person], 0))

    def ever(self) -> np.ndarray:
        """Whether each patient has a médecin traitant at some time of the period."""
        return (self.first > 0) | (self.second > 0)


@dataclass(frozen=True)
class _Candidates:
    """Who can be declared: the GPs (gp_eligible kinds) and the children's extra kinds, by département."""

    gp_rows: np.ndarray
    gps: GroupedChoice
    child_rows: list[np.ndarray]
    child: list[GroupedChoice]
    child_share: np.ndarray


_CANDIDATES: list = []  # [(professionals, result)]: the last workforce seen (one per process and scenario)


def _candidates(staff) -> _Candidates:
    if _CANDIDATES and _CANDIDATES[0][0] is staff.professionals:
        return _CANDIDATES[0][1]
    n_dept = staff.area.departments.height
    gp_kinds = reference.load("workforce_rules").filter(pl.col("gp_eligible"))["kind"].to_numpy()

    def chooser(kinds) -> tuple[np.ndarray, GroupedChoice]:
        rows = np.flatnonzero(np.isin(staff.kind, kinds) & (staff.dept >= 0))
        return rows, GroupedChoice(staff.dept[rows], np.ones(rows.size), n_dept)

    gp_rows, gps = chooser(gp_kinds)
    extra = reference.load("medecin_traitant_children")
    pairs = [chooser([kind]) for kind in extra["kind"]]
    result = _Candidates(
        gp_rows, gps, [r for r, _ in pairs], [c for _, c in pairs], extra["share"].to_numpy()
    )
    _CANDIDATES[:] = [(staff.professionals, result)]
    return result


def _pick(staff, dept: np.ndarray, child: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A médecin traitant (id) of the département for each person: a GP, or for a child one of the children's
    extra kinds (paediatricians) at its share where the département has one."""
    c = _candidates(staff)
    rows = c.gp_rows[c.gps.pick(dept, rng)]
    u = rng.random(dept.size)
    low = 0.0
    for kind_rows, chooser, share in zip(c.child_rows, c.child, c.child_share, strict=True):
        hit = child & (u >= low) & (u < low + share) & chooser.has(dept)
        rows[hit] = kind_rows[chooser.pick(dept[hit], rng)]
        low += share
    return staff.ids[rows]


_CESSATION: list = []  # [(professionals, (seed, start, stop), result)]: the last workforce and period seen


def _cessation_days(staff, seed: int, start: float, stop: float) -> np.ndarray:
    """The day each professional stops practising within the period (inf = not in it), per staff row; the same in
    every chunk (the workforce's own sub-stream).

    Only a doctor whose département keeps another GP to declare instead stops: a small scenario's workforce has a
    single GP in most départements (workforce_rules' floor), whose cessation would leave the whole département
    without a médecin traitant."""
    key = (seed, start, stop)
    if _CESSATION and _CESSATION[0][0] is staff.professionals and _CESSATION[0][1] == key:
        return _CESSATION[0][2]
    rng = stream(seed, "workforce", 0, 1)
    n = staff.ids.size
    years = (stop - start) / DAYS_PER_YEAR
    stops = rng.random(n) < 1 - np.exp(-_rates()["retirement"] * years)
    day = np.floor(start + rng.random(n) * (stop - start))
    c = _candidates(staff)
    gps_in = np.bincount(staff.dept[c.gp_rows], minlength=staff.area.departments.height)
    others = gps_in[np.maximum(staff.dept, 0)] - np.isin(np.arange(n), c.gp_rows)
    result = np.where(stops & (staff.dept >= 0) & (others >= 1), day, np.inf)
    _CESSATION[:] = [(staff.professionals, key, result)]
    return result


@cache
def _rates() -> dict[str, float]:
    table = reference.load("gp_declaration_end_reasons")
    return dict(zip(table["code"], table["rate_per_year"].fill_null(0.0), strict=True))


def _reason(code: str) -> int:
    return reference.codes("gp_declaration_end_reasons").index(code)


def with_history(scenario: Scenario, rng: np.random.Generator, staff, patients: pl.DataFrame) -> pl.DataFrame:
    """The patients with their médecin traitant history (private columns) and gp_professional_id the one in force
    at the period's end or at death.

    Adults keep the médecin traitant the population stage drew at the period's start; children (under
    gp_declared_min_age) get one at gp_declared_share_children, children born during the period within their first
    year. Every draw comes from `rng`, a sub-stream of its own, so that no other column changes."""
    n = patients.height
    start, stop = float(scenario.start.toordinal()), float(scenario.end.toordinal() + 1)
    birth = patients["birth_date"].cast(pl.Int32).to_numpy().astype(np.float64) + EPOCH
    dept = department_index(staff.area, patients["residence_department"])
    age = (start - birth) / DAYS_PER_YEAR
    child = age < reference.parameter("gp_declared_min_age")
    born = birth >= start
    first = patients["gp_professional_id"].fill_null(0).to_numpy().copy()
    declared = child & (rng.random(n) < reference.parameter("gp_declared_share_children"))
    first[declared] = _pick(staff, dept[declared], np.ones(declared.sum(), dtype=bool), rng)
    first_from = _declared_from(birth, born, start, rng)
    cessation = _cessation_days(staff, scenario.seed, start, stop)
    first[(first > 0) & (cessation[first - 1] <= first_from)] = 0  # nobody declares a doctor who has stopped
    h = _change(first, first_from, cessation, child, dept, staff, start, stop, rng)
    history = {"_mt1": first, "_mt1_from": np.where(first > 0, first_from, np.inf), **h}
    mt = MedecinTraitant.of(pl.DataFrame(history).select(PRIVATE))
    death = patients["death_date"].cast(pl.Int32).cast(pl.Float64).fill_null(np.inf).to_numpy() + EPOCH
    final = mt.on(np.arange(n), np.minimum(death, stop - 1))
    gp = pl.Series("gp_professional_id", final, dtype=pl.Int64)
    # The private columns beside gp_professional_id: the matricule pass then keeps the other columns' order.
    at = patients.get_column_index("gp_professional_id") + 1
    private = pl.DataFrame([pl.Series(k, history[k]) for k in PRIVATE])
    frame = patients.with_columns(gp.set(gp == 0, None))
    return pl.concat([frame[:, :at], private, frame[:, at:]], how="horizontal")


def _declared_from(birth: np.ndarray, born: np.ndarray, start: float, rng: np.random.Generator) -> np.ndarray:
    """The day a declaration standing at the period's start was made (uniform between the first day one could be,
    for an adult or a child, and the period's start), or a child born during the period's (within its first
    year)."""
    adults = float(dt.date(int(reference.parameter("gp_declaration_start_year_adults")), 1, 1).toordinal())
    children = float(
        dt.date(int(reference.parameter("gp_declaration_start_year_children")), 1, 1).toordinal()
    )
    earliest = np.minimum(np.maximum(adults, birth + 16 * DAYS_PER_YEAR), np.maximum(children, birth))
    earliest = np.minimum(earliest, start - 1)
    u = rng.random(birth.size)
    before = np.floor(earliest + u * (start - earliest))
    after = np.floor(birth + u * reference.parameter("gp_child_declaration_delay_max_days"))
    return np.where(born, after, before)


def _change(first, first_from, cessation, child, dept, staff, start, stop, rng) -> dict[str, np.ndarray]:
    """At most one change per patient: a move or a choice (the new médecin traitant the same day), or the doctor's
    cessation (a new one declared after a delay by a share of the patients)."""
    n = first.size
    rates = _rates()
    voluntary = rates["move"] + rates["choice"]
    begin = np.maximum(start, first_from)
    wish = np.floor(begin + rng.exponential(DAYS_PER_YEAR / voluntary, n))
    stops = np.where(first > 0, cessation[np.maximum(first, 1) - 1], np.inf)
    retired = stops <= wish
    end = np.where(first > 0, np.minimum(wish, stops), np.inf)
    end[end >= stop] = np.inf
    reason = np.where(
        retired,
        _reason("retirement"),
        np.where(rng.random(n) < rates["move"] / voluntary, _reason("move"), _reason("choice")),
    )
    second = _pick(staff, dept, child, rng)
    delay = np.floor(rng.random(n) * reference.parameter("gp_redeclare_delay_max_days"))
    second_from = np.where(retired, end + delay, end)
    redeclares = rng.random(n) < reference.parameter("gp_redeclared_after_cessation_share")
    # A change to the same doctor is no change; a voluntary one keeps the first declaration.
    same = second == first
    end[same & ~retired] = np.inf
    keep = np.isfinite(end) & ~same & (second_from < stop) & (~retired | redeclares)
    second_stop = cessation[second - 1]
    keep &= second_stop > second_from
    second_until = np.where(keep & (second_stop < stop), second_stop, np.inf)
    return {
        "_mt1_until": end,
        "_mt1_end": np.where(np.isfinite(end), reason, -1).astype(np.int8),
        "_mt2": np.where(keep, second, 0),
        "_mt2_from": np.where(keep, second_from, np.inf),
        "_mt2_until": second_until,
        "_mt2_end": np.where(np.isfinite(second_until), _reason("retirement"), -1).astype(np.int8),
    }


def declarations(patients: pl.DataFrame, scenario: Scenario) -> pl.DataFrame:
    """The gp_declarations rows of patients with a history (private columns): one per declaration in force at some
    time of the period, ended by a change, the doctor's cessation or death (declared_until = the last day in force;
    null when still in force at the period's end)."""
    stop = float(scenario.end.toordinal() + 1)
    death = patients["death_date"].cast(pl.Int32).cast(pl.Float64).fill_null(np.inf).to_numpy() + EPOCH
    pid = patients["patient_id"].to_numpy()
    blocks = []
    for k in ("_mt1", "_mt2"):
        who, since = patients[k].to_numpy(), patients[f"{k}_from"].to_numpy()
        until, end = patients[f"{k}_until"].to_numpy(), patients[f"{k}_end"].to_numpy().astype(np.int64)
        dies = death + 1 < until
        until, end = np.where(dies, death + 1, until), np.where(dies, _reason("death"), end)
        rows = np.flatnonzero((who > 0) & (since <= death) & (since < stop))
        still = ~dies[rows] & (until[rows] >= stop)  # a death on the period's last day still ends it
        blocks.append(
            pl.DataFrame(
                {
                    "patient_id": pid[rows],
                    "professional_id": who[rows].astype(np.int64),
                    "declared_from": (since[rows] - EPOCH).astype(np.int32),
                    "declared_until": np.where(still, 0, until[rows] - 1 - EPOCH).astype(np.int32),
                    "_still": still,
                    "end_reason": np.where(still, -1, end[rows]),
                }
            )
        )
    codes = pl.Series(reference.codes("gp_declaration_end_reasons"))
    frame = pl.concat(blocks).sort("patient_id", "declared_from")
    return frame.select(
        "patient_id",
        "professional_id",
        pl.col("declared_from").cast(pl.Date),
        pl.when(~pl.col("_still")).then(pl.col("declared_until").cast(pl.Date)).alias("declared_until"),
        pl.when(pl.col("end_reason") >= 0)
        .then(
            pl.col("end_reason").replace_strict(dict(enumerate(codes)), default=None, return_dtype=pl.String)
        )
        .alias("end_reason"),
    )
