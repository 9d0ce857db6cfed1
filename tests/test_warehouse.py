"""The DuckDB warehouse: typed tables and keys from the schemas, reference tables, views, derived tables, reuse and
rebuild."""

from __future__ import annotations

import itertools
import json
import re
import shutil

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import dmpdata
from dmpdata import reference, warehouse
from dmpdata.errors import DatasetError
from dmpdata.schemas import TABLES, columns_of
from dmpdata.warehouse import (
    META_TABLE,
    PRIMARY_KEYS,
    UNDECLARED_KEYS,
    connect,
    enum_types,
    lineage,
)

REQUIRED_REFERENCE = [
    "document_types",
    "access_matrix",
    "professions",
    "specialties",
    "departments",
    "regions",
    "mandatory_documents",
    "document_rules",
    "encounter_kinds",
    "observation_types",
    "conditions",
    "mes_activation",
]
VIEWS = ["consultations", "documents_enriched", "diabetics", "months"]


@pytest.fixture(scope="module")
def con(tiny):
    con = connect(tiny)  # in memory, validated
    yield con
    con.close()


def _types(con, table: str) -> dict[str, str]:
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return dict(rows)


def _meta(path) -> tuple:
    with duckdb.connect(str(path), read_only=True) as c:
        return c.execute(f"SELECT fingerprint, built_at, scenario, seed FROM {META_TABLE}").fetchall()[0]


# --- tables ---------------------------------------------------------------------------------------------------


def test_row_counts_equal_the_datasets(con, tiny):
    for table, rows in tiny.row_counts.items():
        assert con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0] == rows, table


def test_columns_in_contract_order(con):
    for table in TABLES:
        assert list(_types(con, table)) == list(columns_of(table)), table


def test_column_types(con):
    docs = _types(con, "documents")
    assert docs["document_id"] == "BIGINT"
    assert docs["submitted_at"] == "TIMESTAMP"  # naive local time, not TIMESTAMP WITH TIME ZONE
    assert docs["masked_ps"] == "BOOLEAN"
    assert docs["type_code"].startswith("ENUM(")
    assert docs["unique_id"] == "VARCHAR"
    patients = _types(con, "patients")
    assert patients["birth_date"] == "DATE"
    assert patients["bris_de_glace_opt_out_at"] == patients["centre_15_opt_out_at"] == "DATE"
    assert patients["sex"] == "ENUM('F', 'M')"
    assert patients["residence_commune"] == "VARCHAR"  # ~35,000 communes: too many for an ENUM
    assert _types(con, "observations")["value"] == "DOUBLE"
    events = _types(con, "access_events")
    for col in ("actor_kind", "action", "access_mode", "channel", "auth_mode", "outcome"):
        assert events[col].startswith("ENUM("), col
    for table, col in [
        ("professionals", "profession_code"),
        ("organizations", "department"),
        ("organizations", "region"),
        ("encounters", "kind"),
        ("documents", "class_code"),
    ]:
        assert _types(con, table)[col].startswith("ENUM("), (table, col)
    # every timestamp of the contract is a naive TIMESTAMP, every date a DATE
    for table in TABLES:
        types = _types(con, table)
        for col, dtype in columns_of(table).items():
            if dtype == pl.Datetime:
                assert types[col] == "TIMESTAMP", (table, col)
            elif dtype == pl.Date:
                assert types[col] == "DATE", (table, col)


def test_enum_values_are_the_schema_sets_sorted(con):
    for enum in enum_types():
        values = con.execute(f'SELECT enum_range(NULL::"{enum.name}")').fetchall()[0][0]
        assert list(values) == sorted(values) == list(enum.values), enum.name
    region = next(e for e in enum_types() if e.name == "region")
    assert set(region.values) == set(dmpdata.reference.load("regions")["code"])
    assert {"organizations.region", "patients.residence_region"} <= set(region.columns)


def test_shared_enum_compares_with_strings(con):
    n = con.execute("SELECT count(*) FROM patients WHERE sex = 'F'").fetchall()[0][0]
    assert 0 < n < con.execute("SELECT count(*) FROM patients").fetchall()[0][0]
    joined = con.execute(
        "SELECT count(*) FROM professionals p JOIN ref_professions r ON r.profession_code = p.profession_code"
    ).fetchall()[0][0]
    assert joined == con.execute("SELECT count(*) FROM professionals").fetchall()[0][0]


