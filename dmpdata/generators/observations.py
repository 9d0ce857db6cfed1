"""Observations stage: coded results (LOINC) with per-patient trajectories, linked to encounter and lab report."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import polars as pl

from dmpdata import reference
from dmpdata.generators.pathways import codes_of
from dmpdata.generators.sampling import EPOCH, decoded
from dmpdata.keys import dense_start
from dmpdata.pathways import load_pathways
from dmpdata.scenario import Scenario
from dmpdata.schemas import code_dtypes

__all__ = ["ckd_epi_2009", "generate_observations"]

LAB_REPORT = "11502-2"
US_PER_DAY = 86_400_000_000


def _lab_reports(documents: pl.DataFrame, enc_id: np.ndarray) -> pl.Series:
    """The lab report of each encounter (by encounter row; null when none): the first document_id among the
    original (not replacing) lab reports written for it."""
    lab = documents.select(
        pl.col("encounter_id"),
        pl.col("document_id"),
        (
            (pl.col("type_code") == LAB_REPORT)
            & pl.col("encounter_id").is_not_null()
            & pl.col("replaces_document_id").is_null()
        ).alias("lab"),
    ).filter("lab")
    first = dense_start(pl.Series(enc_id)) if enc_id.size else 1
    if first is None:
        raise ValueError(
            "generate_observations: the encounters are not numbered in row order, as generate_encounters "
            "numbers them"
        )
    rows = lab["encounter_id"].to_numpy() - first
    none = np.iinfo(np.int64).max
    report = np.full(enc_id.size, none, dtype=np.int64)
    np.minimum.at(report, rows, lab["document_id"].to_numpy())
    return pl.Series("document_id", report).set(pl.Series(report == none), None)


def ckd_epi_2009(creatinine_umol: np.ndarray, age: np.ndarray, male: np.ndarray) -> np.ndarray:
    """eGFR (mL/min/1.73 m²) by CKD-EPI 2009 without the ethnicity factor (French practice)."""
    scr = np.asarray(creatinine_umol) / 88.4
    kappa = np.where(male, 0.9, 0.7)
    alpha = np.where(male, -0.411, -0.329)
    ratio = scr / kappa
    egfr = 141 * np.minimum(ratio, 1) ** alpha * np.maximum(ratio, 1) ** -1.209 * 0.993 ** np.asarray(age)
    return egfr * np.where(male, 1.0, 1.018)


@cache
def _activity_codes() -> dict[tuple[str, str], tuple[str, ...]]:
    """(pathway, activity) -> the LOINC codes that activity measures."""
    return {(p.name, a.id): a.observations for p in load_pathways() for a in p.activities if a.observations}


@cache
def _vocabularies() -> tuple[list[str], list[str]]:
    """Every LOINC code the pathways measure and every unit of observation_types, each sorted."""
    codes = sorted({c for codes in _activity_codes().values() for c in codes})
    return codes, sorted(set(reference.load("observation_types")["unit"].drop_nulls()))


@cache
def _models() -> dict[tuple[str, str], dict]:
    table = reference.load("observation_types")
    return {(r["loinc_code"], r["population"]): r for r in table.iter_rows(named=True)}


def _model_rows(code: str, conditions_of: dict[str, np.ndarray], n: int) -> list[tuple[dict, np.ndarray]]:
    """Which distribution applies to each patient: a condition-specific row when they have it, else default."""
    models = _models()
    default = np.ones(n, dtype=bool)
    out = []
    for (loinc, population), row in models.items():
        if loinc != code or population == "default":
            continue
        mask = conditions_of.get(population, np.zeros(n, dtype=bool)) & default
        out.append((row, mask))
        default &= ~mask
    if (code, "default") in models:
        out.append((models[(code, "default")], default))
    return out


@dataclass(frozen=True)
class _Level:
    """One code's per-patient draw: level (log scale when lognormal), yearly trend, bounds, visit noise."""

    level: np.ndarray
    trend: np.ndarray
    lognormal: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    sd_within: np.ndarray
    decimals: int
    unit: str


@dataclass(frozen=True)
class _Events:
    """The events of a block: patient row, years since the period's start, age."""

    person: np.ndarray
    years: np.ndarray
    age: np.ndarray


