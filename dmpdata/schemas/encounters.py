"""Schema of the encounters table (one row per care event, whether or not it reached the DMP)."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from dmpdata.pathways import activity_ids, pathway_names  # the pathway files' code sets
from dmpdata.schemas._common import EVENT_TIMES, vocabulary


class Encounters(pa.DataFrameModel):
    encounter_id: pl.Int64 = pa.Field(ge=1, unique=True)
    patient_id: pl.Int64 = pa.Field(ge=1)
    professional_id: pl.Int64 = pa.Field(ge=1)
    organization_id: pl.Int64 = pa.Field(ge=1)
    kind: pl.String = pa.Field(isin=vocabulary("encounter_kinds"))
    pathway: pl.String = pa.Field(isin=pathway_names())
    activity: pl.String = pa.Field(isin=activity_ids())
    start_at: pl.Datetime("us") = pa.Field(in_range=EVENT_TIMES)
    end_at: pl.Datetime("us") = pa.Field(in_range=EVENT_TIMES)
    prescribes_drugs: pl.Boolean
    follows_encounter_id: pl.Int64 = pa.Field(nullable=True, ge=1)
    documents_withheld_unqualified: pl.Int64 = pa.Field(ge=0)

    class Config:
        strict = True
        coerce = False

    @pa.dataframe_check(name="end_not_before_start")
    def _order(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("end_at") >= pl.col("start_at"))

    @pa.dataframe_check(name="follow_up_only_for_dispensing")
    def _follows(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            pl.col("follows_encounter_id").is_null() | (pl.col("kind") == "dispensing")
        )
