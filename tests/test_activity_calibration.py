"""The DMP activity at demo scale against published figures (dmp-reference §6), with stated tolerances."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from dmpdata import fidelity


def _published(target: str) -> float:
    """A published figure of datasets/calibration/targets.csv (with its source there)."""
    return fidelity.targets().filter(pl.col("target") == target)["value"].item()


# ANS via Le Moniteur des pharmacies (Jan 2024): > 19 M documents in Dec 2023; INSEE: 68.4 M inhabitants.
DEC_2023_PER_INHABITANT = _published("documents_per_inhabitant_2023_12")
# Mon espace santé: 24 M activated profiles on 29 Jan 2026 (CNAM + DNS) out of 69.1 M inhabitants (INSEE 2026).
ACTIVATED_2026 = _published("mes_activated_share_2026_01")


@pytest.fixture(scope="module")
def frames(demo):
    return {
        name: demo.table(name).collect() for name in ("patients", "conditions", "documents", "observations")
    }


def _december_2023(documents: pl.DataFrame) -> pl.DataFrame:
    # The reimbursement history (REMB) is fed automatically by the Assurance Maladie and is not counted in the
    # published volumes of documents fed by professionals and patients (dmp-reference §6.1, unverified).
    return documents.filter(
        (pl.col("author_kind") != "assurance_maladie")
        & (pl.col("submitted_at") >= dt.datetime(2023, 12, 1))
        & (pl.col("submitted_at") < dt.datetime(2024, 1, 1))
    )


def test_documents_per_inhabitant_in_december_2023(frames):
    # Tolerance ±15 %: the published figure is "more than 19 M" and the sample is 50,000 people.
    per_inhabitant = _december_2023(frames["documents"]).height / frames["patients"].height
    assert abs(per_inhabitant / DEC_2023_PER_INHABITANT - 1) < 0.15, per_inhabitant


def test_type_mix_in_december_2023(frames):
    dec = _december_2023(frames["documents"])
    group = (
        pl.when(pl.col("type_code") == "11502-2")
        .then(pl.lit("biology"))
        .when(pl.col("class_code") == "42")
        .then(pl.lit("prescriptions"))
        .when(pl.col("class_code") == "31")
        .then(pl.lit("imaging"))
        .when(pl.col("sector") == "etablissement")
        .then(pl.lit("hospital"))
        .otherwise(pl.lit("other"))
    )
    shares = dict(dec.group_by(group.alias("g")).len().with_columns(pl.col("len") / dec.height).iter_rows())
    # dmp-reference §6.1: biology 35-40 %, prescriptions ~20-25 %, hospital ~15-20 %, imaging ~8 %;
    # tolerance 2 points on each side for sampling noise at 50,000 patients.
    assert 0.33 <= shares["biology"] <= 0.42, shares
    assert 0.18 <= shares["prescriptions"] <= 0.27, shares
    assert 0.13 <= shares["hospital"] <= 0.22, shares
    assert 0.05 <= shares["imaging"] <= 0.11, shares
    assert shares["biology"] > shares["prescriptions"] > shares["hospital"] > shares["imaging"], shares


def test_opposition_and_activation(frames):
    patients = frames["patients"]
    notified = patients.filter(pl.col("mes_notified_at").is_not_null())
    opposed = (notified["mes_status"] == "opposed").mean()
    assert 0.01 <= opposed <= 0.02, opposed  # 0.69 % in the pilot, 1.48 % in 2022, < 2 % (dmp-reference §6.1)
    end = dt.date(2026, 6, 30)
    alive = patients.filter(pl.col("death_date").is_null() | (pl.col("death_date") > end))
    activated = (alive["mes_status"] == "activated").mean()
    assert abs(activated - ACTIVATED_2026) < 0.04, activated


def test_treated_diabetes_and_hba1c_follow_up(frames):
    patients, conditions, observations = frames["patients"], frames["conditions"], frames["observations"]
    diabetics = conditions.filter(pl.col("condition_code") == "E11")
    # CNAM: about 4.2 M people treated for diabetes, type 2 94 % of them (pathologies.csv: 5.75 % of the population)
    # at the period's start; incident cases during the period come on top.
    at_start = diabetics.filter(pl.col("onset_date") <= dt.date(2021, 7, 1))
    assert 0.048 <= at_start.height / patients.height <= 0.068
    # HbA1c tests in 2024 among type 2 diabetics alive all year with onset before 2024.
    cohort = (
        diabetics.filter(pl.col("onset_date") < dt.date(2024, 1, 1))
        .join(
            patients.filter(pl.col("death_date").is_null() | (pl.col("death_date") > dt.date(2024, 12, 31))),
            on="patient_id",
        )
        .select("patient_id")
    )
    tests = (
        observations.filter((pl.col("loinc_code") == "4548-4") & (pl.col("effective_at").dt.year() == 2024))
        .group_by("patient_id")
        .len()
    )
    counts = cohort.join(tests, on="patient_id", how="left").with_columns(pl.col("len").fill_null(0))["len"]
    # BEH 2015 (SNDS 2013): about half of treated diabetics have >= 3 HbA1c a year; some have none.
    assert 0.40 <= (counts >= 3).mean() <= 0.62
    assert 0.02 <= (counts == 0).mean() <= 0.25
    assert counts.n_unique() >= 5  # 0, 1, 2, 3, 4+ all occur: real gaps, not a uniform schedule
    values = observations.filter(pl.col("loinc_code") == "4548-4").join(cohort, on="patient_id")["value"]
    assert 6.5 <= values.mean() <= 7.8  # Entred 2007: mean HbA1c of type 2 diabetics ~7.1 %


def test_profiles_follow_the_2022_national_wave(frames):
    """11.2 M profiles at 31 May 2022 (CNAM board) and 65.4 M at 3 Nov 2022 (Assurance Maladie), although every
    notification went out by 28 Mar: creation follows the published counts, never before six weeks after the
    notification outside activation, and departments notified earlier get theirs earlier."""
    patients = frames["patients"]
    for target, at in (
        ("mes_profiles_open_share_2022_05", dt.date(2022, 5, 31)),
        ("mes_profiles_open_share_2022_11", dt.date(2022, 11, 3)),
    ):
        alive = patients.filter(
            (pl.col("birth_date") <= at) & (pl.col("death_date").is_null() | (pl.col("death_date") > at))
        )
        open_ = (
            (pl.col("mes_created_at") <= at)
            & (pl.col("mes_closed_at").is_null() | (pl.col("mes_closed_at") > at))
        ).fill_null(False)
        share = alive.select(open_.mean()).item()
        assert abs(share - _published(target)) < 0.03, (target, share)
    wave = patients.filter(
        (pl.col("mes_notified_at") >= dt.date(2022, 1, 31))
        & (pl.col("mes_notified_at") <= dt.date(2022, 3, 28))
        & pl.col("mes_created_at").is_not_null()
        & (pl.col("mes_activated_at").is_null() | (pl.col("mes_activated_at") > pl.col("mes_created_at")))
    )
    assert (wave["mes_created_at"] - wave["mes_notified_at"]).min() >= dt.timedelta(days=42)
    early = wave.filter(pl.col("residence_department") == "01")["mes_created_at"].median()
    late = wave.filter(pl.col("residence_department") == "95")["mes_created_at"].median()
    assert early < late, (early, late)


def test_dmps_opened_before_mon_espace_sante_continue(frames):
    """About 10 M DMPs were opened before creations stopped on 1 July 2021 (mes_prior_dmp), more often by older
    people (assumed age profile, mes_prior_dmp_age); they stay open, so professionals feed them before the holder's
    Mon espace santé profile exists, and never after the holder's death."""
    patients, documents = frames["patients"], frames["documents"]
    holders = patients.filter(pl.col("dmp_opened_at").is_not_null())
    born = patients.filter(pl.col("birth_date") < dt.date(2021, 7, 1))
    assert abs(holders.height / born.height - 10e6 / 67.4e6) < 0.01, holders.height / born.height
    assert holders["dmp_opened_at"].max() < dt.date(2021, 7, 1)
    age = (dt.date(2021, 6, 30) - pl.col("birth_date")).dt.total_days() / 365.2425
    by_age = born.group_by((age >= 60).alias("older")).agg(pl.col("dmp_opened_at").is_not_null().mean())
    rate = dict(by_age.iter_rows())
    assert rate[True] > 1.5 * rate[False], rate
    fed = documents.join(patients, on="patient_id").filter(
        pl.col("mes_created_at").is_null() | (pl.col("submitted_at").dt.date() < pl.col("mes_created_at"))
    )
    assert fed.height > 0 and fed["dmp_opened_at"].null_count() == 0
    assert fed.filter(pl.col("submitted_at").dt.date() > pl.col("death_date")).is_empty()