def _levels(
    code: str, rng: np.random.Generator, male: np.ndarray, conditions_of: dict[str, np.ndarray]
) -> _Level:
    """Each patient's level of `code`, from the distribution of their population (a pathology's row, else default)."""
    n = male.size
    level, trend, sd = np.zeros(n), np.zeros(n), np.zeros(n)
    lognormal = np.zeros(n, dtype=bool)
    lo, hi, decimals, unit = np.full(n, -np.inf), np.full(n, np.inf), 2, ""
    z_between = rng.normal(0, 1, n)
    for row, mask in _model_rows(code, conditions_of, n):
        mean = np.where(male, row["mean_M"], row["mean_F"])
        log = row["distribution"] == "lognormal"
        level = np.where(mask, (np.log(mean) if log else mean) + row["sd_between"] * z_between, level)
        trend = np.where(mask, row["trend_per_year"], trend)
        lognormal = np.where(mask, log, lognormal)
        lo, hi = np.where(mask, row["min_value"], lo), np.where(mask, row["max_value"], hi)
        sd = np.where(mask, row["sd_within"], sd)
        decimals, unit = int(row["decimals"]), row["unit"]
    return _Level(level, trend, lognormal, lo, hi, sd, decimals, unit)


def _at(lv: _Level, rng: np.random.Generator, at: _Events) -> np.ndarray:
    """The values at the events: patient level + trend + visit noise, rounded within the bounds."""
    p = at.person
    value = lv.level[p] + lv.sd_within[p] * rng.normal(0, 1, p.size)
    value = np.where(lv.lognormal[p], np.exp(value), value) + lv.trend[p] * at.years
    return _round_within(value, lv.lo[p], lv.hi[p], lv.decimals)


def _round_within(value: np.ndarray, lo: np.ndarray, hi: np.ndarray, decimals: int) -> np.ndarray:
    """Round to `decimals`, staying inside [lo, hi] (bounds rounded inwards)."""
    scale = 10.0**decimals
    return np.clip(np.round(value, decimals), np.ceil(lo * scale) / scale, np.floor(hi * scale) / scale)


def generate_observations(
    scenario: Scenario,
    rng: np.random.Generator,
    patients: pl.DataFrame,
    conditions: pl.DataFrame,
    encounters: pl.DataFrame,
    documents: pl.DataFrame,
) -> pl.DataFrame:
    """Results of the encounters whose activity measures something (observations = [...] in pathway files)."""
    first_id = int(patients["patient_id"][0]) if patients.height else 0
    male = (patients["sex"] == "M").to_numpy()
    birth = patients["birth_date"].cast(pl.Int32).to_numpy().astype(np.float64) + EPOCH
    conditions_of = _conditions_of(patients, conditions, first_id)
    measuring = _measuring_rows(encounters)
    if not measuring:
        return _empty()
    enc_person = encounters["patient_id"].to_numpy() - first_id
    day = encounters["start_at"].cast(pl.Int64).to_numpy() / US_PER_DAY + EPOCH
    # Each patient's level of a code is drawn once (codes in sorted order), whichever pathway measures it; each
    # event then adds its own visit noise.
    drawn = sorted({_derived().get(c, c).split()[0] for _, codes in measuring for c in codes})
    levels = {code: _levels(code, rng, male, conditions_of) for code in drawn}
    loinc_codes, units = _vocabularies()
    blocks = []
    for rows, codes in measuring:
        person = enc_person[rows]
        at = _Events(
            person,
            (day[rows] - scenario.start.toordinal()) / 365.2425,
            (day[rows] - birth[person]) / 365.2425,
        )
        measured: dict[str, np.ndarray] = {}
        for code in codes:
            value, unit = _measure(code, measured, levels, rng, at, male[person])
            # Codes into the sorted vocabularies (the same order as the strings): strings once sorted.
            blocks.append((rows, loinc_codes.index(code), value.astype(np.float64), units.index(unit)))
    return _frame(blocks, encounters, documents, first_id)


def _conditions_of(patients: pl.DataFrame, conditions: pl.DataFrame, first_id: int) -> dict[str, np.ndarray]:
    """For each pathology, whether each patient of the chunk (by row) has it."""
    n = patients.height
    conditions_of = {}
    for pathology in conditions["pathology"].unique().to_list():
        mask = np.zeros(n, dtype=bool)
        mask[conditions.filter(pl.col("pathology") == pathology)["patient_id"].to_numpy() - first_id] = True
        conditions_of[pathology] = mask
    return conditions_of


