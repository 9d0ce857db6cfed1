"""Access traces stay inside the scenario's period, even for care at the very end of it."""

from __future__ import annotations

import datetime as dt

import polars as pl

import dmpdata
from dmpdata import engine
from dmpdata.generators.access import generate_access
from dmpdata.generators.conditions import generate_conditions
from dmpdata.generators.documents import generate_documents
from dmpdata.generators.pathways import generate_encounters
from dmpdata.rng import stream


def test_consultations_ten_minutes_into_a_late_encounter_do_not_leave_the_period():
    """Found at 1 M patients: an encounter starting at 23:55 on the last day gave a consultation the next day."""
    scenario = dmpdata.load_scenario("tiny").with_overrides(patients=1000, seed=5)
    ctx = engine._context(scenario)
    traits = engine.chunk_traits(scenario, 0)
    patients = engine._chunk_patients(scenario, 0, ctx).drop(engine.NIR_TRAITS).with_columns(
        engine._matricules([traits], ctx.area).alias("ins_matricule"), pl.lit("x").alias("ins_oid"))
    conditions = generate_conditions(scenario, stream(1, "conditions", 0), patients)
    encounters = generate_encounters(scenario, stream(1, "pathways", 0), ctx.area, ctx.staff, patients, conditions)
    # Move every encounter of the period's last month to 23:55 on its last day (a crowded late evening).
    last_day = dt.datetime.combine(scenario.end, dt.time(23, 55))
    late = pl.col("start_at") >= dt.datetime.combine(scenario.end - dt.timedelta(days=30), dt.time())
    encounters = encounters.with_columns(
        pl.when(late).then(pl.lit(last_day)).otherwise("start_at").alias("start_at"),
        pl.when(late).then(pl.lit(last_day + dt.timedelta(minutes=4))).otherwise("end_at").alias("end_at"),
    )
    assert encounters.filter(late).height > 50
    documents = generate_documents(scenario, stream(1, "documents", 0), patients, encounters, ctx.staff)
    events, _ = generate_access(scenario, stream(1, "access", 0), patients, encounters, documents, ctx.staff)
    end = dt.datetime.combine(scenario.end + dt.timedelta(days=1), dt.time())
    assert events["occurred_at"].max() < end
    assert events.filter(pl.col("occurred_at").dt.date() == scenario.end).height > 0  # the last day still has traces
