"""Pathways stage: the care pathways (`dmpdata.pathways`, from dmpdata/pathways/*.toml) interpreted by one vectorised
engine -> encounters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

import numpy as np
import polars as pl

from dmpdata import reference
from dmpdata.generators.geography import Area, department_index
from dmpdata.generators.medecin_traitant import MedecinTraitant
from dmpdata.generators.sampling import (
    EPOCH,
    concat_columns,
    cumsum_rows,
    decoded,
    sort_rows,
    string_codes,
)
from dmpdata.pathways import Activity, Pathway, activity_ids, load_pathways, pathway_names
from dmpdata.scenario import Scenario
from dmpdata.schemas import code_dtypes

__all__ = ["CODE_COLUMNS", "codes_of", "generate_encounters"]

DAYS_PER_YEAR = 365.2425
FLU_SEASON = ((10, 15), (1, 31))  # campaign from 15 October to 31 January (Santé publique France / CNAM)


@cache
def _kind_table() -> dict[str, dict]:
    kinds = reference.load("encounter_kinds")
    return {row["kind"]: row for row in kinds.iter_rows(named=True)}


class _Names(NamedTuple):
    """The strings of the encounters' kind, pathway and activity columns, and the code of each (chunks carry codes)."""

    kinds: pl.Series
    pathways: pl.Series
    activities: pl.Series
    kind: dict[str, int]
    pathway: dict[str, int]
    activity: dict[str, int]
    dispensing_share: np.ndarray  # by kind code


@cache
def _names() -> _Names:
    kinds = list(_kind_table())
    pathways = ["", *pathway_names()]  # "" for dispensings, which follow any pathway
    activities = activity_ids()
    return _Names(
        pl.Series("kind", kinds, dtype=pl.String),
        pl.Series("pathway", pathways, dtype=pl.String),
        pl.Series("activity", activities, dtype=pl.String),
        {k: i for i, k in enumerate(kinds)},
        {p: i for i, p in enumerate(pathways)},
        {a: i for i, a in enumerate(activities)},
        np.array([_kind_table()[k]["dispensing_share"] for k in kinds], dtype=np.float64),
    )


def _flu_seasons(start: dt.date, end: dt.date) -> list[tuple[int, int]]:
    """(first day, last day + 1) ordinals of each flu campaign overlapping the period."""
    (m0, d0), (m1, d1) = FLU_SEASON
    out = []
    for year in range(start.year - 1, end.year + 1):
        lo = dt.date(year, m0, d0).toordinal()
        hi = dt.date(year + 1, m1, d1).toordinal() + 1
        lo, hi = max(lo, start.toordinal()), min(hi, end.toordinal() + 1)
        if lo < hi:
            out.append((lo, hi))
    return out


def _band_rates(activity: Activity, male: np.ndarray) -> np.ndarray:
    """Rate per year by [band, person] (one row per age band: the per-person work runs along contiguous rows)."""
    m = np.array([b[2] for b in activity.bands])
    f = np.array([b[3] for b in activity.bands])
    return np.where(male[None, :], m[:, None], f[:, None])


