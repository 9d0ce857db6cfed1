"""Population stage: INS-coherent identities, realistic structure, Mon espace santé and médecin traitant."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from stdnum import luhn
from stdnum.fr import nir as stdnum_nir

import dmpdata
from dmpdata import reference

TEST_OID = "1.2.250.1.213.1.4.10"
PRODUCTION_OIDS = {"1.2.250.1.213.1.4.8", "1.2.250.1.213.1.4.9"}


def test_every_nir_passes_stdnum_and_matches_the_person(tiny_frames):
    p = tiny_frames["patients"]
    assert p.height == 1000
    assert all(stdnum_nir.is_valid(m) for m in p["ins_matricule"])
    for row in p.iter_rows(named=True):
        m, born, place = row["ins_matricule"], row["birth_date"], row["birth_place_code"]
        assert m[0] == ("1" if row["sex"] == "M" else "2")
        assert m[1:3] == f"{born.year % 100:02d}"
        # The month of birth, or a pseudo-month (20-42) for a person born abroad registered from an incomplete record.
        assert m[3:5] == f"{born.month:02d}" or (20 <= int(m[3:5]) <= 42 and place.startswith("99"))
        if place[:2] in ("2A", "2B") and born.year < 1976:
            assert m[5:10] == "20" + place[2:]
        else:
            assert m[5:10] == place


def test_identities_are_synthetic_and_unique(tiny_frames):
    p = tiny_frames["patients"]
    assert set(p["ins_oid"]) == {TEST_OID}
    assert not PRODUCTION_OIDS & set(p["ins_oid"])
    assert p["ins_matricule"].n_unique() == p.height
    assert p["patient_id"].to_list() == list(range(1, 1001))


def test_nia_only_for_people_born_abroad_and_traits_in_ins_form(tiny_frames):
    p = tiny_frames["patients"]
    nia = p.filter(pl.col("matricule_kind") == "NIA")
    assert nia["birth_place_code"].str.starts_with("99").all()
    assert p["first_names"].str.split(" ").list.first().eq(p["first_name"]).all()
    assert p["first_names"].str.split(" ").list.len().is_between(1, 3).all()
    assert p.select(pl.col("birth_name", "first_names").str.contains(r"^[A-Z][A-Z' -]*$").all()).row(0) == (
        True,
        True,
    )
    married = p.filter(pl.col("used_name").is_not_null())
    assert (married["sex"] == "F").all()


def test_rpps_and_finess_are_luhn_valid(tiny_frames):
    assert all(luhn.is_valid(r) for r in tiny_frames["professionals"]["rpps"])
    assert (tiny_frames["professionals"]["idnat_ps"] == "8" + tiny_frames["professionals"]["rpps"]).all()
    for col in ("finess", "finess_ej"):
        values = (
            tiny_frames["organizations"][col].drop_nulls().str.replace("2A", "21").str.replace("2B", "22")
        )
        assert len(values) and all(luhn.is_valid(v) for v in values)


def test_medecin_traitant_is_a_local_physician(tiny_frames):
    # The share of adults with one is tested at the period's start (tests/generators/test_medecin_traitant.py): at its
    # end, some whose médecin traitant stopped practising have none.
    p, pros = tiny_frames["patients"], tiny_frames["professionals"]
    joined = p.join(pros, left_on="gp_professional_id", right_on="professional_id")
    assert (joined["profession_code"] == "10").all()
    assert (joined["department"] == joined["residence_department"]).all()


def test_mon_espace_sante_statuses(tiny_frames):
    p = tiny_frames["patients"]
    statuses = set(p["mes_status"])
    assert statuses <= {"not_created", "opposed", "not_activated", "activated", "closed"}
    opposed = p.filter(pl.col("mes_status") == "opposed")
    assert opposed["mes_created_at"].is_null().all()
    created = p.filter(pl.col("mes_created_at").is_not_null())
    assert (created["mes_created_at"] >= dt.date(2021, 8, 1)).all()


@pytest.fixture(scope="module")
def demo_patients(demo):
    return demo.table("patients").collect(), demo.table("conditions").collect()


def _shares(frame: pl.DataFrame, key: str, weight: str | None = None) -> dict:
    agg = pl.col(weight).sum() if weight else pl.len()
    counts = frame.group_by(key).agg(agg.alias("n"))
    total = counts["n"].sum()
    return {k: n / total for k, n in counts.iter_rows()}


def test_demo_structure_matches_insee_within_10_percent(demo_patients):
    patients, _ = demo_patients
    ref = reference.load("population_department_age_sex")
    ref = ref.filter(pl.col("year") == ref["year"].max())
    start = dt.date(2021, 7, 1)  # the demo period's start: the INSEE structure applies there
    patients = patients.filter(pl.col("birth_date") < start)  # children born during the period aside
    age = ((start - patients["birth_date"]).dt.total_days() / 365.2425).floor().to_numpy()
    bands = np.array([15, 30, 45, 60, 75])  # lower bounds of the bands after the first (0-14)
    gen = patients.with_columns(pl.Series("band", np.searchsorted(bands, age, side="right")))
    ref_b = ref.with_columns(
        pl.Series("band", np.searchsorted(bands, ref["age_min"].to_numpy(), side="right"))
    )
    labels = range(len(bands) + 1)
    gen_band, ref_band = _shares(gen, "band"), _shares(ref_b, "band", "population")
    for band in labels:
        assert abs(gen_band[band] / ref_band[band] - 1) < 0.10, band
    gen_sex, ref_sex = _shares(patients, "sex"), _shares(ref, "sex", "population")
    for sex in ("M", "F"):
        assert abs(gen_sex[sex] / ref_sex[sex] - 1) < 0.10
    gen_dep = _shares(patients, "residence_department")
    ref_dep = _shares(ref, "department", "population")
    # Departments big enough for a 10 % relative tolerance at 50k draws (expected count >= 400).
    big = [d for d, s in ref_dep.items() if s * patients.height >= 400]
    assert len(big) > 40
    for dep in big:
        assert abs(gen_dep.get(dep, 0) / ref_dep[dep] - 1) < 0.10, dep


def test_demo_calibration_figures(demo_patients):
    patients, conditions = demo_patients
    n = patients.height
    opposed = (patients["mes_status"] == "opposed").mean()
    assert 0.01 <= opposed <= 0.02
    abroad = patients["birth_place_code"].str.starts_with("99").mean()
    assert abs(abroad - reference.parameter("foreign_born_share")) < 0.01
    at_start = (pl.col("pathology") == "diabetes_type2") & (pl.col("onset_date") <= dt.date(2021, 7, 1))
    diabetes = conditions.filter(at_start).height / n
    assert 0.045 <= diabetes <= 0.07  # 5.75 % (pathologies.csv), among everyone incl. the period's newborns
    deaths = patients["death_date"].is_not_null().mean()
    assert 0.038 <= deaths <= 0.052  # INSEE: ~0.9 % of the population dies each year; five years here
    born = (patients["birth_date"] >= dt.date(2021, 7, 1)).mean()
    assert 0.035 <= born <= 0.055  # INSEE age-0 share ~0.95 % a year


def test_a_regional_preset_stays_in_its_region(tmp_path):
    ds = dmpdata.generate("hauts-de-france", out=tmp_path / "hdf", patients=2000)
    patients = ds.table("patients").collect()
    assert set(patients["residence_region"]) == {"32"}
    assert set(patients["residence_department"]) <= {"02", "59", "60", "62", "80"}
    organizations = ds.table("organizations").collect()
    assert set(organizations["region"]) == {"32"}
    assert ds.validate().ok
    # People born elsewhere in France or abroad still exist: birthplaces are national.
    assert (
        patients.filter(
            ~pl.col("birth_place_code").str.slice(0, 2).is_in(["02", "59", "60", "62", "80"])
        ).height
        > 100
    )


def test_first_pass_traits_are_the_full_chunks_traits():
    """The engine's pass 1 generates only the NIR traits; pass 2 regenerates the whole chunk from the same
    stream: both must agree, or order numbers ranked on pass 1 would not make pass 2's NIRs unique."""
    from dmpdata import engine
    from dmpdata.generators.population import birthplace_vocabulary
    from dmpdata.identifiers import nirs_indexed, order_numbers_indexed

    scenario = dmpdata.load_scenario("tiny").with_overrides(patients=3000, chunk_size=1000)
    ctx = engine._context(scenario)
    traits = []
    for k in range(scenario.n_chunks):
        full = engine._chunk_patients(scenario, k, ctx).select(engine.NIR_TRAITS)
        assert engine.chunk_traits(scenario, k).equals(full)
        traits.append(full)
    # Pass 1 ships each chunk's NIR buckets; ranking them is ranking everyone's traits.
    order = engine._order_numbers([engine.chunk_buckets(scenario, k) for k in range(scenario.n_chunks)])
    t = pl.concat(traits)
    expected = order_numbers_indexed(
        *(t[c].to_numpy() for c in engine.NIR_TRAITS), birthplace_vocabulary(ctx.area)
    )
    assert order.dtype == np.uint16 and np.array_equal(order, expected)
    # The engine runs pass 1 in tasks of consecutive chunks: in order, they are the chunks' buckets.
    for workers in (1, 2, 3, 64):
        tasks = engine.pass1_tasks(scenario, workers)
        assert [k for ks in tasks for k in ks] == list(range(scenario.n_chunks))
        got = engine._order_numbers([engine.chunks_buckets(scenario, ks) for ks in tasks])
        assert np.array_equal(got, order)
    # Pass 2: the matricules and the INS OID take the place of the traits, the other columns as they were.
    for k in range(scenario.n_chunks):
        own = order[k * scenario.chunk_size : (k + 1) * scenario.chunk_size]
        with_traits = engine._chunk_patients(scenario, k, ctx)
        patients = engine.chunk_patients(scenario, k, own)
        assert patients.columns == [*with_traits.drop(engine.NIR_TRAITS).columns, "ins_matricule", "ins_oid"]
        assert patients.drop("ins_matricule", "ins_oid").equals(with_traits.drop(engine.NIR_TRAITS))
        matricules = nirs_indexed(
            *(with_traits[c].to_numpy() for c in engine.NIR_TRAITS), birthplace_vocabulary(ctx.area), own
        )
        assert patients["ins_matricule"].equals(matricules, check_names=False)
        assert patients["ins_oid"].dtype == pl.String and set(patients["ins_oid"]) == {"1.2.250.1.213.1.4.10"}


