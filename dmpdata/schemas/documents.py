"""Schema of the documents table (one row per DMP document version fed to the DMP)."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from dmpdata.schemas._common import EVENT_TIMES, codes, dmp_types, vocabulary

STATUSES = vocabulary("document_statuses")
AUTHOR_KINDS = vocabulary("actor_kinds")


class Documents(pa.DataFrameModel):
    document_id: pl.Int64 = pa.Field(ge=1, unique=True)
    unique_id: pl.String = pa.Field(str_matches=r"^2\.25\.[1-9][0-9]{0,38}$")
    patient_id: pl.Int64 = pa.Field(ge=1)
    encounter_id: pl.Int64 = pa.Field(nullable=True, ge=1)
    type_code: pl.String = pa.Field(isin=dmp_types())
    class_code: pl.String = pa.Field(isin=codes("document_classes", "class_code"))
    format_code: pl.String = pa.Field(isin=codes("format_codes", "format_code"))
    author_kind: pl.String = pa.Field(isin=AUTHOR_KINDS)
    author_professional_id: pl.Int64 = pa.Field(nullable=True, ge=1)
    organization_id: pl.Int64 = pa.Field(nullable=True, ge=1)
    sector: pl.String = pa.Field(isin=vocabulary("sectors"))
    created_at: pl.Datetime("us") = pa.Field(in_range=EVENT_TIMES)
    submitted_at: pl.Datetime("us") = pa.Field(in_range=EVENT_TIMES)
    confidentiality: pl.String = pa.Field(isin=vocabulary("confidentiality_codes", kind="hl7"))
    masked_ps: pl.Boolean
    invisible_patient: pl.Boolean
    invisible_legal_reps: pl.Boolean
    status: pl.String = pa.Field(isin=STATUSES)
    status_at: pl.Datetime("us") = pa.Field(in_range=EVENT_TIMES)
    replaces_document_id: pl.Int64 = pa.Field(nullable=True, ge=1)
    mandatory: pl.Boolean

    class Config:
        strict = True
        coerce = False

    @pa.dataframe_check(name="submitted_not_before_created")
    def _submitted(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("submitted_at") >= pl.col("created_at"))

    @pa.dataframe_check(name="status_not_before_submission")
    def _status(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("status_at") >= pl.col("submitted_at"))

    @pa.dataframe_check(name="author_matches_author_kind")
    def _author(cls, data: pa.PolarsData) -> pl.LazyFrame:
        professional = pl.col("author_kind") == "professional"
        return data.lazyframe.select(
            (professional == pl.col("author_professional_id").is_not_null())
            & (professional == pl.col("organization_id").is_not_null())
            & (professional | (pl.col("sector") == pl.col("author_kind")))
        )