def _continuous_events(
    activity: Activity,
    idx: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    birth: np.ndarray,
    rates: np.ndarray,
    adherence: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Poisson events over each person's window [lo, hi), piecewise-constant rate by age band (`rates` by [band,
    person]). Arrays are [band, person]: every step runs along contiguous rows of people."""
    band_lo = np.array([b[0] for b in activity.bands], dtype=np.float64) * DAYS_PER_YEAR
    band_hi = (np.array([b[1] for b in activity.bands], dtype=np.float64) + 1) * DAYS_PER_YEAR
    seg_lo = np.maximum(lo[None, :], birth[None, :] + band_lo[:, None])
    seg_hi = np.minimum(hi[None, :], birth[None, :] + band_hi[:, None])
    overlap = np.clip(seg_hi - seg_lo, 0, None)
    weight = rates * overlap / DAYS_PER_YEAR * adherence[None, :]
    cum = cumsum_rows(weight)
    total = cum[-1]
    counts = rng.poisson(total)
    person = np.repeat(np.arange(idx.size), counts)
    if person.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    u = rng.random(person.size) * total[person]
    band = np.zeros(
        person.size, dtype=np.int64
    )  # bands whose cumulative rate is below u, counted band by band
    for row in cum:
        band += row[person] < u
    band = np.minimum(band, len(activity.bands) - 1)
    before = np.where(band > 0, cum[np.maximum(band - 1, 0), person], 0.0)
    within = (u - before) / np.maximum(weight[band, person], 1e-300)
    day = seg_lo[band, person] + np.clip(within, 0, 1) * overlap[band, person]
    return idx[person], day


def _seasonal_events(
    activities: list[Activity],
    idx: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    birth: np.ndarray,
    male: np.ndarray,
    adherence: np.ndarray,
    scenario: Scenario,
    rng: np.random.Generator,
) -> list[tuple[str, tuple[np.ndarray, np.ndarray]]]:
    """At most one event per person and flu campaign for a pathway's seasonal activities together: probability
    = the sum of their band rates (coverages) × adherence, the activity (who vaccinates) in proportion to its rate."""
    people = {a.id: [] for a in activities}
    days = {a.id: [] for a in activities}
    if activities:
        for s_lo, s_hi in _flu_seasons(scenario.start, scenario.end):
            w_lo, w_hi = np.maximum(lo, s_lo), np.minimum(hi, s_hi)
            age = np.floor((s_lo - birth) / DAYS_PER_YEAR)
            rates = []
            for activity in activities:
                ages_lo = np.array([b[0] for b in activity.bands])
                band = np.clip(np.searchsorted(ages_lo, age, side="right") - 1, 0, len(activity.bands) - 1)
                rates.append(_band_rates(activity, male)[band, np.arange(idx.size)])
            cum = cumsum_rows(np.array(rates) * adherence[None, :])
            u = rng.random(idx.size)
            hit = (w_lo < w_hi) & (u < np.minimum(cum[-1], 1.0))
            which = (cum < u[None, :]).sum(axis=0)
            when = w_lo + rng.random(idx.size) * (w_hi - w_lo)
            for i, activity in enumerate(activities):
                chosen = hit & (which == i)
                people[activity.id].append(idx[chosen])
                days[activity.id].append(when[chosen])
    return [
        (
            a.id,
            (
                np.concatenate(people[a.id]) if people[a.id] else np.zeros(0, dtype=np.int64),
                np.concatenate(days[a.id]) if days[a.id] else np.zeros(0),
            ),
        )
        for a in activities
    ]


def generate_encounters(
    scenario: Scenario,
    rng: np.random.Generator,
    area: Area,
    staff,
    patients: pl.DataFrame,
    conditions: pl.DataFrame,
) -> pl.DataFrame:
    """Encounters of one chunk of patients, from every pathway file (ids local to the chunk, from 1).

    The frame also holds the private `CODE_COLUMNS` (integer codes of kind, pathway and activity, read by the later
    stages through `codes_of`); they are not part of the table and are dropped before it is written."""
    n = patients.height
    people = _People(
        birth=patients["birth_date"].cast(pl.Int32).to_numpy().astype(np.float64) + EPOCH,
        death=patients["death_date"].cast(pl.Int32).cast(pl.Float64).fill_null(np.inf).to_numpy() + EPOCH,
        male=(patients["sex"] == "M").to_numpy(),
        dept=department_index(area, patients["residence_department"]),
        mt=MedecinTraitant.of(patients),
        onset_by_code=_onsets(patients, conditions, "condition_code", _selected("conditions")),
        onset_by_pathology=_onsets(
            patients, _with_pathology(conditions), "pathology", _selected("pathologies")
        ),
    )
    start, stop = float(scenario.start.toordinal()), float(scenario.end.toordinal() + 1)
    blocks = []
    for pathway in load_pathways():
        idx, lo, hi, onset = _followed(pathway, people, n, start, stop)
        if idx.size == 0:
            continue
        window = _Window(lo[idx], hi[idx], onset[idx])
        blocks += _pathway_blocks(pathway, people, idx, window, staff, scenario, rng)
    if not blocks:
        return _empty()
    drawn = concat_columns(blocks)
    # One frame, each column in one piece: the sort below then gathers from contiguous arrays.
    encounters = pl.DataFrame(
        concat_columns([drawn, _dispensing(drawn, people.dept, people.death, stop, staff, rng)])
    ).with_columns(pl.col("start_at", "end_at").cast(pl.Datetime("us")))
    return _numbered(encounters, patients["patient_id"].to_numpy(), staff)


@dataclass(frozen=True)
class _People:
    """What the pathways read of a chunk's patients, by row: days as ordinals (death: inf when none)."""

    birth: np.ndarray
    death: np.ndarray
    male: np.ndarray
    dept: np.ndarray
    mt: MedecinTraitant  # the médecin traitant by date
    onset_by_code: dict[str, np.ndarray]
    onset_by_pathology: dict[str, np.ndarray]


class _Window(NamedTuple):
    """The followed patients' exposure [lo, hi) (day ordinals) and the onset their pathway counts from (inf if none)."""

    lo: np.ndarray
    hi: np.ndarray
    onset: np.ndarray


