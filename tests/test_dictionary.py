"""The data dictionary: every schema column is described in dmpdata/schemas/columns.csv, and the committed
DATA_DICTIONARY.md is what dmpdata.dictionary renders."""

from __future__ import annotations

import pytest

from dmpdata import dictionary
from dmpdata.schemas import MODELS, columns_of

REGENERATE = "run `uv run python -m dmpdata.dictionary` to regenerate dmpdata/schemas/DATA_DICTIONARY.md"


@pytest.fixture(scope="module")
def entries():
    return dictionary.descriptions()


@pytest.mark.parametrize("table", list(MODELS))
def test_every_column_has_a_description(entries, table):
    rows = entries.get(table, {})
    missing = [c for c in columns_of(table) if not rows.get(c, dictionary.Entry("", "")).description]
    assert not missing, f"{table}: no description in dmpdata/schemas/columns.csv for {missing}"
    assert rows.get(dictionary.GRAIN, dictionary.Entry("", "")).description, (
        f"{table}: no grain row (column = *)"
    )


def test_no_stale_rows(entries):
    stale = []
    for table, rows in entries.items():
        if table not in MODELS:
            stale.append(f"table {table}")
            continue
        checks = {dictionary.CHECK + c for c in dictionary.custom_checks(MODELS[table])}
        known = set(columns_of(table)) | {dictionary.GRAIN} | checks
        stale += [f"{table}.{c}" for c in rows if c not in known]
    assert not stale, f"rows of dmpdata/schemas/columns.csv name nothing in the schemas: {stale}"


def test_check_accepts_the_committed_csv(entries):
    dictionary.check(entries)


def test_missing_and_stale_rows_are_reported(entries):
    broken = {t: dict(rows) for t, rows in entries.items()}
    del broken["documents"]["unique_id"]
    broken["patients"]["shoe_size"] = dictionary.Entry("gone", "")
    with pytest.raises(dictionary.DictionaryError) as err:
        dictionary.check(broken)
    assert "no description row for column documents.unique_id" in str(err.value)
    assert "stale row patients.shoe_size" in str(err.value)


def test_codes_name_a_source_or_our_vocabulary(entries):
    for table, rows in entries.items():
        for column, entry in rows.items():
            if entry.codes.startswith("dmpdata vocabulary:"):
                assert "|" in entry.codes or "(" in entry.codes, f"{table}.{column}: list the values"


def test_committed_dictionary_is_up_to_date():
    path = dictionary.DICTIONARY_MD
    assert path.is_file(), f"{path} is missing: {REGENERATE}"
    assert path.read_text(encoding="utf-8") == dictionary.render(), (
        f"{path.name} is out of date: {REGENERATE}"
    )


def test_stale_check_rows_are_reported(entries):
    broken = {t: dict(rows) for t, rows in entries.items()}
    broken["documents"][dictionary.CHECK + "no_such_check"] = dictionary.Entry("gone", "")
    with pytest.raises(dictionary.DictionaryError, match=r"stale row documents.check:no_such_check"):
        dictionary.check(broken)