def test_code_outside_the_set_is_refused(con):
    with pytest.raises(duckdb.ConversionException):
        con.execute(
            "INSERT INTO conditions (patient_id, condition_code, ald, onset_date) VALUES (1, 'X00', false, DATE '2022-01-01')"
        )


@pytest.mark.parametrize("table", TABLES)
def test_primary_keys(con, table):
    keys = con.execute(
        "SELECT constraint_column_names FROM duckdb_constraints() "
        "WHERE table_name = ? AND constraint_type = 'PRIMARY KEY'",
        [table],
    ).fetchall()
    key = ", ".join(PRIMARY_KEYS[table])
    rows, distinct = con.execute(f"SELECT count(*), count(DISTINCT ({key})) FROM {table}").fetchall()[0]
    assert rows == distinct > 0  # declared or not, the key is unique in the loaded table
    if table in UNDECLARED_KEYS:
        assert keys == []
        return
    assert [tuple(k[0]) for k in keys] == [PRIMARY_KEYS[table]]
    with pytest.raises(duckdb.ConstraintException):
        con.execute(f"INSERT INTO {table} SELECT * FROM {table} LIMIT 1")


def test_undeclared_keys_are_the_event_tables():
    assert {"encounters", "documents", "observations", "access_events"} == UNDECLARED_KEYS
    assert UNDECLARED_KEYS < set(PRIMARY_KEYS) == set(TABLES)


def _assert_holds_the_rows(con, table, frame):
    """`table` on `con` holds exactly `frame`'s rows, in any order (ENUM columns compared as strings)."""
    keys = list(PRIMARY_KEYS[table])
    loaded = con.sql(f"SELECT * FROM {table}").pl()
    loaded = loaded.with_columns(
        pl.col(c).cast(pl.String) for c, t in loaded.schema.items() if t == pl.Categorical
    )
    try:
        assert_frame_equal(loaded.sort(keys), frame.sort(keys), check_exact=True)
    except AssertionError as err:
        raise AssertionError(f"{table}: {err}") from None


def test_tables_hold_the_rows_of_the_dataset(con, tiny_frames):
    """Every value of every table, whatever the order the load appended the rows in (it does not keep the files')."""
    for table in TABLES:
        _assert_holds_the_rows(con, table, tiny_frames[table])


def test_not_null_enforced(con):
    with pytest.raises(duckdb.ConstraintException):
        con.execute(
            "INSERT INTO conditions (patient_id, condition_code, ald, onset_date) VALUES (1, 'E11', NULL, NULL)"
        )


# --- reference tables, meta, views ------------------------------------------------------------------------------


def test_reference_tables(con):
    for name in REQUIRED_REFERENCE:
        n = con.execute(f"SELECT count(*) FROM ref_{name}").fetchall()[0][0]
        assert n == dmpdata.reference.load(name).height > 0, name
    assert _types(con, "ref_mes_activation")["date"] == "DATE"
    assert _types(con, "ref_access_matrix")["allowed"] == "BOOLEAN"


def test_meta_table(con, tiny):
    row = con.sql(
        f"SELECT dmpdata_version, scenario, seed, period_start, period_end, validated, files "
        f"FROM {META_TABLE}"
    ).fetchall()
    assert len(row) == 1
    version, scenario, seed, start, end, validated, files = row[0]
    assert (version, scenario, seed) == (dmpdata.__version__, "tiny", 7)
    scenario = tiny.manifest["scenario"]
    assert (start.isoformat(), end.isoformat()) == (scenario["start"], scenario["end"])
    assert validated is True
    expected = {f["sha256"] for e in tiny.manifest["tables"].values() for f in e["files"]}
    assert {f["sha256"] for f in files} == expected


@pytest.mark.parametrize("view", VIEWS)
def test_views_exist_and_return_rows(con, view):
    assert (
        con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = ?", [view]).fetchall()[0][0] == 1
    )
    assert con.execute(f"SELECT count(*) FROM {view}").fetchall()[0][0] > 0