def test_pass1_tasks_keep_both_workers_busy_in_bounded_runs():
    """Pass 1 groups consecutive chunks into about eight tasks per worker, at most 200,000 patients a task, at
    least one chunk."""
    from dmpdata import engine

    demo = dmpdata.load_scenario("demo")
    for patients, chunk_size, workers, lengths in [
        (1_000_000, 20_000, 2, [4] * 12 + [2]),  # 50 chunks: 13 tasks
        (100_000, 20_000, 2, [1] * 5),
        (68_000_000, 20_000, 2, [10] * 340),  # 3,400 chunks: the 200,000-patient cap
        (10_000, 100, 1, [13] * 7 + [9]),
    ]:
        scenario = demo.with_overrides(patients=patients, chunk_size=chunk_size)
        assert [len(ks) for ks in engine.pass1_tasks(scenario, workers)] == lengths


def test_balanced_residence_matches_department_shares_within_one_person_per_chunk():
    """Residence communes are drawn by systematic sampling over communes ordered by department: each
    department gets its expected count of a chunk rounded down or up, never a multinomial scatter."""
    from dmpdata.generators.geography import area_of
    from dmpdata.generators.sampling import Balanced

    area = area_of(dmpdata.load_scenario("demo"))
    residence = area.residence
    assert residence["dept_idx"].is_sorted()
    dept_weights = residence.group_by("dept_idx").agg(pl.col("population").sum()).sort("dept_idx")
    expected = dept_weights["population"].to_numpy() / dept_weights["population"].sum()
    for seed, n in ((1, 20_000), (2, 777), (3, 1)):
        picks = area.residence_choice.sample(np.random.default_rng(seed), n)
        counts = np.bincount(residence["dept_idx"].to_numpy()[picks], minlength=expected.size)
        assert counts.sum() == n
        assert np.abs(counts - n * expected).max() < 1 + 1e-9
    # Unbiased: a category's mean count over many draws is its expected count.
    weights = np.array([0.05, 0.3, 0.001, 0.649])
    mean = np.mean(
        [
            np.bincount(Balanced(weights).sample(np.random.default_rng(s), 10), minlength=4)
            for s in range(4000)
        ],
        axis=0,
    )
    assert np.allclose(mean, 10 * weights, atol=0.035)  # 4 standard errors of a 0-or-1 count


