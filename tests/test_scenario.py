"""Scenario loading: presets, overrides, and one clear error per mistake."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dmpdata.errors import ScenarioError
from dmpdata.scenario import Scenario, load_scenario, preset_names


def test_presets_load_and_include_the_required_ones():
    names = preset_names()
    assert {"tiny", "demo", "hauts-de-france"} <= set(names)
    for name in names:
        s = load_scenario(name)
        assert s.name == name
        assert s.start == dt.date(2021, 7, 1) and s.end == dt.date(2026, 6, 30)
    assert load_scenario("tiny").patients == 1000
    assert load_scenario("demo").patients == 50_000
    assert load_scenario("hauts-de-france").regions == ("32",)


def test_a_path_works_like_a_preset(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('name = "mine"\npatients = 12\nseed = 3\ndepartments = ["2A"]\n', encoding="utf-8")
    s = load_scenario(path)
    assert (s.name, s.patients, s.seed, s.departments) == ("mine", 12, 3, ("2A",))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('name = "x"\npatients = 10\npatiens = 3\n', "unknown key 'patiens'"),
        ('name = "x"\npatients = -5\n', "'patients' must be between"),
        ('name = "x"\npatients = 0\n', "'patients' must be between"),
        ('name = "x"\npatients = 1000000000000\n', "'patients' must be between"),
        ('name = "x"\npatients = "many"\n', "'patients' must be a whole number"),
        ('name = "x"\npatients = 10\nstart = 2026-01-01\nend = 2022-01-01\n', "must be before 'end'"),
        ('name = "x"\npatients = 10\nstart = 1999-01-01\n', "must lie within"),
        ('name = "x"\npatients = 10\nregions = ["99"]\n', "unknown region code '99'"),
        ('name = "x"\npatients = 10\n[prevalence_factor]\nE99 = 2\n', "unknown pathology 'E99'"),
        ('name = "x"\npatients = 10\n[prevalence_factor]\nE11 = -1\n', "prevalence_factor.E11"),
        ('name = "x"\npatients = 10\nseed = 1.5\n', "'seed' must be a whole number"),
        ("name = \n", "malformed TOML"),
        ("patients = 10\n", "missing key 'name'"),
    ],
)
def test_bad_scenarios_give_one_clear_error(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_unknown_preset_names_the_presets():
    with pytest.raises(ScenarioError, match=r"unknown scenario 'nope'.*tiny"):
        load_scenario("nope")


def test_overrides_are_validated():
    s = load_scenario("tiny")
    assert s.with_overrides(patients=5, seed=None).patients == 5
    with pytest.raises(ScenarioError, match="patients"):
        s.with_overrides(patients=0)


_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True),
    st.text(max_size=8),
    st.dates(),
    st.lists(st.text(max_size=3), max_size=3),
    st.dictionaries(st.text(max_size=4), st.floats(), max_size=2),
)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "name",
                "patients",
                "seed",
                "start",
                "end",
                "regions",
                "departments",
                "chunk_size",
                "prevalence_factor",
                "description",
                "bogus",
            ]
        ),
        _values,
        max_size=8,
    )
)
def test_scenario_loader_only_ever_raises_scenario_errors(data):
    try:
        s = Scenario.from_dict(data)
    except ScenarioError as err:
        assert str(err) and "\n" not in str(err)
    else:
        assert s.patients >= 1 and s.start < s.end


def test_feeding_factor_is_validated_and_changes_what_reaches_the_dmp(tmp_path):
    import dmpdata

    with pytest.raises(ScenarioError, match="neither an author sector"):
        load_scenario("tiny").with_overrides(feeding_factor={"hospital": 2.0})
    base = load_scenario("tiny").with_overrides(patients=400)
    more = base.with_overrides(feeding_factor={"ville": 3.0})
    counts = []
    for scenario, name in ((base, "base"), (more, "more")):
        ds = dmpdata.generate(scenario, out=tmp_path / name)
        docs = ds.table("documents").filter(pl.col("sector") == "ville").collect()
        counts.append(docs.height)
        assert ds.manifest["scenario"]["feeding_factor"] == scenario.feeding_factor
    assert counts[1] > 1.3 * counts[0]
