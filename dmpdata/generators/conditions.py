"""Conditions stage: each patient's pathologies (CNAM cartographie groups) with CIM-10 code, onset, ALD and weight on death."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import polars as pl

from dmpdata import reference
from dmpdata.generators.population import DAYS_PER_YEAR, EPOCH
from dmpdata.generators.sampling import GroupedChoice, as_dates
from dmpdata.scenario import Scenario

__all__ = ["generate_conditions", "mortality_multiplier", "pathology_of_code"]

AGES = 105  # ages 0..104, the last one open
CLUSTERS = ("none", "cardiometabolic", "mental")


@dataclass(frozen=True)
class _Tables:
    """The pathologies as arrays indexed [pathology] or [pathology, is_male, age]."""

    ids: tuple[str, ...]
    prevalence: (
        np.ndarray
    )  # probability before the frailty, so that the mean over frailties is the published one
    incidence: np.ndarray  # yearly hazard among people without the pathology
    loading: np.ndarray
    cluster: np.ndarray  # index into CLUSTERS
    log_rr: np.ndarray
    ald_share: np.ndarray
    ald_number: np.ndarray  # 0 = no ALD
    ald_until: np.ndarray  # day ordinal of the last admission allowed (inf = open)
    departments: tuple[str, ...]  # the INSEE department codes, the columns of `department_factor`
    department_factor: np.ndarray  # [pathology, department]: prevalence ratio to France as a whole
    duration_days: np.ndarray
    codes: pl.Series  # CIM-10 codes, the vocabulary of code picks
    code_choice: GroupedChoice  # group = pathology * 2 + is_male


def _curves(ids: tuple[str, ...]) -> np.ndarray:
    """Published prevalence [pathology, is_male, age] from the age × sex bands of pathology_prevalence."""
    table = reference.load("pathology_prevalence")
    out = np.zeros((len(ids), 2, AGES))
    index = {p: i for i, p in enumerate(ids)}
    for row in table.iter_rows(named=True):
        out[index[row["pathology"]], int(row["sex"] == "M"), row["age_min"] : row["age_max"] + 1] = row[
            "prevalence"
        ]
    return out


def _frailty_sample(loading: np.ndarray, cluster: np.ndarray, size: int = 2048) -> np.ndarray:
    """A fixed sample [pathology, size] of the frailty multiplier `_frailty` draws: the quadrature of its mean."""
    rng = np.random.default_rng(0)
    shared, clusters = _gammas(rng, size)
    return _multipliers(loading, cluster, shared, clusters)


def _calibrated(published: np.ndarray, sample: np.ndarray) -> np.ndarray:
    """Probabilities p* with mean(min(1, p* × m)) = published over the frailty sample m (bisection, cells where the
    cap binds only: elsewhere p* = published, since the frailty's mean is 1)."""
    out = published.copy()
    peak = sample.max(axis=1)
    for i in range(published.shape[0]):
        cells = np.flatnonzero(published[i].ravel() * peak[i] > 1)
        if not cells.size:
            continue
        target = published[i].ravel()[cells]
        low, high = target.copy(), np.ones_like(target) / max(sample[i].min(), 1e-9)
        for _ in range(40):
            mid = (low + high) / 2
            mean = np.minimum(1.0, mid[:, None] * sample[i][None, :]).mean(axis=1)
            low, high = np.where(mean < target, mid, low), np.where(mean < target, high, mid)
        out[i].ravel()[cells] = (low + high) / 2
    return out


def _incidence(published: np.ndarray, log_rr: np.ndarray) -> np.ndarray:
    """Yearly onset hazard among people without the pathology that keeps its prevalence by age as cohorts age:
    dP/da = I (1 - P) - P μ (RR - 1), with P interpolated linearly between the bands' middles and μ the INSEE hazard.
    Where the prevalence falls with age the hazard is 0 (no remission is simulated)."""
    from dmpdata.generators.population import mortality_hazards

    ages = np.arange(AGES, dtype=np.float64)
    smooth = np.empty_like(published)
    for i in np.ndindex(published.shape[:2]):
        curve = published[i]
        starts = np.flatnonzero(np.r_[True, curve[1:] != curve[:-1]])
        ends = np.r_[starts[1:], AGES] - 1
        middles = (starts + ends) / 2
        smooth[i] = np.interp(ages, middles, curve[starts])
    slope = np.diff(smooth, axis=2, append=smooth[:, :, -1:])
    mu = mortality_hazards().reshape(2, AGES)[None]
    excess = smooth * mu * (np.exp(log_rr)[:, None, None] - 1)
    return np.maximum(slope + excess, 0) / np.maximum(1 - smooth, 1e-6)


@cache
def _tables() -> _Tables:
    table = reference.load("pathologies")
    ids = tuple(table["pathology"].to_list())
    loading = table["frailty_loading"].to_numpy().astype(np.float64)
    cluster = np.array([CLUSTERS.index(c) for c in table["cluster"]], dtype=np.int64)
    log_rr = np.log(table["mortality_rr"].to_numpy().astype(np.float64))
    published = _curves(ids)
    codes, code_choice = _code_choice(ids)
    until = table["ald_open_until"].cast(pl.Int32).cast(pl.Float64).fill_null(np.inf).to_numpy() + EPOCH
    return _Tables(
        ids=ids,
        prevalence=_calibrated(published, _frailty_sample(loading, cluster)),
        incidence=_incidence(published, log_rr),
        loading=loading,
        cluster=cluster,
        log_rr=log_rr,
        ald_share=table["ald_share"].to_numpy().astype(np.float64),
        ald_number=table["ald_number"].fill_null(0).to_numpy().astype(np.int64),
        ald_until=until,
        departments=tuple(reference.load("departments")["code"].to_list()),
        department_factor=_department_factors(ids),
        duration_days=table["mean_duration_years"].to_numpy().astype(np.float64) * DAYS_PER_YEAR,
        codes=codes,
        code_choice=code_choice,
    )


def _code_choice(ids: tuple[str, ...]) -> tuple[pl.Series, GroupedChoice]:
    """(the CIM-10 codes a person of each sex can be coded with, F's then M's; the weighted pick among them by
    group pathology × 2 + is_male)."""
    codes = reference.load("conditions")
    pathology = np.array([ids.index(p) for p in codes["pathology"]], dtype=np.int64)
    groups, weights, rows = [], [], []
    for sex, is_male in (("F", 0), ("M", 1)):
        allowed = codes["sex"].is_in(["any", sex]).to_numpy()
        rows.append(np.flatnonzero(allowed))
        groups.append(pathology[allowed] * 2 + is_male)
        weights.append(codes["weight"].to_numpy()[allowed])
    vocabulary = codes["condition_code"].gather(np.concatenate(rows))
    return vocabulary, GroupedChoice(np.concatenate(groups), np.concatenate(weights), 2 * len(ids))


def _department_factors(ids: tuple[str, ...]) -> np.ndarray:
    """[pathology, department] prevalence ratios of pathology_departments; the departments without a row of a
    pathology share the factor that keeps its population-weighted mean at 1 (INSEE 2025 department populations)."""
    codes = reference.load("departments")["code"].to_list()
    population = (
        reference.load("population_department_age_sex").group_by("department").agg(pl.col("population").sum())
    )
    weight = np.zeros(len(codes))
    weight[[codes.index(d) for d in population["department"]]] = population["population"].to_numpy()
    weight /= weight.sum()
    out = np.ones((len(ids), len(codes)))
    rows = reference.load("pathology_departments")
    for pathology, group in rows.group_by("pathology", maintain_order=True):
        i, listed = ids.index(pathology[0]), [codes.index(d) for d in group["department"]]
        others = np.setdiff1d(np.arange(len(codes)), listed)
        out[i, listed] = group["factor"].to_numpy()
        out[i, others] = (1 - weight[listed] @ out[i, listed]) / weight[others].sum()
    return out


@cache
def pathology_of_code() -> dict[str, str]:
    """CIM-10 code -> pathology id."""
    codes = reference.load("conditions")
    return dict(zip(codes["condition_code"], codes["pathology"], strict=True))


def _gammas(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The shared frailty (n) and the clusters' frailties (clusters × n): gamma, mean 1."""
    k, kc = (
        reference.parameter("multimorbidity_frailty_shape"),
        reference.parameter("multimorbidity_cluster_shape"),
    )
    shared = rng.gamma(k, 1 / k, n)
    clusters = np.vstack([np.ones(n), rng.gamma(kc, 1 / kc, (len(CLUSTERS) - 1, n))])
    return shared, clusters


def _multipliers(
    loading: np.ndarray, cluster: np.ndarray, shared: np.ndarray, clusters: np.ndarray
) -> np.ndarray:
    """[pathology, n]: (1 - λ) + λ W with W = shared × cluster frailty: mean 1, so prevalences keep their level, and
    people with a high W gather pathologies (co-occurrence beyond what age and sex explain)."""
    w = shared[None, :] * clusters[cluster]
    return (1 - loading[:, None]) + loading[:, None] * w


def _factors(scenario: Scenario, t: _Tables) -> np.ndarray:
    """The scenario's prevalence_factor per pathology (keys: pathology ids, or CIM-10 codes for their pathology)."""
    out = np.ones(len(t.ids))
    for key, factor in scenario.prevalence_factor.items():
        out[t.ids.index(pathology_of_code().get(key, key))] *= factor
    return out


def _age_at_start(scenario: Scenario, birth: np.ndarray) -> np.ndarray:
    """Whole years at the period's start (0 for children born later), capped at 104."""
    return np.clip((scenario.start.toordinal() - birth) / DAYS_PER_YEAR, 0, AGES - 1).astype(np.int64)


def _local(t: _Tables, department: pl.Series) -> np.ndarray:
    """[pathology, n]: the prevalence ratio of each person's department of residence."""
    lookup = {code: i for i, code in enumerate(t.departments)}
    return t.department_factor[:, department.replace_strict(lookup, return_dtype=pl.Int64).to_numpy()]


def _prevalent(
    scenario: Scenario, rng: np.random.Generator, birth: np.ndarray, male: np.ndarray, department: pl.Series
) -> tuple[np.ndarray, np.ndarray]:
    """(present [pathology, n] at the period's start, frailty multipliers [pathology, n]): the stream's first draws,
    so that the population stage (for deaths) and this stage (for the table) draw the same. The multipliers carry
    the department's prevalence ratio, so that incidence follows it too."""
    t = _tables()
    m = _multipliers(t.loading, t.cluster, *_gammas(rng, birth.size)) * _local(t, department)
    p = (
        t.prevalence[:, male.astype(np.int64), _age_at_start(scenario, birth)]
        * _factors(scenario, t)[:, None]
        * m
    )
    return rng.random(p.shape) < p, m


def mortality_multiplier(
    scenario: Scenario, rng: np.random.Generator, birth: np.ndarray, male: np.ndarray, department: pl.Series
) -> np.ndarray:
    """Each person's death hazard multiplier: the product of the hazard ratios of their pathologies at the period's
    start, scaled per age and sex so that the chunk's people of each age and sex die over the period as often as the
    INSEE life table says, while deaths gather on the sick. `rng` is the conditions stage's stream of the chunk."""
    present, _ = _prevalent(scenario, rng, birth, male, department)
    ratio = np.exp(_tables().log_rr @ present)
    cell = male.astype(np.int64) * AGES + _age_at_start(scenario, birth)
    return ratio / _scales(ratio, cell, _period_hazards(scenario))[cell]


def _period_hazards(scenario: Scenario) -> np.ndarray:
    """Cumulative INSEE death hazard over the period [is_male * AGES + age at its start]."""
    from dmpdata.generators.population import mortality_hazards

    yearly = mortality_hazards().reshape(2, AGES)
    years = (scenario.end.toordinal() + 1 - scenario.start.toordinal()) / DAYS_PER_YEAR
    ages = np.arange(AGES)
    out = np.zeros((2, AGES))
    for y in range(int(np.ceil(years))):
        out += yearly[:, np.minimum(ages + y, AGES - 1)] * min(1.0, years - y)
    return out.ravel()


def _scales(ratio: np.ndarray, cell: np.ndarray, hazard: np.ndarray) -> np.ndarray:
    """Per cell, the scale s with mean(1 - exp(-H ratio / s)) = 1 - exp(-H): the period's death probability of the
    life table (bisection on log s; the mean of the ratio alone would under-count deaths, the frail dying first)."""
    counts = np.maximum(np.bincount(cell, minlength=hazard.size), 1)
    target = 1 - np.exp(-hazard)
    low, high = np.full(hazard.size, -8.0), np.full(hazard.size, 8.0)
    for _ in range(40):
        mid = (low + high) / 2
        dead = np.bincount(cell, -np.expm1(-hazard[cell] * ratio / np.exp(mid[cell])), hazard.size) / counts
        low, high = np.where(dead > target, mid, low), np.where(dead > target, high, mid)
    return np.exp((low + high) / 2)


def _onsets(
    scenario: Scenario,
    rng: np.random.Generator,
    present: np.ndarray,
    m: np.ndarray,
    birth: np.ndarray,
    male: np.ndarray,
    death: np.ndarray,
) -> np.ndarray:
    """Onset day ordinals [pathology, n] (NaN = no pathology): before the start for prevalent cases (exponential
    time since onset), inside the period for incident ones (age-specific hazard × frailty), before death."""
    t = _tables()
    start, stop = scenario.start.toordinal(), scenario.end.toordinal() + 1
    last = np.fmin(death, stop)  # exclusive: the onset precedes the death day... or the period's end
    years = (stop - start) / DAYS_PER_YEAR
    mid_age = np.minimum(_age_at_start(scenario, birth) + int(years // 2), AGES - 1)
    hazard = (
        t.incidence[:, male.astype(np.int64), mid_age] * _factors(scenario, t)[:, None] * m / DAYS_PER_YEAR
    )
    wait = rng.standard_exponential(present.shape) / np.maximum(hazard, 1e-300)
    incident = np.maximum(start + 1, birth)[None, :] + np.floor(np.minimum(wait, 1e9))
    since = np.floor(rng.standard_exponential(present.shape) * t.duration_days[:, None])
    prevalent = np.clip(start - since, birth, np.maximum(np.minimum(last - 1, start), birth))
    return np.where(present, prevalent, np.where(incident < last, incident, np.nan))


def generate_conditions(scenario: Scenario, rng: np.random.Generator, patients: pl.DataFrame) -> pl.DataFrame:
    """One row per patient × pathology present at the period's start or starting during it (before death): its
    CIM-10 code, onset, and ALD exonération (admission after onset, while the ALD admitted new cases)."""
    t = _tables()
    birth = patients["birth_date"].cast(pl.Int32).to_numpy().astype(np.float64) + EPOCH
    male = (patients["sex"] == "M").to_numpy()
    death = patients["death_date"].cast(pl.Int32).cast(pl.Float64).fill_null(np.inf).to_numpy() + EPOCH
    present, m = _prevalent(scenario, rng, birth, male, patients["residence_department"])
    onset = _onsets(scenario, rng, present, m, birth, male, death)
    path, row = np.nonzero(~np.isnan(onset))  # pathology-major
    onset = onset[path, row]
    code = t.code_choice.pick(path * 2 + male[row].astype(np.int64), rng)
    admitted = onset + np.floor(
        rng.exponential(reference.parameter("ald_admission_delay_years"), row.size) * DAYS_PER_YEAR
    )
    ald = (
        (rng.random(row.size) < t.ald_share[path])
        & (t.ald_number[path] > 0)
        & (admitted <= np.fmin(death[row], scenario.end.toordinal()))
        & (admitted <= t.ald_until[path])
    )
    dates = as_dates({"onset_date": onset, "ald_start_date": np.where(ald, admitted, np.nan)})
    frame = pl.DataFrame(
        {
            "patient_id": patients["patient_id"].gather(row),
            "condition_code": t.codes.gather(code),
            "ald": pl.Series(ald),
            "onset_date": dates["onset_date"],
            "pathology": pl.Series(t.ids, dtype=pl.String).gather(path),
            "ald_number": pl.Series(np.where(ald, t.ald_number[path], 0), dtype=pl.Int8),
            "ald_start_date": dates["ald_start_date"],
        }
    )
    frame = frame.with_columns(pl.when(pl.col("ald")).then(pl.col("ald_number")).alias("ald_number"))
    return frame.sort("patient_id", "condition_code")
