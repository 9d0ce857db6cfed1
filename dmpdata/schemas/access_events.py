"""Schema of the access_events table (one row per DMP trace: every attempt, granted or denied)."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from dmpdata import reference
from dmpdata.schemas._common import EVENT_TIMES, codes, vocabulary

ACTIONS = vocabulary("access_actions")
OUTCOMES = vocabulary("access_outcomes")


class AccessEvents(pa.DataFrameModel):
    event_id: pl.Int64 = pa.Field(ge=1, unique=True)
    occurred_at: pl.Datetime("us") = pa.Field(in_range=EVENT_TIMES)
    patient_id: pl.Int64 = pa.Field(ge=1)
    document_id: pl.Int64 = pa.Field(nullable=True, ge=1)
    actor_kind: pl.String = pa.Field(isin=vocabulary("actor_kinds"))
    actor_professional_id: pl.Int64 = pa.Field(nullable=True, ge=1)
    target_professional_id: pl.Int64 = pa.Field(nullable=True, ge=1)
    action: pl.String = pa.Field(isin=ACTIONS)
    access_mode: pl.String = pa.Field(nullable=True, isin=codes("access_modes", "code"))
    channel: pl.String = pa.Field(isin=codes("channels", "code"))
    auth_mode: pl.String = pa.Field(nullable=True, isin=codes("auth_modes", "code"))
    outcome: pl.String = pa.Field(isin=OUTCOMES)

    class Config:
        strict = True
        coerce = False

    @pa.dataframe_check(name="professional_actor_has_id_mode_and_auth")
    def _professional(cls, data: pa.PolarsData) -> pl.LazyFrame:
        professional = pl.col("actor_kind") == "professional"
        return data.lazyframe.select(
            (professional == pl.col("actor_professional_id").is_not_null())
            & (professional == pl.col("access_mode").is_not_null())
            & (professional == pl.col("auth_mode").is_not_null())
        )

    @pa.dataframe_check(name="only_consultations_can_be_denied")
    def _denied(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select((pl.col("outcome") == "granted") | (pl.col("action") == "consult"))

    @pa.dataframe_check(name="channel_matches_actor")
    def _channel(cls, data: pa.PolarsData) -> pl.LazyFrame:
        users = reference.labels("channels", "actor_kind")  # who uses each channel
        used_by = pl.col("channel").replace_strict(list(users), list(users.values()), default=None)
        return data.lazyframe.select((used_by == pl.col("actor_kind")).fill_null(False))

    @pa.dataframe_check(name="auth_mode_allowed_on_channel")
    def _auth(cls, data: pa.PolarsData) -> pl.LazyFrame:
        # The web portal authenticates a person (CPS/e-CPS: DIRECTE); only software may use the structure's
        # certificate (INDIRECTE). channels.csv says which modes each professional channel accepts.
        allowed = [
            (channel, mode)
            for channel, modes in reference.labels("channels", "auth_modes").items()
            for mode in modes.split("|")
        ]
        pair = pl.concat_str(pl.col("channel"), pl.col("auth_mode"), separator="|")
        return data.lazyframe.select(
            pl.col("auth_mode").is_null() | pair.is_in([f"{c}|{m}" for c, m in allowed])
        )
