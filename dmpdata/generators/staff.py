"""Who carries out care: picks professionals by encounter kind, specialty and setting in the patient's department."""

from __future__ import annotations

import numpy as np
import polars as pl

from dmpdata import reference
from dmpdata.generators.geography import Area, department_index
from dmpdata.generators.sampling import EPOCH, GroupedChoice

__all__ = ["SECTORS", "Staff"]

PROFESSION_OF_HINT = {"gp": "10", "nurse": "60", "pharmacist": "21"}
SECTORS = reference.codes("sectors", care=True)  # professionals' sectors, by code


class Staff:
    """The dataset's professionals, indexed for vectorised picks within a department (national fallback)."""

    def __init__(self, area: Area, professionals: pl.DataFrame, organizations: pl.DataFrame):
        self.area = area
        self.professionals = professionals
        self.organizations = organizations
        self.dept = department_index(area, professionals["department"], outside=-1)
        self.ids = professionals["professional_id"].to_numpy()
        self.org = professionals["organization_id"].to_numpy()
        self.profession = professionals["profession_code"].to_numpy()
        self.kind = professionals["kind"].to_numpy()
        self.specialty = professionals["specialty_code"].fill_null("").to_numpy()
        self.sector = professionals["sector"].to_numpy()
        self.sector_code = np.select([self.sector == s for s in SECTORS], np.arange(len(SECTORS)), -1)
        equipped = (
            professionals["dmp_equipped_from"].cast(pl.Int32).cast(pl.Float64).fill_null(np.inf).to_numpy()
        )
        self.equipped_from = equipped + EPOCH
        kinds = reference.load("encounter_kinds")
        self.kinds_of = {
            k: set(v.split("|")) for k, v in zip(kinds["kind"], kinds["professional_kinds"], strict=True)
        }
        self.gp_kinds = set(reference.load("workforce_rules").filter(pl.col("gp_eligible"))["kind"])
        self._choosers: dict[tuple, tuple[np.ndarray, np.ndarray, GroupedChoice]] = {}

    def candidates(
        self,
        encounter: str,
        specialty: str | None = None,
        setting: str | None = None,
        profession: str | None = None,
    ) -> np.ndarray:
        """Row indices of the professionals who can carry out such an encounter (empty when none)."""
        mask = np.isin(self.kind, list(self.kinds_of.get(encounter, ())))
        if specialty:
            mask &= self.specialty == specialty
        if setting:
            mask &= self.sector == setting
        if profession:
            mask &= self.profession == PROFESSION_OF_HINT.get(profession, profession)
        return np.flatnonzero(mask)

    def _chooser(self, key: tuple) -> tuple[np.ndarray, np.ndarray, GroupedChoice]:
        if key not in self._choosers:
            rows = self.candidates(*key)
            if rows.size == 0 and (key[1] or key[2]):
                rows = self.candidates(key[0], key[1], None, key[3])  # relax the setting first
                if rows.size == 0:
                    rows = self.candidates(key[0], None, None, key[3])
            inside = rows[self.dept[rows] >= 0]
            chooser = GroupedChoice(self.dept[inside], np.ones(inside.size), self.area.departments.height)
            self._choosers[key] = (rows, inside, chooser)
        return self._choosers[key]

    def pick(
        self,
        dept_idx: np.ndarray,
        rng: np.random.Generator,
        encounter: str,
        specialty: str | None = None,
        setting: str | None = None,
        profession: str | None = None,
    ) -> np.ndarray:
        """One professional row per query: in the patient's department, else anywhere (national). -1 if none."""
        rows, inside, chooser = self._chooser((encounter, specialty, setting, profession))
        out = np.full(dept_idx.size, -1, dtype=np.int64)
        if rows.size == 0 or dept_idx.size == 0:
            return out
        local = chooser.has(dept_idx)
        out[local] = inside[chooser.pick(dept_idx[local], rng)]
        far = ~local
        out[far] = rows[rng.integers(0, rows.size, int(far.sum()))]
        return out

    def row_of(self, professional_ids: np.ndarray) -> np.ndarray:
        """Row index of each professional id (ids are 1..n in order)."""
        return np.asarray(professional_ids, dtype=np.int64) - 1
