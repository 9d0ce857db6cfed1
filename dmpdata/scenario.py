"""Scenario: what to generate (size, period, area, seed, calibration overrides), from TOML presets or files."""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from dmpdata import reference
from dmpdata.errors import ScenarioError

__all__ = ["Scenario", "load_scenario", "preset_names", "presets_dir"]

MAX_PATIENTS = 100_000_000
DEFAULT_START = dt.date(2021, 7, 1)
DEFAULT_END = dt.date(2026, 6, 30)
# Populations, workforce and calibration figures cover 2021-2026: a period outside is refused.
EARLIEST = dt.date(2021, 1, 1)
LATEST = dt.date(2026, 12, 31)


def presets_dir() -> Path:
    """Folder holding the preset TOML files (inside the wheel, or datasets/scenarios in a checkout)."""
    packaged = Path(__file__).parent / "_scenarios"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[1] / "datasets" / "scenarios"


def preset_names() -> list[str]:
    return sorted(p.stem for p in presets_dir().glob("*.toml"))


@dataclass(frozen=True)
class Scenario:
    """A fully resolved scenario. Build with `load_scenario` or `Scenario.from_dict`."""

    name: str
    patients: int
    seed: int = 0
    description: str = ""
    start: dt.date = DEFAULT_START
    end: dt.date = DEFAULT_END
    regions: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()
    chunk_size: int = 20_000
    prevalence_factor: dict[str, float] = field(default_factory=dict)
    feeding_factor: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, origin: str = "scenario") -> Scenario:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ScenarioError(
                f"{origin}: unknown key {unknown[0]!r} (known keys: {', '.join(sorted(known))})"
            )
        if "name" not in data:
            raise ScenarioError(f"{origin}: missing key 'name'")
        if "patients" not in data:
            raise ScenarioError(f"{origin}: missing key 'patients'")
        values = dict(data)
        values["name"] = _text(values["name"], "name", origin)
        values["description"] = _text(values.get("description", ""), "description", origin)
        values["patients"] = _int(values["patients"], "patients", origin, 1, MAX_PATIENTS)
        values["seed"] = _int(values.get("seed", 0), "seed", origin, 0, 2**63 - 1)
        values["chunk_size"] = _int(values.get("chunk_size", 20_000), "chunk_size", origin, 100, 5_000_000)
        values["start"] = _date(values.get("start", DEFAULT_START), "start", origin)
        values["end"] = _date(values.get("end", DEFAULT_END), "end", origin)
        if values["start"] >= values["end"]:
            raise ScenarioError(
                f"{origin}: 'start' ({values['start']}) must be before 'end' ({values['end']})"
            )
        if values["start"] < EARLIEST or values["end"] > LATEST:
            raise ScenarioError(
                f"{origin}: the period {values['start']}..{values['end']} must lie within "
                f"{EARLIEST}..{LATEST} (the span of the calibration data)"
            )
        values["regions"] = _codes(values.get("regions", ()), "regions", origin)
        values["departments"] = _codes(values.get("departments", ()), "departments", origin)
        values["prevalence_factor"] = _factors(
            values.get("prevalence_factor", {}), origin, "prevalence_factor"
        )
        values["feeding_factor"] = _factors(values.get("feeding_factor", {}), origin, "feeding_factor")
        scenario = cls(**values)
        scenario._check_codes(origin)
        return scenario

    def _check_codes(self, origin: str) -> None:
        regions = set(reference.load("regions")["code"])
        for code in self.regions:
            if code not in regions:
                raise ScenarioError(
                    f"{origin}: unknown region code {code!r} in 'regions' (INSEE COG codes, e.g. '11', '32')"
                )
        departments = set(reference.load("departments")["code"])
        for code in self.departments:
            if code not in departments:
                raise ScenarioError(
                    f"{origin}: unknown department code {code!r} in 'departments' (e.g. '59', '2A', '974')"
                )
        pathologies = reference.load("pathologies")["pathology"].to_list()
        conditions = set(reference.load("conditions")["condition_code"])
        for key in self.prevalence_factor:
            if key not in conditions and key not in pathologies:
                raise ScenarioError(
                    f"{origin}: unknown pathology {key!r} in 'prevalence_factor' (a pathology: "
                    f"{', '.join(pathologies)}; or a CIM-10 code of the conditions reference table)"
                )
        sectors = set(reference.load("facility_types")["sector"])
        types = set(reference.load("document_types")["type_code"])
        for key in self.feeding_factor:
            if key not in sectors and key not in types:
                raise ScenarioError(
                    f"{origin}: {key!r} in 'feeding_factor' is neither an author sector ({', '.join(sorted(sectors))}) "
                    'nor a JDV_J07 document type code (e.g. "11502-2")'
                )

    def with_overrides(self, **overrides: Any) -> Scenario:
        """A copy with some settings replaced (None values are ignored), re-validated."""
        data = self.to_dict()
        data.update({k: v for k, v in overrides.items() if v is not None})
        return Scenario.from_dict(data, origin=f"scenario {self.name!r}")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["regions"] = list(self.regions)
        data["departments"] = list(self.departments)
        return data

    def to_json(self) -> dict[str, Any]:
        data = self.to_dict()
        data["start"] = self.start.isoformat()
        data["end"] = self.end.isoformat()
        return data

    @property
    def n_chunks(self) -> int:
        return -(-self.patients // self.chunk_size)


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A preset name (see `preset_names()`) or the path of a TOML file."""
    text = str(name_or_path)
    path = Path(text)
    if not (text.endswith(".toml") or path.is_file()):
        path = presets_dir() / f"{text}.toml"
        if not path.is_file():
            raise ScenarioError(
                f"unknown scenario {text!r}: use a preset ({', '.join(preset_names())}) or the path of a .toml file"
            )
    if not path.is_file():
        raise ScenarioError(f"scenario file {text!r} does not exist")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not a UTF-8 text file") from None
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(f"{path}: malformed TOML ({err})") from None
    except OSError as err:
        raise ScenarioError(f"{path}: cannot read ({err.strerror})") from None
    return Scenario.from_dict(data, origin=str(path))


def _text(value: Any, key: str, origin: str) -> str:
    if not isinstance(value, str):
        raise ScenarioError(f"{origin}: {key!r} must be a string, got {value!r}")
    return value


def _int(value: Any, key: str, origin: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScenarioError(f"{origin}: {key!r} must be a whole number, got {value!r}")
    if not low <= value <= high:
        raise ScenarioError(f"{origin}: {key!r} must be between {low:,} and {high:,}, got {value:,}")
    return value


def _date(value: Any, key: str, origin: str) -> dt.date:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ScenarioError(f"{origin}: {key!r} must be a date like 2021-07-01, got {value!r}")


def _codes(value: Any, key: str, origin: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ScenarioError(f"{origin}: {key!r} must be a list of code strings, got {value!r}")
    return tuple(sorted(set(value)))


# An example of each table of factors, as its error message shows it (the documentation site, "Scenarios": docs/guide/scenarios.md).
_FACTOR_EXAMPLES = {
    "prevalence_factor": "[prevalence_factor] E11 = 0.5",
    "feeding_factor": "[feeding_factor] ville = 2.0",
}


def _factors(value: Any, origin: str, key: str) -> dict[str, float]:
    if not isinstance(value, dict):
        example = _FACTOR_EXAMPLES.get(key, f"[{key}] CODE = 0.5")
        raise ScenarioError(f"{origin}: {key!r} must be a table of factors (e.g. {example}), got {value!r}")
    out = {}
    for code, factor in value.items():
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not 0 <= factor <= 20:
            raise ScenarioError(f"{origin}: {key}.{code} must be a number between 0 and 20, got {factor!r}")
        out[str(code)] = float(factor)
    return dict(sorted(out.items()))
