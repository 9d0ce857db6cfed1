"""The care-pathway catalogue: the pathway files beside this module (`*.toml`), parsed, checked against the
reference tables, and the code sets they define (the encounters' `pathway` and `activity`).

Schemas read these code sets and the pathways stage (`dmpdata.generators.pathways`) interprets the pathways; this
module imports neither, so either may import it.
"""

from __future__ import annotations

import itertools
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from dmpdata import reference
from dmpdata.errors import DmpdataError

__all__ = [
    "MAX_AGE",
    "Activity",
    "Pathway",
    "PathwayError",
    "activity_ids",
    "known_pathologies",
    "load_pathways",
    "parse_pathway",
    "pathway_names",
    "pathways_dir",
]

MAX_AGE = 120  # the oldest age a pathway covers: its rate bands end there
PATHWAY_KEYS = {"name", "description", "source", "population", "adherence", "activities"}
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
EVIDENCE = {"verified", "inferred", "assumption"}
PROFESSIONAL_HINTS = {"gp": "10", "nurse": "60", "pharmacist": "21"}  # -> TRE_G15 profession code


class PathwayError(DmpdataError, ValueError):
    """A pathway file does not follow the schema (dmpdata/pathways/README.md)."""


def pathways_dir() -> Path:
    """The folder of the pathway files: this package's."""
    return Path(__file__).resolve().parent


@dataclass(frozen=True)
class Activity:
    id: str
    encounter: str
    bands: tuple[tuple[int, int, float, float], ...]  # (age_min, age_max, rate M, rate F) per year
    specialty: str | None = None
    setting: str | None = None
    season: str | None = None
    once_per_season: bool = False
    duration_mean: float = 0.0
    duration_min: float = 0.0
    observations: tuple[str, ...] = ()
    prescribed_by: str | None = None
    professional: str | None = None
    years_after_onset: tuple[float, float] | None = (
        None  # (from, to) years after the onset: the activity's window
    )
    at_onset: bool = False  # one event on the onset day (with `probability`) instead of a rate
    probability: float = 1.0
    source: str = ""
    evidence: str = ""


@dataclass(frozen=True)
class Pathway:
    name: str
    description: str
    conditions: tuple[str, ...] = ()
    pathologies: tuple[str, ...] = ()
    min_age: float = 0
    max_age: float = MAX_AGE
    sex: str = "any"
    adherence: tuple[float, float] | None = None
    activities: tuple[Activity, ...] = field(default_factory=tuple)
    source: str = ""


