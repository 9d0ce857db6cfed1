"""Schema of the patients table (one row per person: INS identity, Mon espace santé, médecin traitant)."""

from __future__ import annotations

import datetime as dt

import pandera.polars as pa
import polars as pl

from dmpdata import reference
from dmpdata.identifiers import is_valid_nir, nir_matches_person
from dmpdata.schemas._common import (
    EARLIEST_BIRTH,
    LATEST_DATE,
    birthplace_codes,
    codes,
    test_oid,
    vocabulary,
)

MES_STATUSES = vocabulary("mes_statuses")
_DATES = {"min_value": EARLIEST_BIRTH, "max_value": LATEST_DATE}
# DMP creations stopped on 1 July 2021: the day after the last point of the pre-2022 DMP count.
_PRIOR_DMP_STOP = reference.load("mes_prior_dmp")["date"].max() + dt.timedelta(days=1)


def _not_before(later: str, earlier: str) -> pl.Expr:
    return (pl.col(later).is_null() | pl.col(earlier).is_null() | (pl.col(later) >= pl.col(earlier))).alias(
        later
    )


class Patients(pa.DataFrameModel):
    patient_id: pl.Int64 = pa.Field(ge=1, unique=True)
    ins_matricule: pl.String = pa.Field(str_length=15)
    matricule_kind: pl.String = pa.Field(isin=vocabulary("matricule_kinds"))
    ins_oid: pl.String = pa.Field(isin=[test_oid()])
    birth_name: pl.String = pa.Field(str_matches=r"^[A-Z][A-Z' -]*$")
    first_names: pl.String = pa.Field(str_matches=r"^[A-Z][A-Z' -]*$")
    first_name: pl.String = pa.Field(str_matches=r"^[A-Z][A-Z'-]*$")
    used_name: pl.String = pa.Field(nullable=True, str_matches=r"^[A-Z][A-Z' -]*$")
    sex: pl.String = pa.Field(isin=vocabulary("sexes"))
    birth_date: pl.Date = pa.Field(in_range=_DATES)
    birth_place_code: pl.String = pa.Field(isin=birthplace_codes())
    residence_commune: pl.String = pa.Field(isin=codes("communes", "code"))
    residence_department: pl.String = pa.Field(isin=codes("departments", "code"))
    residence_region: pl.String = pa.Field(isin=codes("regions", "code"))
    death_date: pl.Date = pa.Field(nullable=True, in_range=_DATES)
    mes_status: pl.String = pa.Field(isin=MES_STATUSES)
    mes_notified_at: pl.Date = pa.Field(nullable=True, in_range=_DATES)
    mes_created_at: pl.Date = pa.Field(nullable=True, in_range=_DATES)
    mes_opposed_at: pl.Date = pa.Field(nullable=True, in_range=_DATES)
    mes_activated_at: pl.Date = pa.Field(nullable=True, in_range=_DATES)
    mes_closed_at: pl.Date = pa.Field(nullable=True, in_range=_DATES)
    bris_de_glace_opt_out_at: pl.Date = pa.Field(nullable=True, in_range=_DATES)
    centre_15_opt_out_at: pl.Date = pa.Field(nullable=True, in_range=_DATES)
    dmp_opened_at: pl.Date = pa.Field(nullable=True, in_range=_DATES)
    gp_professional_id: pl.Int64 = pa.Field(nullable=True, ge=1)

    class Config:
        strict = True
        coerce = False

    @pa.check("ins_matricule", name="nir_key")
    def _nir_key(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(is_valid_nir(pl.col(data.key)))

    @pa.dataframe_check(name="nir_matches_sex_birth_date_birthplace")
    def _nir_person(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            nir_matches_person(
                pl.col("ins_matricule"), pl.col("sex"), pl.col("birth_date"), pl.col("birth_place_code")
            )
        )

    @pa.dataframe_check(name="nia_only_for_people_born_abroad")
    def _nia(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            (pl.col("matricule_kind") == "NIR") | pl.col("birth_place_code").str.starts_with("99")
        )

    @pa.dataframe_check(name="first_name_is_first_of_first_names")
    def _first(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            (pl.col("first_names").str.split(" ").list.first() == pl.col("first_name")).fill_null(False)
        )

    @pa.dataframe_check(name="death_after_birth")
    def _death(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(_not_before("death_date", "birth_date"))

    @pa.dataframe_check(name="mes_dates_in_order")
    def _mes_dates(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            pl.all_horizontal(
                _not_before("mes_created_at", "birth_date"),
                _not_before("mes_created_at", "mes_notified_at"),
                _not_before("mes_activated_at", "mes_created_at"),
                _not_before("mes_closed_at", "mes_activated_at"),
                _not_before("mes_closed_at", "mes_created_at"),
                _not_before("mes_opposed_at", "mes_notified_at"),
            )
        )

    @pa.dataframe_check(name="mes_status_matches_dates")
    def _mes_status(cls, data: pa.PolarsData) -> pl.LazyFrame:
        s = pl.col("mes_status")
        return data.lazyframe.select(
            pl.when(s == "opposed")
            .then(pl.col("mes_opposed_at").is_not_null() & pl.col("mes_created_at").is_null())
            .when(s == "not_created")
            .then(pl.col("mes_created_at").is_null() & pl.col("mes_opposed_at").is_null())
            .when(s == "closed")
            .then(pl.col("mes_closed_at").is_not_null() & pl.col("mes_created_at").is_not_null())
            .when(s == "activated")
            .then(pl.col("mes_activated_at").is_not_null() & pl.col("mes_closed_at").is_null())
            .otherwise(
                pl.col("mes_created_at").is_not_null()
                & pl.col("mes_activated_at").is_null()
                & pl.col("mes_closed_at").is_null()
            )
            .fill_null(False)
        )

    @pa.dataframe_check(name="emergency_opt_out_needs_activated_profile")
    def _opt_out(cls, data: pa.PolarsData) -> pl.LazyFrame:
        # Each emergency mode has its own consent (access_modes.opt_out_column), refused only once activated.
        columns = list(reference.labels("access_modes", "opt_out_column").values())
        return data.lazyframe.select(
            pl.all_horizontal(
                pl.col(c).is_null()
                | (pl.col("mes_activated_at").is_not_null() & (pl.col(c) >= pl.col("mes_activated_at")))
                for c in columns
            )
        )

    @pa.dataframe_check(name="no_event_after_death")
    def _after_death(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            pl.all_horizontal(
                _not_before("death_date", "mes_created_at"),
                _not_before("death_date", "mes_activated_at"),
            )
        )

    @pa.dataframe_check(name="prior_dmp_before_mon_espace_sante")
    def _prior_dmp(cls, data: pa.PolarsData) -> pl.LazyFrame:
        opened = pl.col("dmp_opened_at")
        return data.lazyframe.select(
            opened.is_null()
            | (
                _not_before("dmp_opened_at", "birth_date")
                & (opened < _PRIOR_DMP_STOP)
                & (pl.col("mes_created_at").is_null() | (opened < pl.col("mes_created_at")))
                & (pl.col("mes_status") != "opposed")
            ).fill_null(False)
        )