def _with_pathology(conditions: pl.DataFrame) -> pl.DataFrame:
    """The conditions with their `pathology`: the frame's own, else that of reference/conditions.csv; without either,
    no pathology (an empty frame)."""
    if "pathology" in conditions.columns:
        return conditions
    codes = reference.load("conditions")
    if "pathology" not in codes.columns:
        return conditions.clear().with_columns(pathology=pl.lit(None, pl.String))
    mapping = dict(zip(codes["condition_code"], codes["pathology"], strict=True))
    return conditions.with_columns(
        pathology=pl.col("condition_code").replace_strict(mapping, default=None, return_dtype=pl.String)
    )


@cache
def _selected(population_key: str) -> frozenset[str]:
    """The condition codes or pathologies (`population_key`) some pathway's population names."""
    return frozenset(v for p in load_pathways() for v in getattr(p, population_key))


def _onsets(
    patients: pl.DataFrame, conditions: pl.DataFrame, column: str, selected: frozenset[str]
) -> dict[str, np.ndarray]:
    """For each selected value of `column` (condition code or pathology), its earliest onset day (ordinal) by patient
    row; NaN for patients without it."""
    n = patients.height
    if not (n and conditions.height):
        return {}
    first_id = int(patients["patient_id"][0])
    keys = sorted(set(conditions[column].drop_nulls().unique().to_list()) & selected)
    earliest = (
        conditions.select(
            key=pl.col(column).replace_strict(
                keys, list(range(len(keys))), default=None, return_dtype=pl.Int64
            ),
            row=pl.col("patient_id") - first_id,
            onset=pl.col("onset_date").cast(pl.Int32).cast(pl.Float64) + EPOCH,
        )
        .drop_nulls("key")
        .group_by("key", "row")
        .agg(pl.col("onset").min())
    )
    table = np.full((len(keys), n), np.nan)
    table[earliest["key"].to_numpy(), earliest["row"].to_numpy()] = earliest["onset"].to_numpy()
    return {k: table[i] for i, k in enumerate(keys)}


def _pathway_onset(pathway: Pathway, people: _People, n: int) -> np.ndarray:
    """Each patient's earliest onset among the pathway's conditions and pathologies (NaN without any)."""
    onset = np.full(n, np.nan)
    for code in pathway.conditions:
        onset = np.fmin(onset, people.onset_by_code.get(code, onset))
    for pathology in pathway.pathologies:
        onset = np.fmin(onset, people.onset_by_pathology.get(pathology, onset))
    return onset


