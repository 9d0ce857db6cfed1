"""Schema of the organizations table (one row per structure: FINESS establishment, liberal practice or company)."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from dmpdata import reference
from dmpdata.identifiers import (
    idnat_struct_prefix,
    is_valid_finess,
    is_valid_idnat_struct,
    is_valid_rpps_rang,
    is_valid_siret,
)
from dmpdata.schemas._common import EARLIEST_EQUIPMENT, LATEST_DATE, codes, vocabulary


def _types_identified_by(kind: str) -> pl.Series:
    facility = reference.load("facility_types")
    return facility.filter(pl.col("identified_by") == kind)["facility_type_code"].implode()


class Organizations(pa.DataFrameModel):
    organization_id: pl.Int64 = pa.Field(ge=1, unique=True)
    idnat_struct: pl.String = pa.Field(str_length={"min_value": 10, "max_value": 15})
    finess: pl.String = pa.Field(nullable=True, str_length=9)
    finess_ej: pl.String = pa.Field(nullable=True, str_length=9)
    siret: pl.String = pa.Field(nullable=True, str_length=14)
    rpps_rang: pl.String = pa.Field(nullable=True, str_length=14)
    facility_type_code: pl.String = pa.Field(isin=codes("facility_types", "facility_type_code"))
    practice_setting: pl.String = pa.Field(isin=codes("practice_settings", "practice_setting_code"))
    sector: pl.String = pa.Field(isin=vocabulary("sectors", care=True))
    department: pl.String = pa.Field(isin=codes("departments", "code"))
    region: pl.String = pa.Field(isin=codes("regions", "code"))
    commune_code: pl.String = pa.Field(isin=codes("communes", "code"))
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
        col = pl.col(data.key)
        return data.lazyframe.select(col.is_null() | is_valid_finess(col))

    @pa.check("finess_ej", name="finess_ej_luhn")
    def _finess_ej(cls, data: pa.PolarsData) -> pl.LazyFrame:
        col = pl.col(data.key)
        return data.lazyframe.select(col.is_null() | is_valid_finess(col))

    @pa.check("siret", name="siret_luhn")
    def _siret(cls, data: pa.PolarsData) -> pl.LazyFrame:
        col = pl.col(data.key)
        return data.lazyframe.select(col.is_null() | is_valid_siret(col))

    @pa.check("rpps_rang", name="rpps_rang_luhn")
    def _rpps_rang(cls, data: pa.PolarsData) -> pl.LazyFrame:
        col = pl.col(data.key)
        return data.lazyframe.select(col.is_null() | is_valid_rpps_rang(col))

    @pa.check("idnat_struct", name="idnat_struct_form")
    def _idnat_struct(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(is_valid_idnat_struct(pl.col(data.key)))

    @pa.dataframe_check(name="finess_department_prefix")
    def _prefix(cls, data: pa.PolarsData) -> pl.LazyFrame:
        dep, finess = pl.col("department"), pl.col("finess")
        return data.lazyframe.select(
            finess.is_null() | finess.str.starts_with(dep.str.slice(0, 2)).fill_null(False)
        )

    @pa.dataframe_check(name="finess_only_on_finess_establishments")
    def _finess_types(cls, data: pa.PolarsData) -> pl.LazyFrame:
        registered = pl.col("facility_type_code").is_in(_types_identified_by("FINESS"))
        both = pl.col("finess").is_not_null() & pl.col("finess_ej").is_not_null()
        neither = pl.col("finess").is_null() & pl.col("finess_ej").is_null()
        return data.lazyframe.select(pl.when(registered).then(both).otherwise(neither))

    @pa.dataframe_check(name="rpps_rang_only_on_practices")
    def _rang_types(cls, data: pa.PolarsData) -> pl.LazyFrame:
        practice = pl.col("facility_type_code").is_in(_types_identified_by("RPPS_RANG"))
        return data.lazyframe.select(pl.col("rpps_rang").is_null() | practice)

    @pa.dataframe_check(name="idnat_struct_of_its_numbers")
    def _idnat_numbers(cls, data: pa.PolarsData) -> pl.LazyFrame:
        expected = pl.coalesce(
            pl.lit(idnat_struct_prefix("FINESS")) + pl.col("finess"),
            pl.lit(idnat_struct_prefix("RPPS_RANG")) + pl.col("rpps_rang"),
            pl.lit(idnat_struct_prefix("SIRET")) + pl.col("siret"),
        )
        return data.lazyframe.select((pl.col("idnat_struct") == expected).fill_null(False))