def test_nir_pseudo_months_and_overseas_collectivities_where_the_population_has_them():
    """Some people born abroad carry a pseudo-month (nir_pseudo_month_share_of_foreign_born of them), some people are
    born in an overseas collectivity (98x); both passes of the engine see the same NIR traits."""
    from dmpdata.generators.geography import area_of
    from dmpdata.generators.population import birthplace_vocabulary, nir_traits
    from dmpdata.rng import stream

    scenario = dmpdata.load_scenario("demo")
    area = area_of(scenario)
    n = 200_000
    traits = nir_traits(scenario, stream(1, "population", 0), area, n)
    places = birthplace_vocabulary(area).gather(traits["_place_idx"])
    abroad = places.str.starts_with("99").to_numpy()
    pseudo = traits["_birth_month"] > 12
    assert not (pseudo & ~abroad).any()
    share = pseudo.sum() / abroad.sum()
    expected = reference.parameter("nir_pseudo_month_share_of_foreign_born")
    assert abs(share - expected) < 5 * (expected / abroad.sum()) ** 0.5
    assert set(np.unique(traits["_birth_month"][pseudo])) <= set(range(20, 43))
    assert places.str.contains("^98[4-8]").sum() > 0
    again = nir_traits(scenario, stream(1, "population", 0), area, n)
    assert all(np.array_equal(traits[k], again[k]) for k in traits)