def _check_keys(data: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise PathwayError(f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")


def _number(value, where: str, low: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < low:
        raise PathwayError(f"{where}: expected a number >= {low}, got {value!r}")
    return float(value)


def _bands(data: dict, where: str) -> tuple[tuple[int, int, float, float], ...]:
    """An activity's (age_min, age_max, rate M, rate F) bands: one from `rate_per_year`, or its `rates` covering
    0..MAX_AGE without gap or overlap."""
    if ("rate_per_year" in data) == ("rates" in data):
        raise PathwayError(f"{where}: give exactly one of 'rate_per_year' and 'rates'")
    if "rate_per_year" in data:
        rate = _number(data["rate_per_year"], f"{where}.rate_per_year")
        return ((0, MAX_AGE, rate, rate),)
    rows = []
    for band in data["rates"]:
        _check_keys(band, {"age_min", "age_max", "M", "F"}, f"{where}.rates")
        rows.append(
            (
                int(band["age_min"]),
                int(band["age_max"]),
                _number(band["M"], f"{where}.rates.M"),
                _number(band["F"], f"{where}.rates.F"),
            )
        )
    rows.sort()
    if (
        not rows
        or rows[0][0] != 0
        or rows[-1][1] < MAX_AGE
        or any(b[0] != a[1] + 1 for a, b in itertools.pairwise(rows))
    ):
        raise PathwayError(f"{where}.rates: age bands must cover 0..{MAX_AGE} without gap or overlap")
    return tuple(rows)


def _check_options(data: dict, where: str) -> None:
    """An activity's season, professional and setting take their allowed values, and agree."""
    if data.get("once_per_season") and data.get("season") != "flu":
        raise PathwayError(f'{where}: once_per_season needs season = "flu"')
    if data.get("season") not in (None, "flu"):
        raise PathwayError(f'{where}: season must be "flu"')
    if data.get("season") and not data.get("once_per_season"):
        raise PathwayError(f"{where}: a seasonal activity must be once_per_season")
    if data.get("professional") not in (None, *PROFESSIONAL_HINTS):
        raise PathwayError(f"{where}: professional must be one of {sorted(PROFESSIONAL_HINTS)}")
    if data.get("setting") not in (None, "ville", "etablissement"):
        raise PathwayError(f'{where}: setting must be "ville" or "etablissement"')


def _onset_timing(data: dict, where: str) -> tuple[tuple[float, float] | None, float]:
    """An activity's window after the onset (`years_after_onset`, from < to) and its `probability` (at_onset only):
    an activity at the onset has no rate, no season and no window; the onset is the population's."""
    window = data.get("years_after_onset")
    if window is not None:
        _check_keys(window, {"from", "to"}, f"{where}.years_after_onset")
        low = _number(window.get("from", 0), f"{where}.years_after_onset.from")
        high = _number(window.get("to", float(MAX_AGE)), f"{where}.years_after_onset.to")
        if high <= low or data.get("season"):
            raise PathwayError(f"{where}: years_after_onset needs from < to, and no season")
        window = (low, high)
    if "probability" in data and not data.get("at_onset"):
        raise PathwayError(f"{where}: probability is for at_onset activities only")
    probability = _number(data.get("probability", 1.0), f"{where}.probability")
    if probability > 1:
        raise PathwayError(f"{where}: probability must be <= 1")
    if data.get("at_onset") is not None and not isinstance(data["at_onset"], bool):
        raise PathwayError(f"{where}: at_onset must be true or false")
    if data.get("at_onset") and any(
        k in data for k in ("rate_per_year", "rates", "season", "years_after_onset")
    ):
        raise PathwayError(
            f"{where}: an at_onset activity has no rate_per_year, rates, season or years_after_onset"
        )
    return window, probability


def _activity(data: dict, where: str) -> Activity:
    _check_keys(data, ACTIVITY_KEYS, where)
    for key in ("id", "encounter", "source", "evidence"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise PathwayError(f"{where}: {key!r} is required (a non-empty string)")
    where = f"{where} ({data['id']})"
    if data["evidence"] not in EVIDENCE:
        raise PathwayError(f"{where}: evidence must be one of {sorted(EVIDENCE)}")
    window, probability = _onset_timing(data, where)
    bands = () if data.get("at_onset") else _bands(data, where)
    _check_options(data, where)
    duration = data.get("duration_days", {})
    return Activity(
        id=data["id"],
        encounter=data["encounter"],
        bands=bands,
        specialty=data.get("specialty"),
        setting=data.get("setting"),
        season=data.get("season"),
        once_per_season=bool(data.get("once_per_season")),
        duration_mean=_number(duration.get("mean", 0), f"{where}.duration_days.mean"),
        duration_min=_number(duration.get("min", 0), f"{where}.duration_days.min"),
        observations=tuple(data.get("observations", ())),
        prescribed_by=data.get("prescribed_by"),
        professional=data.get("professional"),
        years_after_onset=window,
        at_onset=bool(data.get("at_onset")),
        probability=probability,
        source=data["source"],
        evidence=data["evidence"],
    )


def parse_pathway(text: str, name: str) -> Pathway:
    """Parse and check one pathway file's text (raises PathwayError naming the problem)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise PathwayError(f"{name}: malformed TOML ({err})") from None
    _check_keys(data, PATHWAY_KEYS, name)
    if data.get("name") != name:
        raise PathwayError(f"{name}: 'name' must equal the file name ({name!r})")
    population = data.get("population", {})
    _check_keys(population, POPULATION_KEYS, f"{name}.population")
    adherence = data.get("adherence")
    if adherence is not None:
        _check_keys(adherence, ADHERENCE_KEYS, f"{name}.adherence")
        if adherence.get("evidence") not in EVIDENCE or not adherence.get("source"):
            raise PathwayError(f"{name}.adherence: needs a source and evidence in {sorted(EVIDENCE)}")
        adherence = (
            _number(adherence["a"], f"{name}.adherence.a", 1e-9),
            _number(adherence["b"], f"{name}.adherence.b", 1e-9),
        )
    activities = tuple(
        _activity(a, f"{name}.activities[{i}]") for i, a in enumerate(data.get("activities", []))
    )
    if not activities:
        raise PathwayError(f"{name}: no activities")
    ids = [a.id for a in activities]
    if len(set(ids)) != len(ids):
        raise PathwayError(f"{name}: activity ids must be unique")
    if population.get("sex", "any") not in ("M", "F", "any"):
        raise PathwayError(f"{name}.population.sex must be M, F or any")
    timed = [a.id for a in activities if a.at_onset or a.years_after_onset]
    if timed and not (population.get("conditions") or population.get("pathologies")):
        raise PathwayError(f"{name}: {timed[0]} is timed from the onset: the population needs pathologies")
    return Pathway(
        name=name,
        description=data.get("description", ""),
        conditions=tuple(population.get("conditions", ())),
        pathologies=tuple(population.get("pathologies", ())),
        min_age=float(population.get("min_age", 0)),
        max_age=float(population.get("max_age", MAX_AGE)),
        sex=population.get("sex", "any"),
        adherence=adherence,
        activities=activities,
        source=data.get("source", ""),
    )


@cache
def known_pathologies() -> frozenset[str] | None:
    """The pathology ids a pathway's population may name: reference/pathologies.csv; None (not checked here) while
    that table does not exist."""
    if "pathologies" not in reference.names():
        return None
    return frozenset(reference.load("pathologies")["pathology"])


@cache
def load_pathways() -> tuple[Pathway, ...]:
    """Every pathway file, parsed and cross-checked against the reference tables."""
    kinds = set(reference.load("encounter_kinds")["kind"])
    specialties = set(reference.load("specialties")["specialty_code"])
    conditions = set(reference.load("conditions")["condition_code"])
    pathologies = known_pathologies()
    out = []
    for path in sorted(pathways_dir().glob("*.toml")):
        pathway = parse_pathway(path.read_text(encoding="utf-8"), path.stem)
        for code in pathway.conditions:
            if code not in conditions:
                raise PathwayError(f"{path.stem}: unknown condition {code!r}")
        for pathology in pathway.pathologies:
            if pathologies is not None and pathology not in pathologies:
                raise PathwayError(
                    f"{path.stem}: unknown pathology {pathology!r} (reference/pathologies.csv)"
                )
        for activity in pathway.activities:
            if activity.encounter not in kinds:
                raise PathwayError(
                    f"{path.stem}.{activity.id}: unknown encounter kind {activity.encounter!r}"
                )
            if activity.specialty and activity.specialty not in specialties:
                raise PathwayError(f"{path.stem}.{activity.id}: unknown specialty {activity.specialty!r}")
        out.append(pathway)
    return tuple(out)


@cache
def pathway_names() -> list[str]:
    """Names of the pathway files: the encounters' `pathway` codes."""
    return sorted({p.name for p in load_pathways()})


@cache
def activity_ids() -> list[str]:
    """Activities of the pathway files, and `dispensing` (a pharmacy's dispensing after a prescribing encounter):
    the encounters' `activity` codes."""
    return sorted({a.id for p in load_pathways() for a in p.activities} | {"dispensing"})
