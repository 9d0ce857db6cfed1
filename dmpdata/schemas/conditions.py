"""Schema of the conditions table (one row per patient × chronic condition)."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from dmpdata.schemas._common import EARLIEST_BIRTH, LATEST_DATE, codes


class Conditions(pa.DataFrameModel):
    patient_id: pl.Int64 = pa.Field(ge=1)
    condition_code: pl.String = pa.Field(isin=codes("conditions", "condition_code"))
    ald: pl.Boolean
    onset_date: pl.Date = pa.Field(in_range={"min_value": EARLIEST_BIRTH, "max_value": LATEST_DATE})
    pathology: pl.String = pa.Field(isin=codes("pathologies", "pathology"))
    ald_number: pl.Int8 = pa.Field(ge=1, le=32, nullable=True)
    ald_start_date: pl.Date = pa.Field(
        in_range={"min_value": EARLIEST_BIRTH, "max_value": LATEST_DATE}, nullable=True
    )

    class Config:
        strict = True
        coerce = False
