"""Schema of the identity_records table (one row per patient and structure: the structure's local identity)."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from dmpdata import reference
from dmpdata.schemas._common import EVENT_DAYS, vocabulary


def _status_of(retrieved: pl.Expr, validated: pl.Expr) -> pl.Expr:
    """The RNIV status the two steps give (identity_statuses.csv: PROV neither, VALI validated only, RECUP
    retrieved only, QUAL both)."""
    table = reference.load("identity_statuses")
    status = pl.lit(None, dtype=pl.String)
    for code, r, v in table.select("code", "ins_retrieved", "identity_validated").iter_rows():
        status = pl.when((retrieved == r) & (validated == v)).then(pl.lit(code)).otherwise(status)
    return status


class IdentityRecords(pa.DataFrameModel):
    patient_id: pl.Int64 = pa.Field(ge=1)
    organization_id: pl.Int64 = pa.Field(ge=1)
    created_at: pl.Date = pa.Field(in_range=EVENT_DAYS)
    ins_retrieved_at: pl.Date = pa.Field(nullable=True, in_range=EVENT_DAYS)
    identity_validated_at: pl.Date = pa.Field(nullable=True, in_range=EVENT_DAYS)
    qualified_at: pl.Date = pa.Field(nullable=True, in_range=EVENT_DAYS)
    status: pl.String = pa.Field(isin=vocabulary("identity_statuses"))
    documents_withheld: pl.Int64 = pa.Field(ge=0)

    class Config:
        strict = True
        coerce = False

    @pa.dataframe_check(name="identity_steps_after_creation")
    def _order(cls, data: pa.PolarsData) -> pl.LazyFrame:
        created = pl.col("created_at")
        return data.lazyframe.select(
            pl.all_horizontal(
                (pl.col(c).is_null() | (pl.col(c) >= created))
                for c in ("ins_retrieved_at", "identity_validated_at")
            )
        )

    @pa.dataframe_check(name="qualified_when_retrieved_and_validated")
    def _qualified(cls, data: pa.PolarsData) -> pl.LazyFrame:
        both = pl.max_horizontal("ins_retrieved_at", "identity_validated_at")
        either_missing = pl.col("ins_retrieved_at").is_null() | pl.col("identity_validated_at").is_null()
        return data.lazyframe.select(
            pl.when(either_missing)
            .then(pl.col("qualified_at").is_null())
            .otherwise(pl.col("qualified_at") == both)
            .fill_null(False)
        )

    @pa.dataframe_check(name="status_matches_identity_steps")
    def _status(cls, data: pa.PolarsData) -> pl.LazyFrame:
        status = _status_of(
            pl.col("ins_retrieved_at").is_not_null(), pl.col("identity_validated_at").is_not_null()
        )
        return data.lazyframe.select(pl.col("status") == status)