def _followed(
    pathway: Pathway, people: _People, n: int, start: float, stop: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(the rows of the patients the pathway follows, from when, until when, the onset): their condition or pathology
    since its onset, their sex, their ages, inside the period and their life."""
    birth = people.birth
    eligible = np.ones(n, dtype=bool)
    lo = np.maximum(start, birth)
    onset = np.full(n, np.inf)
    if pathway.conditions or pathway.pathologies:
        onset = _pathway_onset(pathway, people, n)
        eligible &= np.isfinite(onset)
        lo = np.maximum(lo, np.where(np.isfinite(onset), onset, lo))
    if pathway.sex != "any":
        eligible &= people.male == (pathway.sex == "M")
    hi = np.minimum(stop, people.death)
    lo = np.maximum(lo, birth + pathway.min_age * DAYS_PER_YEAR)
    hi = np.minimum(hi, birth + (pathway.max_age + 1) * DAYS_PER_YEAR)
    eligible &= lo < hi
    return np.flatnonzero(eligible), lo, hi, np.where(np.isfinite(onset), onset, np.inf)


def _onset_events(
    activity: Activity, idx: np.ndarray, window: _Window, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """One event on the onset day, with the activity's probability, for the patients whose onset falls inside their
    followed window (inside the period, alive, of the pathway's ages)."""
    inside = (window.onset >= window.lo) & (window.onset < window.hi)
    if activity.probability < 1:
        inside &= rng.random(idx.size) < activity.probability
    return idx[inside], window.onset[inside]


def _activity_window(activity: Activity, window: _Window) -> tuple[np.ndarray, np.ndarray]:
    """The followed window narrowed to the activity's years after the onset (empty windows have lo >= hi)."""
    if activity.years_after_onset is None:
        return window.lo, window.hi
    low, high = activity.years_after_onset
    lo = np.maximum(window.lo, window.onset + low * DAYS_PER_YEAR)
    hi = np.minimum(window.hi, window.onset + high * DAYS_PER_YEAR)
    return lo, np.maximum(hi, lo)


def _pathway_blocks(
    pathway, people: _People, idx, window: _Window, staff, scenario, rng
) -> list[dict[str, np.ndarray]]:
    """The encounters of one pathway's activities for the patients `idx` it follows over their window, with their
    professionals, activity by activity."""
    birth, male = people.birth[idx], people.male[idx]
    adherence = rng.beta(*pathway.adherence, idx.size) if pathway.adherence else np.ones(idx.size)
    seasonal = [a for a in pathway.activities if a.once_per_season]
    drawn = dict(_seasonal_events(seasonal, idx, window.lo, window.hi, birth, male, adherence, scenario, rng))
    blocks = []
    for activity in pathway.activities:
        if activity.once_per_season:
            person, day = drawn[activity.id]
        elif activity.at_onset:
            person, day = _onset_events(activity, idx, window, rng)
        else:
            lo, hi = _activity_window(activity, window)
            person, day = _continuous_events(
                activity, idx, lo, hi, birth, _band_rates(activity, male), adherence, rng
            )
        if person.size == 0:
            continue
        pros = _assign(activity, person, day, people, staff, rng)
        keep = pros >= 0
        person, day, pros = person[keep], day[keep], pros[keep]
        blocks.append(
            _block(
                pathway.name,
                activity.id,
                activity.encounter,
                person,
                day,
                pros,
                rng,
                duration=(activity.duration_mean, activity.duration_min),
            )
        )
    return blocks


def _numbered(encounters: pl.DataFrame, ids: np.ndarray, staff) -> pl.DataFrame:
    """The encounters in (patient, start) order, numbered in it, with their ids, codes and the encounter a
    dispensing follows."""
    if not bool(np.all(ids[1:] > ids[:-1])):
        raise ValueError("generate_encounters: patient ids must increase row by row, as a chunk's do")
    # A stable sort by (patient, start): encounters at the same time keep their row order (`_key`). Patient ids grow
    # with the patients' rows, so the rows stand for them; the frame carries only small codes and staff rows through
    # the sort, and the ids are looked up after it.
    encounters = sort_rows(encounters.with_row_index("_key"), "_row", "start_at")
    pros = encounters["_pros"].to_numpy()
    # encounter_id: the rank in that order; a dispensing follows the encounter at row `_follows` before the sort.
    id_of_row = np.empty(encounters.height, dtype=np.int64)
    id_of_row[encounters["_key"].to_numpy()] = np.arange(1, encounters.height + 1)
    follows = encounters["_follows"].to_numpy()
    names = _names()
    codes = code_dtypes("encounters")
    return encounters.with_columns(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("encounter_id"),
        pl.Series("patient_id", ids[encounters["_row"].to_numpy()]),
        pl.Series("professional_id", staff.ids[pros]),
        pl.Series("organization_id", staff.org[pros]),
        pl.when(pl.col("_follows") >= 0)
        .then(pl.Series(id_of_row[np.maximum(follows, 0)]))
        .alias("follows_encounter_id"),
        decoded(names.kinds, "_kind", codes["kind"]).alias("kind"),
        # (the "" of dispensings never remains: each takes the pathway it follows)
        decoded(names.pathways.replace("", None), "_pathway", codes["pathway"]).alias("pathway"),
        decoded(names.activities, "_activity", codes["activity"]).alias("activity"),
    ).select(*ENCOUNTER_COLUMNS, *CODE_COLUMNS)


ENCOUNTER_COLUMNS = [
    "encounter_id",
    "patient_id",
    "professional_id",
    "organization_id",
    "kind",
    "pathway",
    "activity",
    "start_at",
    "end_at",
    "prescribes_drugs",
    "follows_encounter_id",
]
_US_PER_DAY = 86_400_000_000
DAY_HOURS = (
    8,
    19,
)  # consultations and tests happen between 8:00 and 19:00; stays and emergencies at any hour


# Private columns of generate_encounters' frame (dropped when written): the codes of kind, pathway and activity, so
# that later stages compare integers without re-encoding the strings (see `codes_of`).
CODE_COLUMNS = ["_kind", "_pathway", "_activity"]


def codes_of(encounters: pl.DataFrame, column: str) -> tuple[np.ndarray, dict[str, int]]:
    """Integer codes of the encounters' `kind`, `pathway` or `activity` and the code of each value: the private code
    column of a frame from generate_encounters, or codes computed from the strings of any other frame."""
    if f"_{column}" in encounters.columns:
        names = _names()
        mapping = {"kind": names.kind, "pathway": names.pathway, "activity": names.activity}[column]
        return encounters[f"_{column}"].to_numpy(), mapping
    return string_codes(encounters[column])


def _empty() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "encounter_id": pl.Int64,
            "patient_id": pl.Int64,
            "professional_id": pl.Int64,
            "organization_id": pl.Int64,
            "kind": pl.String,
            "pathway": pl.String,
            "activity": pl.String,
            "start_at": pl.Datetime("us"),
            "end_at": pl.Datetime("us"),
            "prescribes_drugs": pl.Boolean,
            "follows_encounter_id": pl.Int64,
            "_kind": pl.Int32,
            "_pathway": pl.Int32,
            "_activity": pl.Int32,
        }
    )