def test_consultations_view(con):
    n_consult = con.execute(
        "SELECT count(*) FROM access_events WHERE actor_kind = 'professional' AND action = 'consult'"
    ).fetchall()[0][0]
    df = con.sql("SELECT * FROM consultations").pl()
    assert df.height == n_consult
    for col in (
        "profession_code",
        "specialty_code",
        "reader_sector",
        "reader_organization_id",
        "reader_department",
        "type_code",
        "class_code",
        "document_sector",
        "author_professional_id",
        "submitted_at",
        "gp_professional_id",
        "is_gp",
        "is_author",
    ):
        assert col in df.columns, col
    assert df["is_gp"].null_count() == 0 and df["is_author"].null_count() == 0
    assert df["profession_code"].null_count() == 0
    assert df.filter(pl.col("is_gp"))["professional_id"].equals(
        df.filter(pl.col("is_gp"))["gp_professional_id"]
    )
    assert df.filter(pl.col("is_gp")).height > 0
    with_doc = df.filter(pl.col("document_id").is_not_null())
    assert with_doc["type_code"].null_count() == 0
    assert (with_doc["submitted_at"] <= with_doc["occurred_at"]).all()


def test_documents_enriched_view(con, tiny):
    df = con.sql("SELECT * FROM documents_enriched").pl()
    assert df.height == tiny.row_counts["documents"]
    assert df["residence_region"].null_count() == 0
    prof = df.filter(pl.col("author_kind") == "professional")
    assert prof["author_profession_code"].null_count() == 0
    assert (
        df.filter(pl.col("author_kind") != "professional")["author_profession_code"].null_count()
        == df.filter(pl.col("author_kind") != "professional").height
    )


def test_diabetics_view(con, tiny_frames):
    df = con.sql("SELECT * FROM diabetics ORDER BY patient_id").pl()
    e11 = tiny_frames["conditions"].filter(pl.col("condition_code") == "E11").sort("patient_id")
    assert df["patient_id"].to_list() == e11["patient_id"].to_list()
    assert df["onset_date"].to_list() == e11["onset_date"].to_list()
    for col in ("birth_date", "sex", "death_date", "gp_professional_id", "residence_region"):
        assert col in df.columns


def test_months_view(con, tiny):
    df = con.sql("SELECT * FROM months").pl()
    start = pl.Series([tiny.manifest["scenario"]["start"]]).str.to_date()[0]
    end = pl.Series([tiny.manifest["scenario"]["end"]]).str.to_date()[0]
    expected = pl.date_range(start.replace(day=1), end, interval="1mo", eager=True)
    assert df["month"].to_list() == expected.to_list()
    assert df["month"].is_unique().all()
    assert df["days"].sum() == (end - start).days + 1


DERIVED = [
    "encounter_document_counts",
    "encounter_counts",
    "patient_years",
    "sharing_pairs",
    "sector_reads",
    "discharge_letters",
    "lab_reports",
    "consultation_months",
    "document_months",
    "author_months",
    "access_counts",
    "access_patient_years",
    "document_masking",
    "diabetic_observations",
    "diabetic_eye_exam_years",
    "chronic_follow_up_years",
]
# tiny has no ophthalmology visit of a diabetic (the hand-built dataset of test_analyses has one).
EMPTY_ON_TINY = {"diabetic_eye_exam_years"}


def test_derived_tables_are_documented_and_built(con):
    tables = lineage.derived_tables()
    built = {
        t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()
    }
    assert {name for name, t in tables.items() if not t.scratch} == set(DERIVED)
    for table in DERIVED:
        assert tables[table].grain.startswith("one row per"), table
        assert tables[table].sql in warehouse.derived_sql(), table
        assert table in built, table
        # the header lists the table's columns, in order
        assert list(tables[table].columns) == [
            d[0] for d in con.execute(f"SELECT * FROM {table} LIMIT 0").description
        ], table
        if table not in EMPTY_ON_TINY:
            assert con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0] > 0, table
    assert not any(t.startswith("_") for t in built)  # scratch tables are dropped


