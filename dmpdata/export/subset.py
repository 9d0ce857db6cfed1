"""Subsets: choose patients (department, condition, count) and keep every row they reference, nothing dangling."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

from dmpdata import reference
from dmpdata.errors import DmpdataError
from dmpdata.layout import DatasetFolder, read_part
from dmpdata.schemas import PATIENT_TABLES

__all__ = ["PATIENT_TABLES", "Selection", "Subset", "SubsetError", "select"]

# Columns pointing at professionals / organizations, per table (what the kept rows reference).
PROFESSIONAL_REFS = {
    "patients": ("gp_professional_id",),
    "gp_declarations": ("professional_id",),
    "encounters": ("professional_id",),
    "documents": ("author_professional_id",),
    "access_events": ("actor_professional_id", "target_professional_id"),
}
ORGANIZATION_REFS = {
    "identity_records": ("organization_id",),
    "encounters": ("organization_id",),
    "documents": ("organization_id",),
}


class SubsetError(DmpdataError, ValueError):
    """A subset option is invalid or matches no patient."""


def _condition_key(text: str) -> str:
    """A --condition value normalised: a CIM-10 code (upper case), else a pathology or group id (lower case)."""
    codes = set(reference.load("conditions")["condition_code"])
    pathologies = reference.load("pathologies")
    if text.strip().upper() in codes:
        return text.strip().upper()
    key = text.strip().lower()
    if key in set(pathologies["pathology"]) | set(pathologies["group"]):
        return key
    raise SubsetError(
        f"unknown condition {text.strip()!r}: use a CIM-10 code of the conditions reference table (E11, I50…), "
        "a pathology (diabetes_type2, heart_failure…) or a pathology group (diabetes, cancer…) of the pathologies one"
    )


def _has_condition(key: str) -> pl.Expr:
    """Rows of the conditions table coded with `key` (a CIM-10 code), or coding a pathology of `key` (id or group)."""
    codes = reference.load("conditions")
    if key in set(codes["condition_code"]):
        return pl.col("condition_code") == key
    pathologies = reference.load("pathologies").filter(
        (pl.col("pathology") == key) | (pl.col("group") == key)
    )
    return pl.col("condition_code").is_in(
        codes.filter(pl.col("pathology").is_in(pathologies["pathology"].implode()))[
            "condition_code"
        ].implode()
    )


@dataclass(frozen=True)
class Subset:
    """Which patients to export: living in one of `departments` (INSEE codes), having every condition of
    `conditions` (each a CIM-10 code of the conditions table, a pathology or a pathology group of the pathologies
    table), at most `patients` of them (lowest patient_id first)."""

    departments: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    patients: int | None = None

    def __post_init__(self):
        object.__setattr__(self, "departments", tuple(sorted({d.strip().upper() for d in self.departments})))
        object.__setattr__(self, "conditions", tuple(sorted({_condition_key(c) for c in self.conditions})))
        known = set(reference.load("departments")["code"])
        bad = [d for d in self.departments if d not in known]
        if bad:
            raise SubsetError(
                f"unknown department {bad[0]!r}: use an INSEE department code such as 01, 2A, 59 or 974"
            )
        if self.patients is not None and self.patients < 1:
            raise SubsetError(f"--patients must be at least 1, got {self.patients}")

    @property
    def is_everything(self) -> bool:
        return not self.departments and not self.conditions and self.patients is None

    def to_json(self) -> dict:
        return {
            "departments": list(self.departments),
            "conditions": list(self.conditions),
            "max_patients": self.patients,
            "order": "lowest patient_id first",
        }


@dataclass
class Selection:
    """The ids a subset keeps (None = every row of the table)."""

    patient_ids: pl.Series | None = None
    professional_ids: pl.Series | None = None
    organization_ids: pl.Series | None = None
    counts: dict[str, int] = field(default_factory=dict)

    def rows(self, table: str, frame: pl.DataFrame) -> pl.DataFrame:
        """The rows of one part of `table` that the subset keeps (the frame itself when exporting everything)."""
        if table in PATIENT_TABLES and self.patient_ids is not None:
            return frame.filter(pl.col("patient_id").is_in(self.patient_ids.implode()))
        if table == "professionals" and self.professional_ids is not None:
            return frame.filter(pl.col("professional_id").is_in(self.professional_ids.implode()))
        if table == "organizations" and self.organization_ids is not None:
            return frame.filter(pl.col("organization_id").is_in(self.organization_ids.implode()))
        return frame


Progress = Callable[[str, int, int], None]


def _ids(parts: list[pl.Series]) -> pl.Series:
    return pl.concat(parts).drop_nulls().unique().sort() if parts else pl.Series([], dtype=pl.Int64)


def select(ds: DatasetFolder, subset: Subset | None, progress: Progress | None = None) -> Selection:
    """Resolve `subset` on dataset `ds`, reading only the id columns, part by part."""
    if subset is None or subset.is_everything:
        return Selection()
    report = progress or (lambda stage, done, total: None)
    files = ds.files("patients")
    parts = []
    for i, path in enumerate(files):
        frame = read_part(path, ["patient_id", "residence_department"])
        if subset.departments:
            frame = frame.filter(pl.col("residence_department").is_in(subset.departments))
        parts.append(frame["patient_id"])
        report("subset", i + 1, len(files))
    chosen = _ids(parts)
    for key in subset.conditions:
        having = _ids(
            [
                read_part(p, ["patient_id", "condition_code"]).filter(_has_condition(key))["patient_id"]
                for p in ds.files("conditions")
            ]
        )
        chosen = chosen.filter(chosen.is_in(having.implode()))
    if subset.patients is not None:
        chosen = chosen.head(subset.patients)
    if chosen.is_empty():
        what = ", ".join(
            [*(f"department {d}" for d in subset.departments), *(f"condition {c}" for c in subset.conditions)]
        )
        raise SubsetError(f"no patient of {ds.path} matches the subset ({what})")
    selection = Selection(patient_ids=chosen.rename("patient_id"))
    professionals, organizations = [], []
    for table, columns in PROFESSIONAL_REFS.items():
        wanted = columns + ORGANIZATION_REFS.get(table, ())
        for path in ds.files(table) if table in ds.tables else []:
            frame = selection.rows(table, read_part(path, ["patient_id", *wanted]))
            professionals += [frame[c] for c in columns]
            organizations += [frame[c] for c in ORGANIZATION_REFS.get(table, ())]
    selection.professional_ids = _ids(professionals).rename("professional_id")
    # a kept professional brings their structure (professionals.organization_id)
    for path in ds.files("professionals"):
        frame = selection.rows("professionals", read_part(path, ["professional_id", "organization_id"]))
        organizations.append(frame["organization_id"])
    selection.organization_ids = _ids(organizations).rename("organization_id")
    selection.counts = {
        "patients": chosen.len(),
        "professionals": selection.professional_ids.len(),
        "organizations": selection.organization_ids.len(),
    }
    return selection