def test_share_of_matricules_with_an_order_number_above_real_births(capsys):
    """How many matricules the safe order numbers cover (docs/guide/identities.md quotes it): in a 1,000,000-patient
    demo population, 84 % of all NIRs, 96 % of those of people born in France (the rest: born abroad, or a
    birthplace too large or a bucket too crowded for a shift under 999)."""
    from dmpdata.generators.geography import area_of
    from dmpdata.generators.population import birthplace_vocabulary, nir_traits
    from dmpdata.identifiers import nir_buckets_indexed, order_number_offsets
    from dmpdata.rng import stream

    scenario = dmpdata.load_scenario("demo")
    area = area_of(scenario)
    buckets = []
    for k in range(5):
        t = nir_traits(scenario, stream(42, "population", k), area, 200_000)
        buckets.append(nir_buckets_indexed(*t.values(), birthplace_vocabulary(area)))
    bucket = pl.Series(np.concatenate(buckets))
    covered = order_number_offsets(bucket) > 0
    place = bucket.to_numpy() % 1_000_000
    in_france = (place < 99_000) | (place >= 100_000)
    with capsys.disabled():
        print(
            f"\nsafe order numbers: {covered.mean():.1%} of {bucket.len():,} NIRs, "
            f"{covered[in_france].mean():.1%} of those born in France"
        )
    assert covered.mean() > 0.8 and covered[in_france].mean() > 0.93


def test_the_two_emergency_consents_are_refused_each_on_its_own(demo_patients):
    """Bris de glace and centre 15 are two consents (Mon espace santé: 'Autres professionnels de santé' and 'SAMU'),
    given by default: some refuse one, some the other, some both; only activated holders refuse."""
    p = demo_patients[0]
    bris, c15 = p["bris_de_glace_opt_out_at"].is_not_null(), p["centre_15_opt_out_at"].is_not_null()
    assert (bris & ~c15).sum() > 0 and (c15 & ~bris).sum() > 0 and (bris & c15).sum() > 0
    assert p.filter(bris | c15)["mes_activated_at"].null_count() == 0
    activated = p["mes_activated_at"].is_not_null().sum()
    assert (bris | c15).sum() < 0.05 * activated  # consent is the default