def test_derived_tables_add_up_to_the_dataset_tables(con):
    def one(sql):
        return con.execute(sql).fetchall()[0][0]

    assert one("SELECT sum(encounters) FROM encounter_counts") == one("SELECT count(*) FROM encounters")
    assert one("SELECT sum(documents) FROM encounter_counts") == one(
        "SELECT count(*) FROM documents WHERE encounter_id IS NOT NULL"
    )
    assert one("SELECT sum(documents) FROM encounter_document_counts") == one(
        "SELECT count(*) FROM documents WHERE encounter_id IS NOT NULL"
    )
    assert one("SELECT sum(encounters) FROM patient_years") == one("SELECT count(*) FROM encounters")
    assert one("SELECT sum(documents) FROM document_months") == one("SELECT count(*) FROM documents")
    assert one("SELECT sum(attempts) FROM consultation_months") == one(
        "SELECT count(*) FROM access_events WHERE action = 'consult'"
    )
    assert one("SELECT sum(consultations) FROM sector_reads") == one(
        "SELECT count(*) FROM consultations WHERE granted AND document_id IS NOT NULL AND NOT is_author"
    )
    assert one("SELECT count(*) FROM discharge_letters") == one(
        "SELECT count(*) FROM documents_enriched WHERE type_code = '11490-0'"
    )
    assert one("SELECT count(*) FROM lab_reports") == one(
        "SELECT count(*) FROM documents_enriched WHERE type_code = '11502-2'"
    )
    assert one("SELECT sum(consultations) FROM sharing_pairs") == one(
        "SELECT count(*) FROM consultations WHERE granted AND author_professional_id IS NOT NULL AND NOT is_author"
    )
    assert one("SELECT sum(documents) FROM author_months") == one(
        "SELECT count(*) FROM documents WHERE author_professional_id IS NOT NULL"
    )
    assert one("SELECT sum(events) FROM access_counts") == one("SELECT count(*) FROM access_events")
    assert one(
        "SELECT sum(view_events + view_history_events + emergency_consults) FROM access_patient_years"
    ) == one(
        "SELECT count(*) FROM access_events WHERE action IN ('view', 'view_history') "
        "OR (action = 'consult' AND access_mode IN ('bris_de_glace', 'centre_15'))"
    )
    assert one("SELECT sum(masks + unmasks + denied_masked) FROM document_masking") == one(
        "SELECT count(*) FROM access_events WHERE action IN ('mask', 'unmask') "
        "OR (action = 'consult' AND outcome = 'denied_masked')"
    )
    assert one("SELECT count(*) FROM diabetic_observations") == one(
        "SELECT count(*) FROM observations WHERE loinc_code IN ('4548-4', '14682-9', '32294-1') "
        "AND patient_id IN (SELECT patient_id FROM conditions WHERE condition_code = 'E11')"
    )


