"""Schema of the organizations table (one row per structure, FINESS géographique)."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from dmpdata.identifiers import is_valid_finess
from dmpdata.schemas._common import EARLIEST_EQUIPMENT, LATEST_DATE, codes, vocabulary


class Organizations(pa.DataFrameModel):
    organization_id: pl.Int64 = pa.Field(ge=1, unique=True)
    finess: pl.String = pa.Field(str_length=9)
    finess_ej: pl.String = pa.Field(str_length=9)
    facility_type_code: pl.String = pa.Field(isin=codes("facility_types", "facility_type_code"))
    practice_setting: pl.String = pa.Field(isin=codes("practice_settings", "practice_setting_code"))
    sector: pl.String = pa.Field(isin=vocabulary("sectors", care=True))
    department: pl.String = pa.Field(isin=codes("departments", "code"))
    region: pl.String = pa.Field(isin=codes("regions", "code"))
    commune_name: pl.String
    name: pl.String = pa.Field(str_length={"min_value": 3})
    dmp_equipped_from: pl.Date = pa.Field(
        nullable=True, in_range={"min_value": EARLIEST_EQUIPMENT, "max_value": LATEST_DATE}
    )

    class Config:
        strict = True
        coerce = False

    @pa.check("finess", name="finess_luhn")
    def _finess(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(is_valid_finess(pl.col(data.key)))

    @pa.check("finess_ej", name="finess_ej_luhn")
    def _finess_ej(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(is_valid_finess(pl.col(data.key)))

    @pa.dataframe_check(name="finess_department_prefix")
    def _prefix(cls, data: pa.PolarsData) -> pl.LazyFrame:
        dep = pl.col("department")
        return data.lazyframe.select(pl.col("finess").str.starts_with(dep.str.slice(0, 2)).fill_null(False))
