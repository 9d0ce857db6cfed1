"""Identity records: one per patient and structure of contact, qualified over time; only qualified identities feed."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from dmpdata import reference
from dmpdata.generators.identity_records import IdentityCurves, generate_identity_records
from dmpdata.rng import stream

DAY = dt.date(2023, 6, 1).toordinal()


def _organizations(*facility_sector: tuple[str, str]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "facility_type_code": [f for f, _ in facility_sector],
            "sector": [s for _, s in facility_sector],
        }
    )


def test_curves_pick_the_facility_type_then_the_sector_default():
    curves = IdentityCurves(_organizations(("SA25", "ville"), ("SA07", "ville"), ("SA01", "etablissement")))
    lab, gp, hospital = (curves.share(np.array([o]), np.array([float(DAY)]))[0] for o in (1, 2, 3))
    table = reference.load("identity_qualification")

    def expected(ft, sector):
        part = table.filter((pl.col("facility_type_code") == ft) & (pl.col("sector") == sector)).sort("date")
        days = lambda step: np.array([d.toordinal() for d in part.filter(pl.col("step") == step)["date"]])  # noqa: E731
        shares = lambda step: part.filter(pl.col("step") == step)["share"].to_numpy()  # noqa: E731
        return np.interp(DAY, days("retrieved"), shares("retrieved")) * np.interp(
            DAY, days("validated"), shares("validated")
        )

    assert lab == pytest.approx(expected("SA25", "ville"))
    assert gp == pytest.approx(expected("*", "ville"))  # a GP practice has no curve of its own
    assert hospital == pytest.approx(expected("*", "etablissement"))
    assert lab > gp  # labs qualify more (their DMP feeding requires it)


def test_threshold_inverts_the_curve():
    curves = IdentityCurves(_organizations(("SA01", "etablissement")))
    days, shares = curves.points["retrieved"][curves.curve_of[1]]
    org = np.ones(3, dtype=np.int64)
    at = curves.threshold("retrieved", org, np.array([shares[0] / 2, (shares[1] + shares[2]) / 2, 1.0]))
    assert at[0] == -np.inf  # already retrieved when the curve starts
    assert days[1] < at[1] < days[2]
    assert np.interp(at[1], days, shares) == pytest.approx((shares[1] + shares[2]) / 2)
    assert at[2] == np.inf if shares[-1] < 1.0 else at[2] == days[-1]  # never, unless the curve reaches 1


def test_one_record_per_patient_and_structure_created_at_first_contact():
    curves = IdentityCurves(_organizations(("SA01", "etablissement"), ("SA07", "ville")))
    person = np.array([0, 0, 0, 1, 1])
    org = np.array([1, 1, 2, 1, 1])
    day = np.array([DAY + 30.0, DAY, DAY + 5, DAY + 100, DAY + 200])
    records = generate_identity_records(stream(1, "identity", 0), curves, person, org, day)
    frame = records.frame(np.array([11, 12]))
    assert frame.select("patient_id", "organization_id").rows() == [(11, 1), (11, 2), (12, 1)]
    assert records.created.tolist() == [DAY, DAY + 5, DAY + 100]
    assert records.last.tolist() == [DAY + 30, DAY + 5, DAY + 200]
    # Steps happen between the first and the last contact (never after: the structure no longer sees the patient).
    for step in (records.retrieved, records.validated):
        done = np.isfinite(step)
        assert (step[done] >= records.created[done]).all() and (step[done] <= records.last[done]).all()
    assert records.row_of(np.array([1, 0]), np.array([1, 2])).tolist() == [2, 1]


def test_the_share_qualified_follows_the_curves():
    """Many patients seen once a day apart over the period: the share qualified by a day is the curves' product."""
    curves = IdentityCurves(_organizations(("*", "ville")).with_columns(facility_type_code=pl.lit("SA07")))
    n = 40_000
    person = np.repeat(np.arange(n), 2)
    start, end = float(dt.date(2021, 7, 1).toordinal()), float(dt.date(2026, 6, 30).toordinal())
    day = np.tile([start, end], n)
    records = generate_identity_records(
        stream(3, "identity", 0), curves, person, np.ones(2 * n, dtype=np.int64), day
    )
    for when in (dt.date(2022, 6, 1), dt.date(2024, 1, 1), dt.date(2026, 1, 1)):
        t = float(when.toordinal())
        expected = curves.share(np.ones(1, dtype=np.int64), np.array([t]))[0]
        assert (records.qualified <= t).mean() == pytest.approx(expected, abs=0.01), when


def test_only_qualified_identities_feed_and_what_is_withheld_is_counted(tiny_frames):
    records = tiny_frames["identity_records"]
    docs = tiny_frames["documents"].filter(pl.col("organization_id").is_not_null())
    joined = docs.join(records, on=["patient_id", "organization_id"], how="left")
    assert joined["qualified_at"].null_count() == 0
    assert (joined["qualified_at"] <= joined["submitted_at"]).all()
    encounters = tiny_frames["encounters"]
    withheld = encounters["documents_withheld_unqualified"].sum()
    assert withheld > 0  # early in the period few structures had qualified identities
    # Every withheld document is counted on its structure's record; those without an encounter (the VSM) too.
    assert records["documents_withheld"].sum() >= withheld
    # A record that withheld documents was not qualified when it was created (never, or later).
    held = records.filter(pl.col("documents_withheld") > 0)
    assert (held["qualified_at"].is_null() | (held["qualified_at"] > held["created_at"])).all()


def test_status_and_contacts_of_the_tiny_dataset(tiny_frames):
    records = tiny_frames["identity_records"]
    encounters = tiny_frames["encounters"]
    pairs = encounters.select("patient_id", "organization_id").unique()
    assert pairs.join(records, on=["patient_id", "organization_id"], how="anti").height == 0
    assert set(records["status"]) == {"PROV", "VALI", "RECUP", "QUAL"}
    first = encounters.group_by("patient_id", "organization_id").agg(pl.col("start_at").min().alias("first"))
    joined = first.join(records, on=["patient_id", "organization_id"])
    # Created at the first contact: an encounter, or a document written for the patient before it (a
    # prescription). Times go through day ordinals (float): to the microsecond's rounding.
    assert (joined["created_at"] <= joined["first"] + dt.timedelta(milliseconds=1)).all()
