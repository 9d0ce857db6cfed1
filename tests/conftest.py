"""Shared fixtures: one tiny dataset generated once per test session."""

from __future__ import annotations

import pytest
from hypothesis import settings

import dmpdata

# Properties are checked for correctness, not speed (timings live in benchmarks/): no per-example deadline, which a
# loaded machine can miss while the property still holds.
settings.register_profile("dmpdata", deadline=None)
settings.load_profile("dmpdata")


@pytest.fixture(scope="session", autouse=True)
def _own_cache_folder(tmp_path_factory):
    """dmpdata's cache folder (Vega script, records of clean validations) in a folder of this session, not the
    user's: tests start from an empty cache and leave nothing behind."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DMPDATA_CACHE", str(tmp_path_factory.mktemp("dmpdata-cache")))
        yield


@pytest.fixture(scope="session")
def tiny(tmp_path_factory):
    """The `tiny` preset (seed 7), generated once; tests must not modify it (copy it first)."""
    out = tmp_path_factory.mktemp("tiny") / "tiny"
    return dmpdata.generate("tiny", out=out, seed=7)


@pytest.fixture(scope="session")
def tiny_frames(tiny):
    return {name: tiny.table(name).collect() for name in tiny.tables}


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """The `demo` preset (50,000 patients, five years), generated once per session."""
    out = tmp_path_factory.mktemp("demo") / "demo"
    return dmpdata.generate("demo", out=out)
