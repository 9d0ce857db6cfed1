"""One test loads and validates every care-pathway file (dmpdata/pathways/*.toml) and the encounter reference tables."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from dmpdata import reference as ref

PATHWAYS = sorted((Path(__file__).resolve().parents[1] / "dmpdata" / "pathways").glob("*.toml"))

TOP_KEYS = {"name", "description", "source", "population", "adherence", "activities"}
POPULATION_KEYS = {"conditions", "pathologies", "min_age", "max_age", "sex"}
ADHERENCE_KEYS = {"a", "b", "source", "evidence"}
ACTIVITY_KEYS = {
    "id",
    "encounter",
    "rate_per_year",
    "rates",
    "specialty",
    "setting",
    "season",
    "once_per_season",
    "duration_days",
    "observations",
    "prescribed_by",
    "professional",
    "years_after_onset",
    "at_onset",
    "probability",
    "source",
    "evidence",
}
BAND_KEYS = {"age_min", "age_max", "M", "F"}
EVIDENCE = {"verified", "inferred", "assumption"}
LOINC = re.compile(r"^\d{1,5}-\d$")
MAX_AGE = 120

# The pathology ids of the contract (issue #29); reference/pathologies.csv, once it exists, must hold the same.
PATHOLOGY_IDS = {
    *("diabetes_type1", "diabetes_type2"),
    *("cancer_breast", "cancer_prostate", "cancer_colorectal", "cancer_lung", "cancer_other"),
    *("coronary_disease", "stroke", "heart_failure", "atrial_fibrillation", "valvular_disease"),
    *("peripheral_arterial_disease", "hypertension"),
    *("psychotic_disorders", "bipolar_disorder", "depression", "addiction"),
    *("dementia", "parkinson", "multiple_sclerosis", "epilepsy"),
    *("copd", "asthma", "dialysis", "kidney_transplant", "chronic_kidney_disease", "liver_disease"),
    *("inflammatory_bowel_disease", "rheumatoid_arthritis", "spondyloarthritis", "hiv", "other_long_term"),
}
TIMING_KEYS = {"years_after_onset", "at_onset", "probability"}
KINDS = set(ref.load("encounter_kinds")["kind"])
SPECIALTIES = set(ref.load("specialties")["specialty_code"])
CONDITIONS = set(ref.load("conditions")["condition_code"])
WORKFORCE = set(ref.load("workforce")["kind"])


def _problems(path: Path) -> list[str]:
    """Everything wrong with one pathway file, as sentences saying what to fix."""
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    out: list[str] = []
    if doc.get("name") != path.stem:
        out.append(f"name {doc.get('name')!r} must equal the file stem {path.stem!r}")
    out += [f"unknown top-level key {k!r} (allowed: {sorted(TOP_KEYS)})" for k in set(doc) - TOP_KEYS]
    for key in ("description", "source"):
        if not str(doc.get(key, "")).strip():
            out.append(f"missing or empty top-level {key!r}")

    pop = doc.get("population", {})
    out += [
        f"unknown [population] key {k!r} (allowed: {sorted(POPULATION_KEYS)})"
        for k in set(pop) - POPULATION_KEYS
    ]
    out += [
        f"condition {c!r} is not in reference/conditions.csv"
        for c in pop.get("conditions", [])
        if c not in CONDITIONS
    ]
    out += [
        f"pathology {p!r} is not a pathology id of the contract (reference/pathologies.csv)"
        for p in pop.get("pathologies", [])
        if p not in PATHOLOGY_IDS
    ]
    timed = [a.get("id") for a in doc.get("activities", []) if TIMING_KEYS & set(a)]
    if timed and not (pop.get("conditions") or pop.get("pathologies")):
        out.append(f"activities {timed} count from the onset: [population] needs pathologies")
    if pop.get("sex", "any") not in {"M", "F", "any"}:
        out.append("population.sex must be M, F or any")
    if pop.get("min_age", 0) > pop.get("max_age", MAX_AGE):
        out.append("population.min_age > max_age")

    if "adherence" in doc:
        adh = doc["adherence"]
        out += [f"unknown [adherence] key {k!r}" for k in set(adh) - ADHERENCE_KEYS]
        if not (adh.get("a", 0) > 0 and adh.get("b", 0) > 0):
            out.append("adherence a and b must both be > 0 (Beta(a, b))")
        if not str(adh.get("source", "")).strip() or adh.get("evidence") not in EVIDENCE:
            out.append(f"adherence needs a source and evidence in {sorted(EVIDENCE)}")

    activities = doc.get("activities", [])
    if not activities:
        out.append("no [[activities]]")
    ids = [a.get("id") for a in activities]
    if len(ids) != len(set(ids)):
        out.append(f"duplicate activity ids in {ids}")
    for act in activities:
        out += [f"activity {act.get('id')!r}: {p}" for p in _activity_problems(act)]
    return out


def _activity_problems(act: dict) -> list[str]:
    out = [f"unknown key {k!r} (allowed: {sorted(ACTIVITY_KEYS)})" for k in set(act) - ACTIVITY_KEYS]
    if act.get("encounter") not in KINDS:
        out.append(f"encounter {act.get('encounter')!r} is not a kind of reference/encounter_kinds.csv")
    if act.get("at_onset"):
        out += _onset_problems(act)
    elif ("rate_per_year" in act) == ("rates" in act):
        out.append("give exactly one of rate_per_year or rates")
    if "probability" in act and not act.get("at_onset"):
        out.append("probability is for at_onset activities only")
    window = act.get("years_after_onset")
    if window is not None and not (
        set(window) <= {"from", "to"} and 0 <= window.get("from", 0) < window.get("to", MAX_AGE)
    ):
        out.append("years_after_onset must be {from, to} with 0 <= from < to")
    if "rate_per_year" in act and not act["rate_per_year"] >= 0:
        out.append("rate_per_year must be >= 0")
    if "rates" in act:
        out += _band_problems(act["rates"])
    if "specialty" in act and act["specialty"] not in SPECIALTIES:
        out.append(f"specialty {act['specialty']!r} is not in reference/specialties.csv")
    if act.get("setting", "ville") not in {"ville", "etablissement"}:
        out.append("setting must be ville or etablissement")
    if act.get("season", "flu") != "flu":
        out.append("season must be 'flu'")
    if "once_per_season" in act and "season" not in act:
        out.append("once_per_season needs season")
    if act.get("prescribed_by", "gp") != "gp":
        out.append("prescribed_by must be 'gp'")
    if "professional" in act and (
        act["professional"] not in {"gp", "nurse", "pharmacist"} or act.get("encounter") != "vaccination"
    ):
        out.append("professional (gp | nurse | pharmacist) is only for vaccination activities")
    dur = act.get("duration_days")
    if dur is not None and not (set(dur) <= {"mean", "min"} and dur.get("mean", 0) >= dur.get("min", 0) >= 0):
        out.append("duration_days must be {mean, min} with mean >= min >= 0")
    out += [
        f"observation {c!r} does not look like a LOINC code"
        for c in act.get("observations", [])
        if not LOINC.match(c)
    ]
    if not str(act.get("source", "")).strip():
        out.append("missing source")
    if act.get("evidence") not in EVIDENCE:
        out.append(f"evidence must be one of {sorted(EVIDENCE)}")
    return out


def _onset_problems(act: dict) -> list[str]:
    """An activity at the onset: one event, with a probability in [0, 1], and no rate, season or window."""
    out = [
        f"an at_onset activity has no {k!r}"
        for k in ("rate_per_year", "rates", "season", "once_per_season", "years_after_onset")
        if k in act
    ]
    if not 0 <= act.get("probability", 1) <= 1:
        out.append("probability must be in [0, 1]")
    return out


def _band_problems(bands: list[dict]) -> list[str]:
    out = [
        f"rates band {b} must have exactly the keys {sorted(BAND_KEYS)}" for b in bands if set(b) != BAND_KEYS
    ]
    if out:
        return out
    out += [f"negative rate in band {b}" for b in bands if b["M"] < 0 or b["F"] < 0]
    expected = 0
    for b in sorted(bands, key=lambda b: b["age_min"]):
        if b["age_min"] != expected or b["age_max"] < b["age_min"]:
            out.append(
                f"rates bands must cover 0..{MAX_AGE} without gap or overlap: band {b} (expected age_min {expected})"
            )
        expected = b["age_max"] + 1
    if expected != MAX_AGE + 1:
        out.append(f"rates bands must end at age_max = {MAX_AGE}")
    return out


def test_there_are_pathway_files():
    assert {p.stem for p in PATHWAYS} >= {"general_practice", "type2_diabetes", "hospital_care"}


@pytest.mark.parametrize("path", PATHWAYS, ids=[p.stem for p in PATHWAYS])
def test_pathway_file_is_valid(path):
    problems = _problems(path)
    assert not problems, f"{path.name}:\n  " + "\n  ".join(problems)


def test_pathology_ids_are_those_of_the_reference_table():
    if "pathologies" in ref.names():
        assert set(ref.load("pathologies")["pathology"]) == PATHOLOGY_IDS


@pytest.mark.parametrize(
    ("activity", "problem"),
    [
        ({"at_onset": True, "rate_per_year": 1.0}, "has no 'rate_per_year'"),
        ({"at_onset": True, "probability": 1.5}, "probability must be in [0, 1]"),
        ({"rate_per_year": 1.0, "probability": 0.5}, "probability is for at_onset"),
        ({"rate_per_year": 1.0, "years_after_onset": {"from": 2, "to": 2}}, "0 <= from < to"),
        ({"rate_per_year": 1.0, "years_after_onset": {"start": 0}}, "0 <= from < to"),
        ({"rate_per_year": 1.0, "when": "later"}, "unknown key 'when'"),
    ],
)
def test_a_wrong_activity_is_named(activity, problem):
    base = {"id": "x", "encounter": "lab_test", "source": "s", "evidence": "assumption"}
    assert any(problem in p for p in _activity_problems(base | activity))


def test_encounter_kinds_professionals_exist():
    kinds = ref.load("encounter_kinds")
    for row in kinds.iter_rows(named=True):
        unknown = set(row["professional_kinds"].split("|")) - WORKFORCE
        assert not unknown, f"{row['kind']}: {unknown} are not kinds of reference/workforce.csv"
        assert 0 <= row["prescribes_drugs_share"] <= 1 and 0 <= row["dispensing_share"] <= 1
        assert row["sector"] in {"ville", "etablissement"}


def test_document_rules_are_consistent():
    rules = ref.load("document_rules")
    activity_ids = {
        a["id"] for p in PATHWAYS for a in tomllib.loads(p.read_text(encoding="utf-8")).get("activities", [])
    }
    for row in rules.iter_rows(named=True):
        where = f"document_rules {row['encounter_kind']}/{row['activity']}/{row['type_code']}"
        assert row["encounter_kind"] in KINDS, f"{where}: unknown encounter kind"
        assert row["activity"] in (None, "") or row["activity"] in activity_ids, (
            f"{where}: activity in no pathway file"
        )
        assert 0 <= row["probability"] <= 1, f"{where}: probability outside [0, 1]"
        assert row["created_offset_days_min"] <= row["created_offset_days_max"], f"{where}: offsets min > max"
        assert row["when"] in {"always", "prescription", "prescribed"}, where
        assert row["author"] in {"encounter_professional", "prescriber_gp"}, where
        assert row["evidence"] in EVIDENCE, where