def _measuring_rows(encounters: pl.DataFrame) -> list[tuple[np.ndarray, tuple[str, ...]]]:
    """(the encounters' rows, the LOINC codes measured) for each (pathway, activity) that measures something."""
    # One integer per (pathway, activity) of the encounters.
    pathway, pathways = codes_of(encounters, "pathway")
    activity, activities = codes_of(encounters, "activity")
    width = len(activities) + 1
    key = pathway.astype(np.int64) * width + activity
    out = []
    for (pathway_name, activity_id), codes in _activity_codes().items():
        if pathway_name not in pathways or activity_id not in activities:
            continue
        rows = np.flatnonzero(key == pathways[pathway_name] * width + activities[activity_id])
        if rows.size == 0:
            continue
        out.append((rows, codes))
    return out


@cache
def _derived() -> dict[str, str]:
    """The results computed from another one (eGFR from creatinine): code -> what it derives from."""
    return {
        r["loinc_code"]: r["derived_from"]
        for r in reference.load("observation_types").iter_rows(named=True)
        if r["derived_from"]
    }


def _measure(code, measured, levels, rng, at: _Events, male) -> tuple[np.ndarray, str]:
    """(values, unit) of `code` at the block's events; the values drawn are kept in `measured` by code, so that a
    derived result and its source come from the same draw."""
    source = _derived().get(code)
    if source:  # computed from another result of the same draw (eGFR from creatinine)
        base_code = source.split()[0]
        if base_code not in measured:
            measured[base_code] = _at(levels[base_code], rng, at)
        model = _models()[(code, "default")]
        value = _round_within(
            ckd_epi_2009(measured[base_code], at.age, male),
            model["min_value"],
            model["max_value"],
            int(model["decimals"]),
        )
        return value, model["unit"]
    if code not in measured:
        measured[code] = _at(levels[code], rng, at)
    return measured[code], levels[code].unit


def _empty() -> pl.DataFrame:
    """No observation, with the stage's columns."""
    return pl.DataFrame(
        schema={
            "observation_id": pl.Int64,
            "encounter_id": pl.Int64,
            "document_id": pl.Int64,
            "patient_id": pl.Int64,
            "loinc_code": pl.String,
            "value": pl.Float64,
            "unit": pl.String,
            "effective_at": pl.Datetime("us"),
        }
    )


def _frame(blocks: list, encounters: pl.DataFrame, documents: pl.DataFrame, first_id: int) -> pl.DataFrame:
    """The results of every block in order, numbered, with their lab report and their codes as strings."""
    loinc_codes, units = _vocabularies()
    enc_person = encounters["patient_id"].to_numpy() - first_id
    enc_us = encounters["start_at"].cast(pl.Int64).to_numpy()
    enc_id = encounters["encounter_id"].to_numpy()
    # In (patient, time, encounter, LOINC) order. The encounters are in (patient, start) order and numbered in it,
    # and a result takes its encounter's start: that order is (encounter row, LOINC code). Each block is in
    # encounter order already, so numpy's stable sort merges runs (no polars sort of the frame).
    rows = np.concatenate([b[0] for b in blocks])
    loinc = np.concatenate([np.full(b[0].size, b[1], dtype=np.int32) for b in blocks])
    order = np.argsort(rows * len(loinc_codes) + loinc, kind="stable")
    rows, loinc = rows[order], loinc[order]
    observations = pl.DataFrame(
        {
            "observation_id": np.arange(1, rows.size + 1, dtype=np.int64),
            "encounter_id": enc_id[rows],
            "patient_id": enc_person[rows] + first_id,
            "_loinc": loinc,
            "value": np.concatenate([b[2] for b in blocks])[order],
            "_unit": np.concatenate([np.full(b[0].size, b[3], dtype=np.int32) for b in blocks])[order],
            "effective_at": pl.Series(enc_us[rows]).cast(pl.Datetime("us")),
        }
    )
    codes = code_dtypes("observations")
    return observations.with_columns(
        _lab_reports(documents, enc_id)[rows].alias("document_id"),
        decoded(loinc_codes, "_loinc", codes["loinc_code"]).alias("loinc_code"),
        decoded(units, "_unit", codes["unit"]).alias("unit"),
    ).select(
        "observation_id",
        "encounter_id",
        "document_id",
        "patient_id",
        "loinc_code",
        "value",
        "unit",
        "effective_at",
    )