def _assign(
    activity: Activity, person: np.ndarray, day: np.ndarray, people: _People, staff, rng: np.random.Generator
) -> np.ndarray:
    """Professional rows: the médecin traitant in force on the event's day for most GP contacts, else someone
    suitable nearby."""
    hint, dept = activity.professional, people.dept
    if activity.encounter == "gp_visit" or hint == "gp":
        rows = staff.pick(dept[person], rng, "gp_visit")
        gp = people.mt.on(person, day)
        own = (gp > 0) & (rng.random(person.size) < reference.parameter("gp_visit_own_gp_share"))
        rows[own] = staff.row_of(gp[own])
        return rows
    return staff.pick(dept[person], rng, activity.encounter, activity.specialty, activity.setting, hint)


def _timestamps(day: np.ndarray, kind: str, rng: np.random.Generator) -> np.ndarray:
    """Microseconds since 1970 for events on the given day ordinals, at a plausible hour."""
    base = (np.floor(day) - EPOCH).astype(np.int64) * _US_PER_DAY
    if _kind_table()[kind]["sector"] == "etablissement":
        seconds = rng.random(day.size) * 86_400
    else:
        seconds = DAY_HOURS[0] * 3600 + rng.random(day.size) * (DAY_HOURS[1] - DAY_HOURS[0]) * 3600
    return base + (seconds * 1e6).astype(np.int64)


def _block(
    pathway: str,
    activity: str,
    kind: str,
    person: np.ndarray,
    day: np.ndarray,
    pros: np.ndarray,
    rng: np.random.Generator,
    *,
    duration: tuple[float, float] = (0.0, 0.0),
    follows=None,
) -> dict[str, np.ndarray]:
    """The columns of one activity's encounters (times in µs since 1970), before their chunk's sort."""
    start = _timestamps(day, kind, rng)
    mean, low = duration
    if mean > 0:
        los = low + np.floor(rng.exponential(max(mean - low, 1e-9), person.size))
        end = (
            start
            + (los * _US_PER_DAY).astype(np.int64)
            + (rng.random(person.size) * 8 * 3600e6).astype(np.int64)
        )
    else:
        end = start + int(20 * 60e6)
    share = _kind_table()[kind]["prescribes_drugs_share"]
    names = _names()
    return {
        "_row": person.astype(np.int64),
        "_pros": pros.astype(np.int32),  # staff rows: professional and organisation ids once sorted
        # Codes into `_names()`, turned into strings once the chunk's encounters are sorted.
        "_kind": np.full(person.size, names.kind[kind], dtype=np.int32),
        "_pathway": np.full(person.size, names.pathway[pathway], dtype=np.int32),
        "_activity": np.full(person.size, names.activity[activity], dtype=np.int32),
        "start_at": start.astype(np.int64),
        "end_at": end.astype(np.int64),
        "prescribes_drugs": rng.random(person.size) < share,
        "_follows": np.full(person.size, -1, dtype=np.int64) if follows is None else follows,
    }


def _dispensing(
    encounters: dict[str, np.ndarray],
    dept: np.ndarray,
    death: np.ndarray,
    stop: float,
    staff,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """A pharmacy dispensing follows most drug prescriptions within a few days (encounter_kinds.dispensing_share)."""
    share = _names().dispensing_share[encounters["_kind"]]
    source = np.flatnonzero(encounters["prescribes_drugs"] & (rng.random(encounters["_kind"].size) < share))
    person = encounters["_row"][source]
    end_us = encounters["end_at"][source]
    day = (
        end_us / _US_PER_DAY
        + EPOCH
        + rng.random(source.size) * reference.parameter("dispensing_delay_max_days")
    )
    keep = day < np.minimum(stop, death[person])
    source, person, day = source[keep], person[keep], day[keep]
    pros = staff.pick(dept[person], rng, "dispensing")
    ok = pros >= 0
    block = _block(
        "",
        "dispensing",
        "dispensing",
        person[ok],
        day[ok],
        pros[ok],
        rng,
        follows=source[ok].astype(np.int64),
    )
    block["_pathway"] = encounters["_pathway"][source[ok]]
    return block
