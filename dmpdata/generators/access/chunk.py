"""One chunk's patients and documents as the access stage reads them: times in µs as arrays, by row."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from dmpdata import reference
from dmpdata.generators.access.draws import DAY
from dmpdata.generators.access.events import Codes
from dmpdata.generators.geography import department_index
from dmpdata.generators.medecin_traitant import MedecinTraitant
from dmpdata.generators.sampling import EPOCH
from dmpdata.scenario import Scenario

BIG = np.iinfo(np.int64).max  # a date that never comes: null dates become it


def opt_out_columns() -> dict[str, str]:
    """Emergency access mode -> the patients column holding the day the patient refused it (access_modes.csv)."""
    return reference.labels("access_modes", "opt_out_column")


@dataclass
class Chunk:
    """The arrays every section of the access stage reads; patients' arrays by row, documents' (`d_…`) by row."""

    first_id: int
    stop_us: int
    ids: np.ndarray
    created: np.ndarray
    closed: np.ndarray
    activated: np.ndarray
    death: np.ndarray
    opt_out: dict[str, np.ndarray]  # access mode -> the day its consent was refused (BIG: never)
    mt: MedecinTraitant  # the médecin traitant by date
    dept: np.ndarray
    end_of_profile: np.ndarray
    docs: pl.DataFrame
    d_person: np.ndarray
    d_sub: np.ndarray
    d_status_us: np.ndarray
    d_alive_until: np.ndarray
    codes: Codes = field(default_factory=Codes)

    def doc_is(self, column: str, value: str) -> np.ndarray:
        """Whether each document's `column` is `value` (a few comparisons of short strings cost less than encoding
        them)."""
        return (self.docs[column] == value).to_numpy()


def chunk_of(scenario: Scenario, patients: pl.DataFrame, documents: pl.DataFrame, staff) -> Chunk:
    """The chunk's arrays: profile dates at midnight (null: never), documents' submission and status times."""
    stop_us = (scenario.end.toordinal() + 1 - EPOCH) * DAY

    def day_us(col: str) -> np.ndarray:  # date column -> µs at midnight, null -> BIG
        return patients[col].cast(pl.Int64).fill_null(BIG // DAY).to_numpy() * DAY

    closed, death = day_us("mes_closed_at"), day_us("death_date")
    first_id = int(patients["patient_id"][0])
    docs = documents.with_columns(
        pl.col("submitted_at").cast(pl.Int64).alias("submitted_us"),
        pl.col("status_at").cast(pl.Int64).alias("status_us"),
    )
    d_status_us = docs["status_us"].to_numpy()
    return Chunk(
        first_id=first_id,
        stop_us=stop_us,
        ids=patients["patient_id"].to_numpy(),
        # The DMP is open from its pre-2022 opening, if any, else from the profile's creation.
        created=np.minimum(day_us("dmp_opened_at"), day_us("mes_created_at")),
        closed=closed,
        activated=day_us("mes_activated_at"),
        death=death,
        opt_out={mode: day_us(column) for mode, column in opt_out_columns().items()},
        mt=MedecinTraitant.of(patients),
        dept=department_index(staff.area, patients["residence_department"]),
        end_of_profile=np.minimum(np.minimum(closed, death), stop_us),
        docs=docs,
        d_person=docs["patient_id"].to_numpy() - first_id,
        d_sub=docs["submitted_us"].to_numpy(),
        d_status_us=d_status_us,
        # available until then
        d_alive_until=np.where((docs["status"] == "approved").to_numpy(), stop_us, d_status_us),
    )
