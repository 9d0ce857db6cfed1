"""Schema of the professionals table (one row per health professional, RPPS)."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from dmpdata.identifiers import is_valid_rpps
from dmpdata.schemas._common import EARLIEST_EQUIPMENT, LATEST_DATE, codes, vocabulary


class Professionals(pa.DataFrameModel):
    professional_id: pl.Int64 = pa.Field(ge=1, unique=True)
    rpps: pl.String = pa.Field(str_matches=r"^\d{11}$")
    idnat_ps: pl.String = pa.Field(str_matches=r"^8\d{11}$")
    profession_code: pl.String = pa.Field(isin=codes("professions", "profession_code"))
    specialty_code: pl.String = pa.Field(nullable=True, isin=codes("specialties", "specialty_code"))
    kind: pl.String = pa.Field(isin=codes("workforce", "kind"))
    sector: pl.String = pa.Field(isin=vocabulary("sectors", care=True))
    organization_id: pl.Int64 = pa.Field(ge=1)
    department: pl.String = pa.Field(isin=codes("departments", "code"))
    last_name: pl.String = pa.Field(str_length={"min_value": 1})
    first_name: pl.String = pa.Field(str_length={"min_value": 1})
    sex: pl.String = pa.Field(isin=vocabulary("sexes"))
    dmp_equipped_from: pl.Date = pa.Field(
        nullable=True, in_range={"min_value": EARLIEST_EQUIPMENT, "max_value": LATEST_DATE}
    )

    class Config:
        strict = True
        coerce = False

    @pa.check("rpps", name="rpps_luhn")
    def _rpps(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(is_valid_rpps(pl.col(data.key)))

    @pa.dataframe_check(name="idnat_ps_is_8_plus_rpps")
    def _idnat(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select((pl.col("idnat_ps") == pl.lit("8") + pl.col("rpps")).fill_null(False))
