"""Schema of the gp_declarations table (one row per patient × médecin traitant declaration in force in the period)."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from dmpdata.schemas._common import EARLIEST_BIRTH, LATEST_DATE, vocabulary

_DATES = {"min_value": EARLIEST_BIRTH, "max_value": LATEST_DATE}


class GpDeclarations(pa.DataFrameModel):
    patient_id: pl.Int64 = pa.Field(ge=1)
    professional_id: pl.Int64 = pa.Field(ge=1)
    declared_from: pl.Date = pa.Field(in_range=_DATES)
    declared_until: pl.Date = pa.Field(nullable=True, in_range=_DATES)
    end_reason: pl.String = pa.Field(nullable=True, isin=vocabulary("gp_declaration_end_reasons"))

    @pa.dataframe_check(name="declaration_ends_after_it_starts")
    def _ends(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            pl.col("declared_until").is_null() | (pl.col("declared_until") >= pl.col("declared_from"))
        )

    @pa.dataframe_check(name="declaration_end_has_a_reason")
    def _reason(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("declared_until").is_null() == pl.col("end_reason").is_null())

    class Config:
        strict = True
        coerce = False
