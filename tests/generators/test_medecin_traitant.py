"""The médecin traitant over the period: children declared by their parents, changes, the stages that use it by date."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from dmpdata import reference
from dmpdata.generators.medecin_traitant import MedecinTraitant


def _in_force_on(declarations: pl.DataFrame, day: dt.date) -> pl.DataFrame:
    return declarations.filter(
        (pl.col("declared_from") <= day)
        & (pl.col("declared_until").is_null() | (pl.col("declared_until") >= day))
    )


def _start(dataset) -> dt.date:
    return dataset.scenario.start


def test_children_have_a_medecin_traitant_declared_since_2017(tiny, tiny_frames):
    p, d = tiny_frames["patients"], tiny_frames["gp_declarations"]
    start = _start(tiny)
    children = p.filter(
        (pl.col("birth_date") > start - dt.timedelta(days=16 * 365)) & (pl.col("birth_date") < start)
    )
    declared = children["patient_id"].is_in(_in_force_on(d, start)["patient_id"].implode())
    assert abs(declared.mean() - reference.parameter("gp_declared_share_children")) < 0.12
    # The old generator gave nobody under 17 a médecin traitant.
    assert children["gp_professional_id"].is_not_null().mean() > 0.3
    theirs = d.join(children.select("patient_id", "birth_date"), on="patient_id")
    assert (theirs["declared_from"] >= theirs["birth_date"]).all()
    assert (theirs["declared_from"] >= dt.date(2017, 1, 1)).all()


def test_adults_share_at_the_start_and_local_physicians(tiny, tiny_frames):
    p, d, pros = tiny_frames["patients"], tiny_frames["gp_declarations"], tiny_frames["professionals"]
    start = _start(tiny)
    adults = p.filter(pl.col("birth_date") <= start - dt.timedelta(days=int(17 * 365.25) + 1))
    declared = adults["patient_id"].is_in(_in_force_on(d, start)["patient_id"].implode())
    assert abs(declared.mean() - reference.parameter("gp_declared_share_adults")) < 0.05
    joined = d.join(p, on="patient_id").join(pros, on="professional_id")
    assert (joined["profession_code"] == "10").all()
    assert (joined["department"] == joined["residence_department"]).all()


def test_the_medecin_traitant_changes_and_gp_professional_id_is_the_last(demo):
    p = demo.table("patients").collect()
    d = demo.table("gp_declarations").collect()
    pros = demo.table("professionals").collect()
    reasons = d["end_reason"].value_counts()
    assert set(reasons["end_reason"].drop_nulls()) == {"move", "choice", "retirement", "death"}
    twice = d.group_by("patient_id").len().filter(pl.col("len") == 2)
    # The old generator gave one médecin traitant for the whole period. (Few change at the demo's scale: most of its
    # départements have one or two GPs, and a change to the same doctor is no change.)
    assert twice.height > 0.02 * p.height
    changed = d.filter(pl.col("patient_id").is_in(twice["patient_id"].implode())).sort(
        "patient_id", "declared_from"
    )
    first, second = changed[::2], changed[1::2]
    moved = first["end_reason"].is_in(["move", "choice"]).to_numpy()
    days = (second["declared_from"] - first["declared_until"]).dt.total_days().to_numpy()
    assert (days[moved] == 1).all() and (days[~moved] >= 1).all()
    assert (first["professional_id"] != second["professional_id"]).all()
    current = d.filter(pl.col("end_reason").is_null() | (pl.col("end_reason") == "death"))
    last = p.join(current, on="patient_id", how="left")
    assert last["gp_professional_id"].eq_missing(last["professional_id"]).all()
    # Children: mostly GPs, some paediatricians (where the département has one: few do at the demo's scale).
    extra = reference.load("medecin_traitant_children")
    where = pros.filter(pl.col("kind").is_in(extra["kind"].implode()))["department"].unique().implode()
    kids = p.filter(
        (pl.col("birth_date") > _start(demo) - dt.timedelta(days=16 * 365))
        & pl.col("residence_department").is_in(where)
    )
    kinds = d.join(kids.select("patient_id"), on="patient_id").join(pros, on="professional_id")["kind"]
    assert kinds.len() > 100
    assert abs(kinds.is_in(extra["kind"].implode()).mean() - extra["share"].sum()) < 0.08


def test_the_yearly_synthesis_is_written_by_the_medecin_traitant_of_that_day(demo):
    d = demo.table("gp_declarations").collect()
    vsm = (
        demo.table("documents")
        .filter((pl.col("type_code") == "60591-5") & pl.col("replaces_document_id").is_null())
        .select("patient_id", "author_professional_id", pl.col("created_at").dt.date().alias("day"))
        .collect()
    )
    changed = d.group_by("patient_id").len().filter(pl.col("len") == 2)["patient_id"].implode()
    vsm = vsm.filter(pl.col("patient_id").is_in(changed))
    assert vsm.height > 100
    joined = vsm.join(d, on="patient_id").filter(
        (pl.col("declared_from") <= pl.col("day"))
        & (pl.col("declared_until").is_null() | (pl.col("declared_until") >= pl.col("day")))
    )
    assert joined.height == vsm.height
    assert (joined["author_professional_id"] == joined["professional_id"]).all()


def test_medecin_traitant_on_a_day():
    mt = MedecinTraitant(
        first=np.array([5, 7, 0]),
        first_from=np.array([10.0, 10.0, np.inf]),
        first_until=np.array([20.0, np.inf, np.inf]),
        second=np.array([6, 0, 9]),
        second_from=np.array([25.0, np.inf, 12.0]),
        second_until=np.array([np.inf, np.inf, 30.0]),
    )
    person = np.array([0, 0, 0, 0, 1, 2, 2, 2])
    day = np.array([9.0, 10.5, 22.0, 25.0, 100.0, 11.0, 12.0, 30.0])
    assert mt.on(person, day).tolist() == [0, 5, 0, 6, 7, 0, 9, 0]
    assert mt.ever().tolist() == [True, True, True]


def test_a_death_on_the_last_day_ends_the_declaration():
    import dmpdata
    from dmpdata.generators.medecin_traitant import PRIVATE, declarations

    scenario = dmpdata.load_scenario("tiny")
    start = scenario.start.toordinal()
    values = [[5, 7], [start - 100.0] * 2, [np.inf, start + 10.0], [-1, 0], [0, 8], [np.inf, start + 11.0]]
    values += [[np.inf] * 2, [-1, -1]]
    patients = pl.DataFrame(
        {"patient_id": [1, 2], "death_date": [scenario.end, None]} | dict(zip(PRIVATE, values, strict=True))
    ).with_columns(pl.col("_mt1_end", "_mt2_end").cast(pl.Int8))
    d = declarations(patients, scenario)
    assert d.rows() == [
        (1, 5, dt.date.fromordinal(start - 100), scenario.end, "death"),
        (2, 7, dt.date.fromordinal(start - 100), dt.date.fromordinal(start + 9), "move"),
        (2, 8, dt.date.fromordinal(start + 11), None, None),
    ]
