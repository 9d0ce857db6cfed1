"""Schema of the observations table (one row per coded result: LOINC code, value, unit)."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from dmpdata import reference
from dmpdata.schemas._common import EVENT_TIMES, codes


class Observations(pa.DataFrameModel):
    observation_id: pl.Int64 = pa.Field(ge=1, unique=True)
    encounter_id: pl.Int64 = pa.Field(ge=1)
    document_id: pl.Int64 = pa.Field(nullable=True, ge=1)
    patient_id: pl.Int64 = pa.Field(ge=1)
    loinc_code: pl.String = pa.Field(isin=codes("observation_types", "loinc_code"))
    value: pl.Float64
    unit: pl.String = pa.Field(isin=codes("observation_types", "unit"))
    effective_at: pl.Datetime("us") = pa.Field(in_range=EVENT_TIMES)

    class Config:
        strict = True
        coerce = False

    @pa.dataframe_check(name="unit_is_the_loinc_codes_unit")
    def _unit(cls, data: pa.PolarsData) -> pl.LazyFrame:
        units = (
            reference.load("observation_types")
            .group_by("loinc_code")
            .agg(pl.col("unit").first().alias("_unit"))
        )
        return data.lazyframe.join(units.lazy(), on="loinc_code", how="left", maintain_order="left").select(
            (pl.col("unit") == pl.col("_unit")).fill_null(False)
        )

    @pa.dataframe_check(name="unit_agrees_with_loinc_property")
    def _loinc_property(cls, data: pa.PolarsData) -> pl.LazyFrame:
        # The unit must express the LOINC code's kind of quantity (a mass ratio is never in mg/mmol).
        agreeing = (
            reference.load("loinc_properties")
            .join(reference.load("loinc_property_units"), on=["property", "unit"], how="semi")
            .select("loinc_code", "unit", pl.lit(True).alias("_agrees"))
        )
        return data.lazyframe.join(
            agreeing.lazy(), on=["loinc_code", "unit"], how="left", maintain_order="left"
        ).select(pl.col("_agrees").fill_null(False))

    @pa.dataframe_check(name="value_within_reference_bounds")
    def _bounds(cls, data: pa.PolarsData) -> pl.LazyFrame:
        bounds = (
            reference.load("observation_types")
            .group_by("loinc_code")
            .agg(pl.col("min_value").min().alias("_lo"), pl.col("max_value").max().alias("_hi"))
        )
        return data.lazyframe.join(bounds.lazy(), on="loinc_code", how="left", maintain_order="left").select(
            ((pl.col("value") >= pl.col("_lo")) & (pl.col("value") <= pl.col("_hi"))).fill_null(False)
        )