def test_derived_tables_do_not_depend_on_the_patient_batches(con):
    """derive() runs the joins of the derived tables batch by batch of patients: any batch size gives the same tables."""
    from dmpdata.warehouse.build import _patient_batches

    def snapshot():
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in DERIVED}

    encounters = con.execute("SELECT count(*) FROM encounters").fetchall()[0][0]
    try:
        warehouse.derive(con, batch_rows=10 * encounters)
        assert len(_patient_batches(con, 10 * encounters)) == 1
        whole = snapshot()
        batches = _patient_batches(con, encounters // 7)
        assert len(batches) >= 7
        ((lo, hi),) = con.execute("SELECT min(patient_id), max(patient_id) FROM patients").fetchall()
        assert batches[0][0] <= lo and hi < batches[-1][1]
        assert all(a[1] == b[0] for a, b in itertools.pairwise(batches))  # contiguous, no gap or overlap
        warehouse.derive(con, batch_rows=encounters // 7)
        assert snapshot() == whole
        assert all(rows for t, rows in whole.items() if t not in EMPTY_ON_TINY)
    finally:
        warehouse.derive(con)


def test_derive_refuses_a_bad_batch_size(con):
    for bad in (0, -5, 2.5):
        with pytest.raises(ValueError, match="batch_rows must be a positive number"):
            warehouse.derive(con, batch_rows=bad)


def test_derived_sql_statements():
    statements = lineage.statements
    assert statements("-- a comment; with a semicolon\nSELECT 1;\n\nSELECT\n  2 -- two\n;\n") == [
        "SELECT 1",
        "SELECT\n  2 -- two",
    ]
    with pytest.raises(ValueError, match="without `;`"):
        statements("SELECT 1;\nSELECT 2\n")
    tables = lineage.derived_tables()
    batched = [s for t in tables.values() for s in t.statements if "$lo" in s]
    assert len(batched) >= 5 and all(s.startswith("CREATE OR REPLACE ") for s in batched)
    plan = dict(p for t in tables.values() for p in t.plan())
    assert all(
        plan[s].startswith("INSERT INTO _") or plan[s].startswith("INSERT INTO patient_years ")
        for s in batched
    )
    assert sum(append is not None for append in plan.values()) == len(batched)


def test_derived_headers_read_what_the_sql_reads():
    """Each file's `reads` header lists exactly the tables its SQL reads (FROM/JOIN, without its CTEs), checked
    against DuckDB's own parse of each statement; every input is a dataset, reference or derived table."""
    tables = lineage.derived_tables()
    for name, table in tables.items():
        assert set(table.reads) == lineage.referenced(table.sql), name
        parsed = set()
        for statement in table.statements:
            if statement.startswith("CREATE OR REPLACE"):
                query = re.sub(r"^CREATE OR REPLACE (TEMP )?TABLE \S+ AS\s+", "", statement)
                parsed |= _tables_in(
                    duckdb.execute("SELECT json_serialize_sql($q)", {"q": query}).fetchall()[0][0]
                )
        created = set(re.findall(r"CREATE OR REPLACE (?:TEMP )?TABLE (\S+)", table.sql))
        assert parsed - created == set(table.reads), name
        # ... or a reference table (ref_<name>: loaded before the derived tables are built)
        references = {f"ref_{n}" for n in reference.names()}
        assert set(table.reads) <= set(TABLES) | set(tables) | references, name


def _tables_in(serialized: str) -> set[str]:
    """Base-table names in DuckDB's JSON parse tree (CTE references included: the caller removes them)."""
    found: set[str] = set()
    ctes: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "BASE_TABLE":
                found.add(node["table_name"])
            if isinstance(node.get("cte_map"), dict):
                ctes.update(entry["key"] for entry in node["cte_map"].get("map", []))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(serialized))
    return found - ctes


def test_derived_build_order_follows_the_reads():
    """The build order: every table after the derived tables it reads; one scratch table alive at a time."""
    tables = lineage.derived_tables()
    order = list(tables)
    for name, table in tables.items():
        assert all(order.index(r) < order.index(name) for r in table.reads if r in tables), name
    scratch = [n for n in order if tables[n].scratch]
    for first, second in itertools.pairwise(scratch):
        last_reader = max(order.index(n) for n, t in tables.items() if first in t.reads)
        assert last_reader < order.index(second)
    a = lineage.DerivedTable("a", "one row per a", ("b",))
    b = lineage.DerivedTable("b", "one row per b", ("a",))
    with pytest.raises(ValueError, match="cycle"):
        lineage.build_order({"a": a, "b": b})
    shuffled = dict(reversed(list(tables.items())))
    assert lineage.build_order(shuffled) == order


def test_derive_rebuilds_in_place(con):
    before = con.execute("SELECT * FROM document_months ORDER BY ALL").fetchall()
    warehouse.derive(con)
    assert con.execute("SELECT * FROM document_months ORDER BY ALL").fetchall() == before
    assert con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()[0][0] is True


# --- file databases: reuse, rebuild, refusal ----------------------------------------------------------------------


def test_file_db_is_reused(tiny, tmp_path):
    db = tmp_path / "w.duckdb"
    connect(tiny, db).close()
    first, mtime = _meta(db), db.stat().st_mtime_ns
    c = connect(tiny, db)
    assert c.execute("SELECT count(*) FROM documents").fetchall()[0][0] == tiny.row_counts["documents"]
    c.close()
    assert _meta(db) == first
    assert db.stat().st_mtime_ns == mtime
    assert not [p for p in tmp_path.iterdir() if p.name != db.name]  # no temporary leftovers


def test_path_argument_and_dataset_method(tiny, tmp_path):
    db = tmp_path / "w.duckdb"
    connect(str(tiny.path), db).close()
    built = _meta(db)
    c = tiny.duckdb(db)  # Dataset.duckdb: same warehouse, reused
    assert c.execute("SELECT count(*) FROM patients").fetchall()[0][0] == tiny.row_counts["patients"]
    c.close()
    assert _meta(db) == built
    mem = tiny.duckdb(validate=False)
    assert mem.execute("SELECT count(*) FROM months").fetchall()[0][0] > 0
    mem.close()


def test_other_seed_forces_a_rebuild(tiny, tmp_path):
    db = tmp_path / "w.duckdb"
    connect(tiny, db).close()
    before = _meta(db)
    other = dmpdata.generate("tiny", out=tmp_path / "other", seed=8)
    c = connect(other, db)
    assert c.execute("SELECT count(*) FROM patients").fetchall()[0][0] == other.row_counts["patients"]
    c.close()
    after = _meta(db)
    assert after[0] != before[0]
    assert after[3] == 8 and before[3] == 7
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other", "w.duckdb"]


def test_unvalidated_build_is_rebuilt_when_validation_is_asked(tiny, tmp_path):
    db = tmp_path / "w.duckdb"
    connect(tiny, db, validate=False).close()
    with duckdb.connect(str(db), read_only=True) as c:
        assert c.execute(f"SELECT validated FROM {META_TABLE}").fetchall() == [(False,)]
    connect(tiny, db).close()
    with duckdb.connect(str(db), read_only=True) as c:
        assert c.execute(f"SELECT validated FROM {META_TABLE}").fetchall() == [(True,)]


@pytest.fixture
def tampered(tiny, tmp_path):
    """A copy of tiny where one part was rewritten (rows dropped): its checksum no longer matches the manifest."""
    copy = tmp_path / "tampered"
    shutil.copytree(tiny.path, copy)
    part = copy / "conditions" / "part-00000.parquet"
    pl.read_parquet(part).head(10).write_parquet(part)
    return dmpdata.open_dataset(copy)


def test_invalid_dataset_raises_and_writes_nothing(tampered, tmp_path):
    db = tmp_path / "w.duckdb"
    with pytest.raises(DatasetError, match="checksums_match_manifest") as info:
        connect(tampered, db)
    assert "\n" not in str(info.value)
    assert "conditions.checksums_match_manifest" in str(info.value)
    assert not info.value.report.ok
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tampered"]
    with pytest.raises(DatasetError, match="checksums_match_manifest"):
        connect(tampered)  # in memory too


def test_unvalidated_load_still_checks_row_counts(tampered, tmp_path):
    db = tmp_path / "w.duckdb"
    with pytest.raises(DatasetError, match="conditions holds 10 rows"):
        connect(tampered, db, validate=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tampered"]


def test_code_outside_the_set_fails_the_load(tiny, tmp_path):
    copy = tmp_path / "badcode"
    shutil.copytree(tiny.path, copy)
    part = copy / "conditions" / "part-00000.parquet"
    pl.read_parquet(part).with_columns(pl.lit("Z99").alias("condition_code")).write_parquet(part)
    with pytest.raises(DatasetError, match=r"loading table conditions failed.*Z99"):
        connect(dmpdata.open_dataset(copy), tmp_path / "w.duckdb", validate=False)
    assert not (tmp_path / "w.duckdb").exists()


def test_foreign_database_is_not_overwritten(tiny, tmp_path):
    db = tmp_path / "mine.duckdb"
    with duckdb.connect(str(db)) as c:
        c.execute("CREATE TABLE precious AS SELECT 42 AS answer")
    with pytest.raises(DatasetError, match="is not a warehouse built by dmpdata"):
        connect(tiny, db)
    data_file = tmp_path / "notes.json"  # DuckDB opens a JSON file as a database of its contents
    data_file.write_text('{"keep": "me"}')
    with pytest.raises(DatasetError, match=r"is not a warehouse built by dmpdata.*not overwriting"):
        connect(tiny, data_file)
    assert data_file.read_text() == '{"keep": "me"}'
    not_db = tmp_path / "notes.duckdb"
    not_db.write_text("not a database")
    with pytest.raises(DatasetError, match="not overwriting"):
        connect(tiny, not_db)
    assert not_db.read_text() == "not a database"
    with duckdb.connect(str(db), read_only=True) as c:
        assert c.execute("SELECT answer FROM precious").fetchall() == [(42,)]


def test_manifest_edit_forces_a_rebuild(tiny, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(tiny.path, copy)
    db = tmp_path / "w.duckdb"
    connect(dmpdata.open_dataset(copy), db, validate=False).close()
    before = _meta(db)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["notice"] += " (edited)"
    (copy / "manifest.json").write_text(json.dumps(manifest))
    connect(dmpdata.open_dataset(copy), db, validate=False).close()
    assert _meta(db)[0] != before[0]


def test_no_network_extensions(con):
    settings = dict(
        con.execute(
            "SELECT name, value FROM duckdb_settings() "
            "WHERE name IN ('autoinstall_known_extensions', 'autoload_known_extensions')"
        ).fetchall()
    )
    assert settings == {"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"}


# --- linked warehouse: the event tables as views over the Parquet parts -------------------------------------------


@pytest.fixture(scope="module")
def linked(tiny, tmp_path_factory):
    db = tmp_path_factory.mktemp("linked") / "w.duckdb"
    con = connect(tiny, db, link=True)
    yield con, db
    con.close()


def test_linked_warehouse_reads_the_event_tables_from_the_parts(linked, tiny):
    con, _ = linked
    views = {v for (v,) in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    tables = {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert set(warehouse.LINKED_TABLES) == set(UNDECLARED_KEYS) <= views
    assert set(TABLES) - set(UNDECLARED_KEYS) <= tables and not set(UNDECLARED_KEYS) & tables
    for table in warehouse.LINKED_TABLES:  # each view reads exactly the manifest's parts, by absolute path
        sql = con.execute("SELECT sql FROM duckdb_views() WHERE view_name = ?", [table]).fetchall()[0][0]
        assert sorted(re.findall(r"'(/[^']+\.parquet)'", sql)) == sorted(
            str(p.resolve()) for p in tiny.files(table)
        )
    assert con.execute(f"SELECT linked, validated FROM {META_TABLE}").fetchall() == [(True, True)]


def test_linked_warehouse_has_the_same_columns_rows_and_answers_as_a_copied_one(linked, con, tiny_frames):
    from dmpdata import analyses

    lcon, _ = linked
    for table in TABLES:
        assert _types(lcon, table) == _types(con, table), table
        _assert_holds_the_rows(lcon, table, tiny_frames[table])
    others = [
        t
        for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()
        if t != META_TABLE
    ]  # derived and reference tables
    assert len(others) > len(TABLES)
    for table in others:
        assert _types(lcon, table) == _types(con, table), table  # the ENUMs of access_events' codes included
        assert (
            lcon.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
            == con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
        ), table
    assert not lcon.execute(
        "SELECT count(*) FROM duckdb_views() WHERE temporary AND NOT internal"
    ).fetchall()[0][0]
    enum_columns = lcon.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'access_counts' AND data_type LIKE 'ENUM%'"
    ).fetchall()[0][0]
    assert enum_columns == 3  # action, access_mode, outcome: derived from the strings, typed as copied
    for q in analyses.questions():
        assert_frame_equal(analyses.run(lcon, q.name), analyses.run(con, q.name), check_exact=True)


def test_linked_warehouse_is_reused_kept_or_replaced_as_asked(tiny, tmp_path):
    db = tmp_path / "w.duckdb"
    connect(tiny, db, link=True).close()
    built = _meta(db)
    connect(tiny, db).close()  # link=None: an up-to-date warehouse of either kind is kept
    connect(tiny, db, link=True).close()
    assert _meta(db) == built
    with connect(tiny, db, link=False) as c:  # asked for a copy: rebuilt with every table copied
        assert c.execute(f"SELECT linked FROM {META_TABLE}").fetchall() == [(False,)]
        assert not c.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'documents'").fetchall()[
            0
        ][0]
    copied = _meta(db)
    assert copied[0] != built[0]
    connect(tiny, db).close()
    assert _meta(db) == copied
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.duckdb"]
    with pytest.raises(ValueError, match="link must be True, False or None"):
        connect(tiny, db, link="yes")


def test_linked_warehouse_follows_a_moved_dataset(tiny, tmp_path):
    """Its views name the parts by path: after the dataset folder moves, connect() rebuilds it over the new place."""
    old = tmp_path / "old"
    shutil.copytree(tiny.path, old)
    connect(dmpdata.open_dataset(old), old / "warehouse.duckdb", link=True).close()
    new = tmp_path / "new"
    old.rename(new)
    with (
        duckdb.connect(str(new / "warehouse.duckdb"), read_only=True) as stale,
        pytest.raises(duckdb.IOException, match="old"),
    ):
        stale.execute("SELECT count(*) FROM documents").fetchall()
    with connect(dmpdata.open_dataset(new), new / "warehouse.duckdb") as c:
        assert c.execute("SELECT count(*) FROM documents").fetchall()[0][0] == tiny.row_counts["documents"]
        assert c.execute(f"SELECT linked, dataset_path FROM {META_TABLE}").fetchall() == [
            (True, str(new.resolve()))
        ]


def test_linked_load_checks_row_counts_and_codes_when_read(tiny, tmp_path):
    copy = tmp_path / "short"
    shutil.copytree(tiny.path, copy)
    part = copy / "documents" / "part-00000.parquet"
    pl.read_parquet(part).head(10).write_parquet(part)
    with pytest.raises(DatasetError, match="documents holds 10 rows"):
        connect(dmpdata.open_dataset(copy), tmp_path / "w.duckdb", validate=False, link=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["short"]
