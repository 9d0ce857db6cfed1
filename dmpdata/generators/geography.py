"""The scenario's area: departments in scope, residence and birthplace communes, with population weights."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import polars as pl

from dmpdata import reference
from dmpdata.generators.sampling import Balanced, Categorical, GroupedChoice
from dmpdata.scenario import Scenario

__all__ = ["Area", "area_of"]

RESIDENCE_TYPE = "commune-actuelle"
# A NIR's birthplace is an arrondissement in Paris, Lyon and Marseille, never the parent commune.
PARENT_COMMUNES = ("75056", "69123", "13055")


@dataclass(frozen=True, eq=False)
class Area:
    departments: pl.DataFrame  # code, region, population (scope only), index = position
    residence: pl.DataFrame  # communes where people live in scope: code, department, dept_idx, population
    birthplaces: pl.DataFrame  # every French birthplace commune: code, department, dept_all_idx, population
    all_departments: pl.DataFrame  # every department: code, region, population
    birthplace_in_department: (
        GroupedChoice  # picks a birthplace commune within a department (all_departments index)
    )
    residence_choice: (
        Balanced  # residence communes, weighted by population (departments in order: balanced shares)
    )
    birthplace_choice: Categorical  # a French birthplace commune anywhere, weighted by population

    @property
    def population(self) -> int:
        return int(self.departments["population"].sum())


@cache
def _communes() -> pl.DataFrame:
    return reference.load("communes")


@cache
def _area(regions: tuple[str, ...], departments: tuple[str, ...]) -> Area:
    # INSEE's "France" is metropolitan France and the five DROM; the COM are outside the population tables.
    communes = _communes().filter(pl.col("zone").is_in(["metro", "drom"]))
    residence_all = communes.filter(pl.col("type") == RESIDENCE_TYPE)
    all_depts = (
        residence_all.group_by("department", maintain_order=True)
        .agg(pl.col("region").first(), pl.col("population").sum())
        .rename({"department": "code"})
        .sort("code")
    )
    scope = all_depts
    if regions or departments:
        scope = all_depts.filter(
            pl.col("region").is_in(list(regions)) | pl.col("code").is_in(list(departments))
        )
    scope = scope.filter(pl.col("population") > 0)
    dept_idx = {code: i for i, code in enumerate(scope["code"])}
    all_idx = {code: i for i, code in enumerate(all_depts["code"])}
    residence = (
        residence_all.filter(pl.col("department").is_in(list(dept_idx)) & (pl.col("population") > 0))
        .with_columns(pl.col("department").replace_strict(dept_idx, return_dtype=pl.Int64).alias("dept_idx"))
        .sort("dept_idx", "code")
    )
    birthplaces, weights = _birthplaces(all_idx)
    # The overseas collectivities (COM) have no department index: their group, len(all_idx), is never asked for.
    chooser = GroupedChoice(birthplaces["dept_all_idx"].to_numpy(), weights, all_depts.height + 1)
    # One chunk per column: gathering from a multi-chunk string column is several times slower.
    scope, residence, birthplaces, all_depts = (
        f.rechunk() for f in (scope, residence, birthplaces, all_depts)
    )
    return Area(
        scope,
        residence,
        birthplaces,
        all_depts,
        chooser,
        Balanced(residence["population"].to_numpy()),
        Categorical(weights),
    )


def _birthplaces(all_idx: dict[str, int]) -> tuple[pl.DataFrame, np.ndarray]:
    """Every French birthplace commune with people (parent communes of arrondissements left out) and its weight:
    its population, and for a commune of an overseas collectivity (98x, Saint-Barthélemy, Saint-Martin,
    Saint-Pierre-et-Miquelon) its population times `com_born_residence_factor`, since few of its natives live in
    metropolitan France or a DROM (an assumption). The NIR of a person born there starts 97x/98x + commune."""
    communes = _communes()
    birthplaces = communes.filter(
        ~pl.col("code").is_in(list(PARENT_COMMUNES))
        & (pl.col("department").is_in(list(all_idx)) | (pl.col("zone") == "com"))
        & (pl.col("population") > 0)
    ).with_columns(
        pl.col("department")
        .replace_strict(all_idx, default=len(all_idx), return_dtype=pl.Int64)
        .alias("dept_all_idx")
    )
    factor = np.where(
        birthplaces["zone"].to_numpy() == "com", reference.parameter("com_born_residence_factor"), 1.0
    )
    return birthplaces, birthplaces["population"].to_numpy() * factor


def area_of(scenario: Scenario) -> Area:
    """The area a scenario covers (all of France when it names no region or department)."""
    return _area(scenario.regions, scenario.departments)


def department_index(area: Area, codes: pl.Series, *, outside: int | None = None) -> np.ndarray:
    """Index of each department code among the area's departments; codes outside the area raise, or get
    `outside` when it is given."""
    lookup = {code: i for i, code in enumerate(area.departments["code"])}
    kwargs = {} if outside is None else {"default": outside}
    return codes.replace_strict(lookup, return_dtype=pl.Int64, **kwargs).to_numpy()
