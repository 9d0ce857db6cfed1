"""The analyses (dmpdata/analyses/): headers, runner, golden values on the hand-built dataset, a run on `tiny`.

Golden values are counted by hand from tests/analyses_fixture.py (patients A-F, professionals 1-8, encounters E1-E30,
documents D1-D29; "C2", "C3"… in the comments are the consultation events marked so in the fixture).
"""

from __future__ import annotations

import datetime as dt
import inspect
import re

import analyses_fixture
import duckdb
import polars as pl
import pytest

import dmpdata
from dmpdata import analyses, reference, warehouse

DATASET_TABLES = [
    "organizations",
    "professionals",
    "patients",
    "gp_declarations",
    "conditions",
    "encounters",
    "documents",
    "observations",
    "access_events",
]


def _add_references(con: duckdb.DuckDBPyConnection) -> None:
    for name in reference.names():
        frame = reference.load(name)
        con.register("_ref", frame)
        con.execute(f'CREATE TABLE "ref_{name}" AS SELECT * FROM _ref')
        con.unregister("_ref")


def connect_frames(frames: dict[str, pl.DataFrame], *, derive: bool = True) -> duckdb.DuckDBPyConnection:
    """Bare tables from frames + ref_ tables, then the derived tables the analyses read (as the warehouse build)."""
    con = duckdb.connect()
    for name, frame in frames.items():
        con.register("_frame", frame)
        con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM _frame')
        con.unregister("_frame")
    _add_references(con)
    if derive:
        warehouse.derive(con)
    return con


@pytest.fixture(scope="module")
def con():
    connection = connect_frames(analyses_fixture.tables())
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def tiny_con(tiny):
    connection = duckdb.connect()
    for name in tiny.tables:
        files = [str(p) for p in tiny.files(name)]
        connection.execute(f'CREATE TABLE "{name}" AS SELECT * FROM read_parquet($files)', {"files": files})
    _add_references(connection)
    warehouse.derive(connection)
    yield connection
    connection.close()


def rows(df: pl.DataFrame, **where) -> list[dict]:
    for column, value in where.items():
        df = df.filter(pl.col(column) == value)
    return df.to_dicts()


def one(df: pl.DataFrame, **where) -> dict:
    found = rows(df, **where)
    assert len(found) == 1, f"expected one row for {where}, got {len(found)}"
    return found[0]


def approx_row(actual: dict, expected: dict) -> None:
    for key, value in expected.items():
        if isinstance(value, float):
            assert actual[key] == pytest.approx(value), key
        else:
            assert actual[key] == value, key


# ------------------------------------------------------------------------------------------------ headers, runner

ALL = analyses.questions()
NAMES = [q.name for q in ALL]


def test_every_listed_question_has_a_file():
    listed = {
        "coordination": [
            "professionals_per_patient",
            "discharge_letters_read_by_gp",
            "discharge_letter_read_delays",
            "cross_sector_sharing",
            "lab_results_read_by_others",
            "professional_sharing_network",
        ],
        "adoption": [
            "documents_per_month",
            "professionals_feeding_share",
            "mes_activation_over_time",
            "mandatory_document_compliance",
            "consultations_per_month",
        ],
        "chronic_follow_up": [
            "hba1c_tests_per_year",
            "diabetes_follow_up_indicators",
            "diabetics_overdue",
            "care_vs_dmp",
            "pathology_prevalence_vs_published",
            "multimorbidity_by_age",
            "follow_up_indicators_by_group",
            "dmp_coverage_of_chronic_patients",
        ],
        "access_audit": [
            "emergency_access_rates",
            "denials_by_reason",
            "masked_documents",
            "patients_viewing_access_history",
        ],
    }
    # every listed question keeps its file and section; a new SQL file needs no line here (its header is enough)
    found = {section: {q.name for q in ALL if q.section == section} for section in listed}
    assert all(set(names) <= found[section] for section, names in listed.items()), found
    assert set(listed) == set(analyses.SECTIONS)


@pytest.mark.parametrize("q", ALL, ids=NAMES)
def test_header_parses_and_is_complete(q):
    assert q.question and q.grain.startswith("one row per"), (
        "header needs a question and a grain 'one row per …'"
    )
    assert q.columns and all(desc for desc in q.columns.values())
    used = set(re.findall(r"\$([a-z_][a-z0-9_]*)", q.sql))
    assert used == set(q.params), f"params declared {set(q.params)} but the SQL uses {used}"
    # the module function, built from the header: docstring = the question, then the grain and every column;
    # keyword parameters = the SQL parameters
    fn = getattr(analyses, q.name)
    assert q.name in analyses.__all__
    doc = inspect.getdoc(fn)
    assert doc.splitlines()[0] == q.question
    assert q.grain[1:] in doc and all(f"`{column}`: {text}" in doc for column, text in q.columns.items())
    signature = inspect.signature(fn)
    assert [p for p in signature.parameters if p != "con"] == list(q.params)
    assert all(
        p.kind is inspect.Parameter.KEYWORD_ONLY for n, p in signature.parameters.items() if n != "con"
    )


def test_entry_points_and_all_come_from_the_headers():
    """`__all__` is the API, then one name per SQL file in the catalogue's order (sections, then file names)."""
    assert analyses.__all__ == ["SECTIONS", "Question", "question", "questions", "run", *NAMES]
    assert [q.section for q in ALL] == sorted((q.section for q in ALL), key=list(analyses.SECTIONS).index)
    for section in analyses.SECTIONS:
        names = [q.name for q in ALL if q.section == section]
        assert names == sorted(names)
    for q in ALL:
        assert getattr(analyses, q.name).__name__ == q.name


def test_entry_point_runs_the_sql_with_its_parameters(con):
    """The generated function is run(con, name, **params): same frame, keywords bound, unknown keywords refused."""
    assert analyses.diabetics_overdue(con, as_of="2026-01-01", months=3).equals(
        analyses.run(con, "diabetics_overdue", as_of="2026-01-01", months=3)
    )
    assert analyses.professional_sharing_network(con).equals(
        analyses.run(con, "professional_sharing_network")
    )
    with pytest.raises(dmpdata.DmpdataError, match="has no parameter days"):
        analyses.diabetics_overdue(con, days=3)
    with pytest.raises(TypeError):
        analyses.diabetics_overdue(con, "2026-01-01")


def test_parameters_are_typed_with_defaults():
    q = analyses.question("diabetics_overdue")
    assert q.params == {"as_of": ("DATE", dt.date(2026, 7, 1)), "months": ("INTEGER", 6)}
    assert analyses.question("professional_sharing_network").params == {"limit": ("INTEGER", 20)}


def test_unknown_analysis_or_parameter_is_one_clear_error(con):
    with pytest.raises(dmpdata.DmpdataError, match="no analysis named 'nope'"):
        analyses.run(con, "nope")
    with pytest.raises(dmpdata.DmpdataError, match="has no parameter days"):
        analyses.run(con, "diabetics_overdue", days=3)
    with pytest.raises(dmpdata.DmpdataError, match=r"\$months: expected an integer, got 6.5"):
        analyses.run(con, "diabetics_overdue", months=6.5)
    with pytest.raises(
        dmpdata.DmpdataError, match=r"\$as_of: expected a date \(YYYY-MM-DD\), got 'first of July'"
    ):
        analyses.run(con, "diabetics_overdue", as_of="first of July")
    with pytest.raises(dmpdata.DmpdataError):
        analyses.run(con, "professional_sharing_network", limit=True)


def test_parameter_values_are_bound_never_executed(con):
    injection = "2026-01-01'; DROP TABLE patients; --"
    with pytest.raises(dmpdata.DmpdataError, match="expected a date"):
        analyses.run(con, "diabetics_overdue", as_of=injection)
    with pytest.raises(dmpdata.DmpdataError, match="expected an integer"):
        analyses.run(con, "professional_sharing_network", limit="1; DROP TABLE documents")
    # the values reach DuckDB as bound parameters: the same string given straight to the SQL is data, not code
    sql = analyses.question("diabetics_overdue").sql
    with pytest.raises(duckdb.ConversionException):
        con.sql(sql, params={"as_of": injection, "months": 6}).pl()
    assert con.sql("SELECT count(*) FROM patients").fetchall() == [(6,)]
    assert con.sql("SELECT count(*) FROM documents").fetchall() == [(29,)]


def test_string_parameters_are_parsed(con):
    by_string = analyses.run(con, "diabetics_overdue", as_of="2026-01-01", months="6")
    by_value = analyses.diabetics_overdue(con, as_of=dt.date(2026, 1, 1), months=6)
    assert by_string.equals(by_value)


def test_fixture_columns_have_the_dataset_dtypes(tiny):
    for name, frame in analyses_fixture.tables().items():
        schema = tiny.table(name).collect_schema()
        for column, dtype in frame.schema.items():
            assert column in schema, f"{name}.{column} is not a dataset column"
            real = schema[column]
            if isinstance(real, pl.Enum):
                real = pl.String()
            assert dtype == real, f"{name}.{column}: fixture {dtype}, dataset {real}"


@pytest.mark.parametrize("q", ALL, ids=NAMES)
def test_runs_on_tiny_with_documented_columns(tiny_con, q):
    df = analyses.run(tiny_con, q.name)
    assert df.columns == list(q.columns)
    assert df.height > 0
    bad = {
        c: t for c, t in df.schema.items() if isinstance(t, (pl.Decimal, pl.Int128, pl.UInt128, pl.Object))
    }
    assert not bad, f"columns polars/altair cannot use (cast sums to BIGINT/DOUBLE): {bad}"


@pytest.mark.parametrize("q", ALL, ids=NAMES)
def test_same_answers_with_enum_code_columns(con, q):
    """The warehouse stores code columns as DuckDB ENUMs: the SQL must give the same answers."""
    enum_con = connect_frames(analyses_fixture.tables(), derive=False)
    codes = {
        "documents": ["type_code", "class_code", "sector", "author_kind", "status"],
        "access_events": ["action", "outcome", "access_mode", "channel", "actor_kind"],
        "encounters": ["kind"],
        "professionals": ["profession_code", "specialty_code", "sector"],
        "patients": ["sex", "mes_status", "residence_region", "residence_department"],
        "conditions": ["condition_code"],
        "observations": ["loinc_code"],
    }
    for table, columns in codes.items():
        for column in columns:
            values = [
                v
                for (v,) in enum_con.sql(
                    f"SELECT DISTINCT {column} FROM {table} WHERE {column} IS NOT NULL"
                ).fetchall()
            ]
            labels = ", ".join("'" + str(v).replace("'", "''") + "'" for v in values)
            enum_con.execute(f"CREATE TYPE {table}_{column} AS ENUM ({labels})")
            enum_con.execute(f"ALTER TABLE {table} ALTER {column} TYPE {table}_{column}")
    warehouse.derive(enum_con)  # derived from the ENUM columns, as in the warehouse
    expected = analyses.run(con, q.name)
    actual = analyses.run(enum_con, q.name)
    assert actual.columns == expected.columns
    assert actual.cast(expected.schema).equals(expected)
    enum_con.close()


# ------------------------------------------------------------------------------------------------ coordination


def test_professionals_per_patient(con):
    df = analyses.professionals_per_patient(con)
    assert df["year"].to_list() == [2024, 2025]
    # 2024: A saw 1,4,3,5,8 (5 professionals, ville + etablissement); B 2 (1); C 1,4 (2, ville only);
    #       D 1,7 (2, two sectors); E 3 (1); F 2 (1) -> [5,1,2,2,1,1]: mean 12/6, median (1+2)/2, 3/6 with ≥ 2,
    #       2/6 (A, D) in two sectors
    approx_row(
        one(df, year=2024),
        {
            "patients": 6,
            "mean_professionals": 2.0,
            "median_professionals": 1.5,
            "share_2_or_more": 0.5,
            "share_multi_sector": 2 / 6,
        },
    )
    # 2025: A 4,7,3 (3); B 4,3 (2); C 3 (1); D 1 (1, E29); E 1,7 (2); F 2,4,3 (3) -> [3,2,1,1,2,3]: mean 12/6,
    #       median 2, 4/6 with ≥ 2, multi-sector A, B, E, F = 4/6
    approx_row(
        one(df, year=2025),
        {
            "patients": 6,
            "mean_professionals": 2.0,
            "median_professionals": 2.0,
            "share_2_or_more": 4 / 6,
            "share_multi_sector": 4 / 6,
        },
    )


def test_discharge_letters_read_by_gp(con):
    df = analyses.discharge_letters_read_by_gp(con)
    # 2024: L1 (A, discharged 03-05, GP 1 reads 3d23h after submission) and L4 (E: no GP) -> 1 letter with a GP,
    #       read within 7 and 30 days
    approx_row(
        one(df, discharge_year=2024),
        {
            "letters": 2,
            "letters_with_gp": 1,
            "read_within_7d": 1,
            "read_within_30d": 1,
            "read_ever": 1,
            "share_read_7d": 1.0,
            "share_read_30d": 1.0,
            "share_read_ever": 1.0,
        },
    )
    # 2025: L2 (B: GP 2 after 20 days; P1 at 12 h is not B's GP), L3 (C: GP 1 never reads), L5 (A: GP after
    #       77 days) -> 0 within 7 days, 1 within 30, 2 ever, out of 3
    approx_row(
        one(df, discharge_year=2025),
        {
            "letters": 3,
            "letters_with_gp": 3,
            "read_within_7d": 0,
            "read_within_30d": 1,
            "read_ever": 2,
            "share_read_7d": 0.0,
            "share_read_30d": 1 / 3,
            "share_read_ever": 2 / 3,
        },
    )


def test_discharge_letter_read_delays(con):
    df = analyses.discharge_letter_read_delays(con)
    assert df["delay_band"].to_list() == [
        "within 1 day",
        "1-7 days",
        "7-30 days",
        "30-90 days",
        "over 90 days",
        "never read",
    ]
    # letters of patients with a GP: L1, L2, L3, L5 (L4's patient E has none)
    # by the GP: L1 3d23h -> 1-7; L2 20 d -> 7-30; L5 77d17h -> 30-90; L3 never
    assert df["letters_by_gp"].to_list() == [0, 1, 1, 1, 0, 1]
    assert df["share_by_gp"].to_list() == pytest.approx([0, 0.25, 0.25, 0.25, 0, 0.25])
    # by anyone but the author (P3's own read of L3 at 2 h does not count): L1 GP at 3d23h -> 1-7;
    # L2 P1 at 12 h -> within 1 day; L3 P7 at exactly 2 days -> 1-7; L5 P7 at 18 h -> within 1 day
    assert df["letters_by_any"].to_list() == [2, 2, 0, 0, 0, 0]
    assert df["share_by_any"].to_list() == pytest.approx([0.5, 0.5, 0, 0, 0, 0])


def test_cross_sector_sharing(con):
    df = analyses.cross_sector_sharing(con)
    # granted reads of documents by non-authors (C19 and C24 are authors re-reading their own: left out)
    assert [(r["author_sector"], r["reader_sector"]) for r in df.to_dicts()] == [
        ("assurance_maladie", "ville"),
        ("etablissement", "etablissement"),
        ("etablissement", "ville"),
        ("ville", "etablissement"),
        ("ville", "ville"),
    ]
    # ville documents (17 fed): read in ville by C2 C4 C7 C13 C16 C17 C25 (7 reads of D2 D6 D10 D14 D17 D27 by
    # P1 P2 P5 P8); in etablissement by C5 C8 C9 C27 (4 reads of D6 D10 D8 D28 by P3 P7)
    approx_row(
        one(df, author_sector="ville", reader_sector="ville"),
        {
            "cross_sector": False,
            "consultations": 7,
            "documents": 6,
            "readers": 4,
            "documents_fed": 17,
            "share_of_author_consultations": 7 / 11,
            "share_of_documents_read": 6 / 17,
        },
    )
    approx_row(
        one(df, author_sector="ville", reader_sector="etablissement"),
        {
            "cross_sector": True,
            "consultations": 4,
            "documents": 4,
            "readers": 2,
            "documents_fed": 17,
            "share_of_author_consultations": 4 / 11,
            "share_of_documents_read": 4 / 17,
        },
    )
    # etablissement documents (10 fed): ville reads C3 C12 C14 C15 C22 (D4 D12 D16 D23 by P1 P2);
    # etablissement reads C11 C20 (D12 D21 by P7)
    approx_row(
        one(df, author_sector="etablissement", reader_sector="ville"),
        {
            "consultations": 5,
            "documents": 4,
            "readers": 2,
            "documents_fed": 10,
            "share_of_author_consultations": 5 / 7,
            "share_of_documents_read": 0.4,
        },
    )
    approx_row(
        one(df, author_sector="etablissement", reader_sector="etablissement"),
        {
            "consultations": 2,
            "documents": 2,
            "readers": 1,
            "share_of_author_consultations": 2 / 7,
            "share_of_documents_read": 0.2,
        },
    )
    # the REMB document D5, read by P1 (C6)
    approx_row(
        one(df, author_sector="assurance_maladie"),
        {
            "cross_sector": True,
            "consultations": 1,
            "documents": 1,
            "readers": 1,
            "documents_fed": 1,
            "share_of_author_consultations": 1.0,
            "share_of_documents_read": 1.0,
        },
    )


def test_lab_results_read_by_others(con):
    df = analyses.lab_results_read_by_others(con)
    # 2024 reports: D2, D3 (E2, v1 and v2), D6 (E4), D19 (E14), D20 (E16); no PRESC-BIO -> prescriber = the GP
    # (P1 for A and C). Read by the prescriber: D2 (C2), D6 (C4); by another: D6 (P3, C5). D19, D20, D3: nobody
    # (C18 on D20 was denied).
    approx_row(
        one(df, year=2024),
        {
            "lab_reports": 5,
            "prescriber_from_presc_bio": 0,
            "prescriber_from_gp": 5,
            "read_by_prescriber": 2,
            "read_by_other": 1,
            "share_read_by_prescriber": 0.4,
            "share_read_by_other": 0.2,
        },
    )
    # 2025: D10 (E6, PRESC-BIO D9 by P1), D14 (E10, PRESC-BIO D13 by P3), D17 (E11, GP P2), D29 (E25, GP P2).
    # D10: read by P1 = prescriber (C7) and by P7 (C8, bris de glace) = other; D14: read by P2, the GP but not
    # the prescriber P3 -> other; D17: P2 prescriber (C16) + P5 other (C17); D29: only a denied attempt
    approx_row(
        one(df, year=2025),
        {
            "lab_reports": 4,
            "prescriber_from_presc_bio": 2,
            "prescriber_from_gp": 2,
            "read_by_prescriber": 2,
            "read_by_other": 3,
            "share_read_by_prescriber": 0.5,
            "share_read_by_other": 0.75,
        },
    )


def test_professional_sharing_network(con):
    df = analyses.professional_sharing_network(con)
    pairs = [
        (
            r["author_professional_id"],
            r["reader_professional_id"],
            r["patients"],
            r["documents"],
            r["consultations"],
        )
        for r in df.to_dicts()
    ]
    # author -> reader: P3 -> P1 reads D4, D12 (A), D16 (B), D23 (E): 3 patients, 4 documents, 4 reads;
    # P3 -> P7: D12 (A), D21 (C); P4 -> P1: D2, D6, D10 (A); P4 -> P2: D14, D17 (B); then single reads ordered by
    # author then reader id. D5 (REMB, no professional author) and self-reads are left out.
    assert pairs == [
        (3, 1, 3, 4, 4),
        (3, 7, 2, 2, 2),
        (4, 1, 1, 3, 3),
        (4, 2, 1, 2, 2),
        (1, 7, 1, 1, 1),
        (2, 7, 1, 1, 1),
        (2, 8, 1, 1, 1),
        (3, 2, 1, 1, 1),
        (4, 3, 1, 1, 1),
        (4, 5, 1, 1, 1),
        (4, 7, 1, 1, 1),
    ]
    first = df.row(0, named=True)
    assert (first["author_profession"], first["author_specialty"], first["author_sector"]) == (
        "Médecin",
        "Cardiologie et Maladies vasculaires",
        "etablissement",
    )
    assert (first["reader_specialty"], first["reader_sector"]) == ("Médecine générale", "ville")
    assert one(df, author_professional_id=4, reader_professional_id=1)["author_profession"] == "Pharmacien"
    assert one(df, author_professional_id=4, reader_professional_id=1)["author_specialty"] is None
    top3 = analyses.professional_sharing_network(con, limit=3)
    assert top3.height == 3 and top3.equals(df.head(3))


# ------------------------------------------------------------------------------------------------ adoption


def test_documents_per_month(con):
    df = analyses.documents_per_month(con)
    assert df["documents"].sum() == 29
    # January 2024: D1 (prescription) and D2, D3 (two versions of E2's lab report), patient A in Île-de-France
    jan = rows(df, month=dt.date(2024, 1, 1))
    assert [(r["type_code"], r["class_code"], r["sector"], r["region"], r["documents"]) for r in jan] == [
        ("11502-2", "10", "ville", "11", 2),
        ("57833-6", "42", "ville", "11", 1),
    ]
    assert jan[0]["type_label"] == "CR d'examens biologiques" and jan[0]["region_name"] == "Île-de-France"
    # June 2025: D15 (34874-8) and D16 (11490-0) for B (region 11), D26 (15507-7) for E (region 84)
    june = rows(df, month=dt.date(2025, 6, 1))
    assert [(r["type_code"], r["sector"], r["region"], r["documents"]) for r in june] == [
        ("11490-0", "etablissement", "11", 1),
        ("15507-7", "etablissement", "84", 1),
        ("34874-8", "etablissement", "11", 1),
    ]
    # the uploads and reimbursement data keep their own sectors
    assert one(df, type_code="DOCPAT01")["sector"] == "patient"
    assert one(df, type_code="REMB")["sector"] == "assurance_maladie"


def test_professionals_feeding_share(con):
    df = analyses.professionals_feeding_share(con)
    # months of the encounters: 2024-01 (E1) .. 2025-12 (E29) = 24, × professions 10, 21, 60
    assert df.height == 24 * 3
    assert sorted(set(df["profession_code"])) == ["10", "21", "60"]
    # March 2025: D14 by P4 (21); D27, D28 by P2 (10). Médecins: 5 (P1 P2 P3 P5 P7), all equipped by 03-31
    approx_row(
        one(df, month=dt.date(2025, 3, 1), profession_code="10"),
        {
            "profession_label": "Médecin",
            "professionals": 5,
            "equipped_professionals": 5,
            "feeding_professionals": 1,
            "share_feeding": 0.2,
            "share_feeding_of_equipped": 0.2,
            "documents": 2,
        },
    )
    approx_row(
        one(df, month=dt.date(2025, 3, 1), profession_code="21"),
        {
            "professionals": 2,
            "equipped_professionals": 2,
            "feeding_professionals": 1,
            "share_feeding": 0.5,
            "documents": 1,
        },
    )
    nurses = one(df, month=dt.date(2025, 3, 1), profession_code="60")
    assert (
        nurses["equipped_professionals"],
        nurses["share_feeding"],
        nurses["share_feeding_of_equipped"],
    ) == (0, 0.0, None)
    # March 2024: D4 by P3; equipped médecins then: P1, P3, P7 (P2 from 2025, P5 from 2024-06)
    approx_row(
        one(df, month=dt.date(2024, 3, 1), profession_code="10"),
        {
            "equipped_professionals": 3,
            "feeding_professionals": 1,
            "share_feeding": 0.2,
            "share_feeding_of_equipped": 1 / 3,
            "documents": 1,
        },
    )
    # every document written by a professional is counted once: 29 − D5 (REMB) − D25 (upload)
    assert df["documents"].sum() == 27


def test_mes_activation_over_time(con):
    df = analyses.mes_activation_over_time(con)
    assert df.height == 24
    national = reference.load("mes_activation")

    def latest(day):
        return national.filter(pl.col("date") <= day).sort("date").row(-1, named=True)

    # end of January 2024: 6 alive; open profiles A B C E F (D opposed); activated A (2023), F (2024-01-10)
    jan = one(df, month=dt.date(2024, 1, 1))
    approx_row(
        jan,
        {
            "population": 6,
            "open_profiles": 5,
            "activated_profiles": 2,
            "opposed": 1,
            "share_open": 5 / 6,
            "share_activated": 2 / 6,
        },
    )
    ref = latest(dt.date(2024, 1, 31))  # the 2024-01-10 point
    assert jan["national_activated_share"] == pytest.approx(ref["activated_share"])
    assert jan["national_open_share"] == pytest.approx(ref["profiles_open_share"])
    # February 2024: C activates (2024-02-01) -> 3 of 6
    assert one(df, month=dt.date(2024, 2, 1))["activated_profiles"] == 3
    # March 2025: E activates -> A C E F
    assert one(df, month=dt.date(2025, 3, 1))["activated_profiles"] == 4
    # end of August 2025: C died on the 15th (profile closed) -> 5 alive, open A B E F, activated A E F
    aug = one(df, month=dt.date(2025, 8, 1))
    approx_row(
        aug,
        {
            "population": 5,
            "open_profiles": 4,
            "activated_profiles": 3,
            "share_open": 0.8,
            "share_activated": 0.6,
        },
    )
    assert aug["national_activated_share"] == pytest.approx(latest(dt.date(2025, 8, 31))["activated_share"])


def test_mandatory_document_compliance(con):
    df = analyses.mandatory_document_compliance(con)
    got = {
        (r["type_code"], r["encounter_kind"], r["year"]): (
            r["encounters_requiring"],
            r["encounters_with_document"],
            r["documents_fed"],
        )
        for r in df.to_dicts()
    }
    assert got == {
        # drug prescriptions (57833-6, from 2022-12-31) of encounters with prescribes_drugs: E1, E13, E23 (P2 not yet
        # equipped: not fed) in 2024, E24 in 2025; the hospital stay E3 prescribed without a document
        ("57833-6", "gp_visit", 2024): (3, 2, 2),
        ("57833-6", "gp_visit", 2025): (1, 1, 1),
        ("57833-6", "hospital_stay", 2024): (1, 0, 0),
        # referral letters / certificates: obligation from 2024-12-31, so only 2025 GP visits (E24, E29)
        ("96349-6", "gp_visit", 2025): (2, 1, 1),
        ("89601-9", "gp_visit", 2025): (2, 0, 0),
        # every stay: letter 11490-0 (2024: E3, E26 both fed; 2025: E12, E18, E27 fed, E28 not), CR 34112-3
        # (only E18's), CR opératoire for the orthopaedic stay E12 only
        ("11490-0", "hospital_stay", 2024): (2, 2, 2),
        ("11490-0", "hospital_stay", 2025): (4, 3, 3),
        ("34112-3", "hospital_stay", 2024): (2, 0, 0),
        ("34112-3", "hospital_stay", 2025): (4, 1, 1),
        ("34874-8", "hospital_stay", 2025): (1, 1, 1),
        # lab reports: 2024 E2 (2 versions), E4, E14, E16 fed, E15 and E17 not; 2025 all four
        ("11502-2", "lab_test", 2024): (6, 4, 5),
        ("11502-2", "lab_test", 2025): (4, 4, 4),
        # lab prescriptions (from 2023-12-31): only D9 (E6) and D13 (E10)
        ("PRESC-BIO", "lab_test", 2024): (6, 0, 0),
        ("PRESC-BIO", "lab_test", 2025): (4, 2, 2),
        # D's imaging E30 (no DMP): its report and its request, neither fed
        ("18748-4", "imaging", 2025): (1, 0, 0),
        ("55115-0", "imaging", 2025): (1, 0, 0),
    }
    row = one(df, type_code="11502-2", year=2024)
    assert row["share_fed"] == pytest.approx(4 / 6)
    assert row["obligation_start"] == dt.date(2022, 4, 26)  # the earliest of its two obligations


def test_consultations_per_month(con):
    df = analyses.consultations_per_month(con)
    # 27 attempts: 8 in 2024 (C2-C6, C18, C21, C22), 19 in 2025
    assert df["attempts"].sum() == 27 and df["granted"].sum() == 21 and df["denied"].sum() == 6
    # July 2025: C10 (P3, denied masked), C19 (P3), C20 (P7): médecins on lps, 2 professionals, patients A and C
    approx_row(
        one(df, month=dt.date(2025, 7, 1)),
        {
            "profession_code": "10",
            "profession_label": "Médecin",
            "channel": "lps",
            "attempts": 3,
            "granted": 2,
            "denied": 1,
            "share_granted": 2 / 3,
            "professionals": 2,
            "patients": 2,
        },
    )
    # November 2024: the nurse on the web portal (C18, denied) and P7 in bris de glace (C21, denied)
    nov = rows(df, month=dt.date(2024, 11, 1))
    assert [(r["profession_code"], r["channel"], r["attempts"], r["granted"]) for r in nov] == [
        ("10", "lps", 1, 0),
        ("60", "web_ps", 1, 0),
    ]


# ------------------------------------------------------------------------------------------------ chronic follow-up


def test_hba1c_tests_per_year(con):
    df = analyses.hba1c_tests_per_year(con)
    assert df["band"].to_list() == ["0", "1", "2-3", "4+"] * 2
    # 2024 diabetics all year: A (onset 2015), C (2010), F (2020); B's onset 2024-06-01 is too late.
    # A: E2, E4 -> 2-3; C: E14-E17 -> 4+ (two reports were never fed: still tests); F: none -> 0
    assert rows(df, year=2024) == [
        {"year": 2024, "band": "0", "band_order": 1, "patients": 1, "share": pytest.approx(1 / 3)},
        {"year": 2024, "band": "1", "band_order": 2, "patients": 0, "share": 0.0},
        {"year": 2024, "band": "2-3", "band_order": 3, "patients": 1, "share": pytest.approx(1 / 3)},
        {"year": 2024, "band": "4+", "band_order": 4, "patients": 1, "share": pytest.approx(1 / 3)},
    ]
    # 2025: A (E6 -> 1), B (E10, E11 -> 2-3), F (0); C died in August
    assert rows(df, year=2025)[0]["patients"] == 1
    assert [r["patients"] for r in rows(df, year=2025)] == [1, 1, 1, 0]


def test_diabetes_follow_up_indicators(con):
    df = analyses.diabetes_follow_up_indicators(con)
    # 2024, diabetics A C F: fundus A (E5 with the SM38 ophthalmologist); creatinine A (E2), C (E16); albuminuria C;
    # HbA1c A (last 6.8: controlled), C (last 7.0: not below 7)
    approx_row(
        one(df, year=2024),
        {
            "diabetics": 3,
            "with_fundus_exam_2y": 1,
            "with_creatinine": 2,
            "with_albuminuria": 1,
            "with_hba1c": 2,
            "hba1c_controlled": 1,
            "share_fundus_exam_2y": 1 / 3,
            "share_creatinine": 2 / 3,
            "share_albuminuria": 1 / 3,
            "share_hba1c_controlled": 0.5,
        },
    )
    # 2025, diabetics A B F: fundus A (E5 in 2024, within 2 years); creatinine B (E10), F (E25); albuminuria A (E6);
    # HbA1c A (7.2: not controlled), B (last 6.9: controlled)
    approx_row(
        one(df, year=2025),
        {
            "diabetics": 3,
            "with_fundus_exam_2y": 1,
            "with_creatinine": 2,
            "with_albuminuria": 1,
            "with_hba1c": 2,
            "hba1c_controlled": 1,
            "share_hba1c_controlled": 0.5,
        },
    )


def test_diabetics_overdue(con):
    # 2026-01-01, 6 months (cut-off 2025-07-01): alive diabetics A, B, F (C died). F never tested; A's last is
    # 2025-02-01 (overdue); B's 2025-09-01 is recent
    df = analyses.diabetics_overdue(con, as_of=dt.date(2026, 1, 1), months=6)
    assert df["patient_id"].to_list() == [6, 1]
    f, a = df.to_dicts()
    assert (f["last_hba1c_at"], f["months_since_last_hba1c"], f["gp_professional_id"], f["dmp_open"]) == (
        None,
        None,
        2,
        True,
    )
    approx_row(
        a,
        {
            "sex": "F",
            "age": 75,
            "residence_department": "75",
            "gp_professional_id": 1,
            "diabetes_onset": dt.date(2015, 6, 1),
            "last_hba1c_at": dt.datetime(2025, 2, 1, 8, 0),
            "last_hba1c_value": 7.2,
            "months_since_last_hba1c": 10,
            "dmp_open": True,
        },
    )
    # 12 months (cut-off 2025-01-01): A's 2025-02-01 test is recent enough -> only F
    assert analyses.diabetics_overdue(con, as_of="2026-01-01", months=12)["patient_id"].to_list() == [6]
    # 2024-06-01: B is diabetic since that very day, never tested; C (alive then) and A tested in 2024 -> B, F
    early = analyses.diabetics_overdue(con, as_of=dt.date(2024, 6, 1))
    assert early["patient_id"].to_list() == [2, 6]
    # defaults: 2026-07-01 and 6 months (cut-off 2026-01-01) -> F (never), then A (2025-02), B (2025-09)
    assert analyses.diabetics_overdue(con)["patient_id"].to_list() == [6, 1, 2]


def test_care_withheld_unqualified_identity(con):
    df = analyses.care_withheld_unqualified_identity(con)
    got = {
        (r["year"], r["sector"]): (
            r["encounters"],
            r["encounters_withheld"],
            r["documents_withheld"],
            r["documents_fed"],
        )
        for r in df.to_dicts()
    }
    assert got == {
        # hospital (organization 3: professionals 3 and 7): E3, E20, E26; fed D4, D23
        (2024, "etablissement"): (3, 0, 0, 2),
        # the 13 other encounters of 2024; E9's one document withheld; fed D1, D2, … D20 (8 by ville authors)
        (2024, "ville"): (13, 1, 1, 8),
        # E8, E12, E18, E22, E27, E28; E22's two documents withheld; 8 fed
        (2025, "etablissement"): (6, 1, 2, 8),
        # the 8 other encounters of 2025 (E30: D's imaging); 9 fed by ville authors, one a VSM (60591-5), not counted
        (2025, "ville"): (8, 0, 0, 8),
    }
    assert one(df, year=2025, sector="etablissement")["share_withheld"] == pytest.approx(2 / 10)
    assert one(df, year=2024, sector="ville")["share_withheld"] == pytest.approx(1 / 9)


def test_care_vs_dmp(con):
    df = analyses.care_vs_dmp(con)
    got = {
        (r["year"], r["encounter_kind"]): (
            r["encounters"],
            r["encounters_dmp_open"],
            r["encounters_with_document"],
            r["documents"],
        )
        for r in df.to_dicts()
    }
    assert got == {
        (2024, "dispensing"): (1, 1, 0, 0),  # E7
        (2024, "emergency"): (1, 0, 0, 0),  # E20: D has no DMP
        (2024, "gp_visit"): (5, 4, 2, 2),  # E1, E13 documented; E9, E23 not; E19 (D) no DMP
        (2024, "hospital_stay"): (2, 2, 2, 2),  # E3 (L1), E26 (L4)
        (2024, "lab_test"): (6, 6, 4, 5),  # E2 (2 versions), E4, E14, E16; E15, E17 not fed
        (2024, "specialist_visit"): (1, 1, 1, 1),  # E5
        (2025, "emergency"): (2, 2, 2, 2),  # E8, E22
        (2025, "gp_visit"): (2, 1, 1, 2),  # E24 (2 documents); E29 (D) no DMP
        (2025, "hospital_stay"): (4, 4, 3, 5),  # E12 (2), E18 (2, C alive then), E27 (1); E28 none
        (2025, "imaging"): (1, 0, 0, 0),  # E30: D has no DMP
        (2025, "lab_test"): (4, 4, 4, 6),  # E6, E10 (report + PRESC-BIO each), E11, E25
        (2025, "vaccination"): (1, 1, 1, 1),  # E21
    }
    gp = one(df, year=2024, encounter_kind="gp_visit")
    assert gp["share_with_document"] == pytest.approx(0.4)
    assert gp["share_with_document_if_open"] == pytest.approx(0.5)
    assert gp["kind_label"].startswith("Consultation")


def test_pathology_prevalence_vs_published(con):
    df = analyses.pathology_prevalence_vs_published(con, as_of="2024-01-01")
    published = reference.load("pathologies")
    # one row per group and per pathology of ref_pathologies
    assert df.filter(pl.col("level") == "pathology").height == published.height
    assert df.filter(pl.col("level") == "group").height == published["group"].n_unique()
    # all six alive on 2024-01-01; type 2 diabetes A, C, F (B's onset is 2024-06-01); hypertension A, D;
    # heart failure A; CKD C, F; colorectal cancer D; prostate cancer B (2022-06)
    expected = {
        "diabetes_type2": 3,
        "hypertension": 2,
        "heart_failure": 1,
        "chronic_kidney_disease": 2,
        "cancer_colorectal": 1,
        "cancer_prostate": 1,
    }
    for row in df.filter(pl.col("level") == "pathology").to_dicts():
        cases = expected.get(row["pathology"], 0)
        target = one(published, pathology=row["pathology"])["prevalence"]
        approx_row(
            row, {"people": 6, "cases": cases, "prevalence": cases / 6, "published_prevalence": target}
        )
        assert row["ratio"] == pytest.approx(cases / 6 / target)
    # the cancer group: B and D; its published figure is the sum of its sites'
    cancer = one(df, level="group", pathology_group="cancer")
    sites = published.filter(pl.col("group") == "cancer")["prevalence"].sum()
    approx_row(
        cancer, {"cases": 2, "prevalence": 2 / 6, "prevalence_summed": 2 / 6, "published_prevalence": sites}
    )
    assert one(df, level="group", pathology_group="diabetes")["cases"] == 3
    assert cancer["label"] == one(reference.load("pathology_groups"), group="cancer")["label"]


def test_multimorbidity_by_age(con):
    df = analyses.multimorbidity_by_age(con, as_of="2024-01-01")
    assert df["age_band"].to_list() == ["0-17", "18-39", "40-64", "65-74", "75-84", "85+"]
    # on 2024-01-01: E 13 (none); B 63 (prostate cancer: 1), D 44 (hypertension, colorectal cancer: 2),
    # F 53 (diabetes, CKD: 2); A 73 (diabetes, hypertension, heart failure: 3); C 79 (diabetes, CKD: 2)
    approx_row(one(df, age_band="0-17"), {"people": 1, "share_0": 1.0, "mean_pathologies": 0.0})
    approx_row(
        one(df, age_band="40-64"),
        {
            "people": 3,
            "share_0": 0.0,
            "share_1": 1 / 3,
            "share_2": 2 / 3,
            "share_3_plus": 0.0,
            "mean_pathologies": 5 / 3,
        },
    )
    approx_row(one(df, age_band="65-74"), {"people": 1, "share_3_plus": 1.0, "mean_pathologies": 3.0})
    approx_row(one(df, age_band="75-84"), {"people": 1, "share_2": 1.0})
    empty = one(df, age_band="85+")
    assert (empty["people"], empty["share_0"]) == (0, None)
    # a year later B's diabetes counts: 2 pathologies
    assert one(analyses.multimorbidity_by_age(con, as_of="2025-01-01"), age_band="40-64")["share_2"] == 1.0


def test_follow_up_indicators_by_group(con):
    df = analyses.follow_up_indicators_by_group(con)
    assert df.height == 2 * 8  # 2 years × 8 indicators
    got = {(r["year"], r["indicator"]): (r["patients"], r["with_indicator"]) for r in df.to_dicts()}
    assert got == {
        # type 2 diabetes: as diabetes_follow_up_indicators (2024 A C F, 2025 A B F)
        (2024, "fundus_exam_2y"): (3, 1),
        (2024, "creatinine"): (3, 2),
        (2024, "albuminuria"): (3, 1),
        (2025, "fundus_exam_2y"): (3, 1),
        (2025, "creatinine"): (3, 2),
        (2025, "albuminuria"): (3, 1),
        # heart failure, A: the cardiologist P3 during the stays E3 (2024) and E27 (2025); renal/electrolyte tests
        # E2 (creatinine) and E4 (potassium) in 2024, none in 2025
        (2024, "cardiologist"): (1, 1),
        (2024, "renal_electrolytes_2"): (1, 1),
        (2025, "cardiologist"): (1, 1),
        (2025, "renal_electrolytes_2"): (1, 0),
        # CKD: 2024 C (E16: creatinine and albumin) and F (nothing); 2025 F only (C died): creatinine E25
        (2024, "creatinine_egfr"): (2, 1),
        (2024, "urine_albumin"): (2, 1),
        (2025, "creatinine_egfr"): (1, 1),
        (2025, "urine_albumin"): (1, 0),
        # 2 to 5 years after the onset all year (onset 2020-01-01..2022-01-01 for 2024): 2024 D (2021-03; B's
        # 2022-06 cancer is still active), 2025 D and B; D's imaging E30
        (2024, "specialist_or_imaging"): (1, 0),
        (2025, "specialist_or_imaging"): (2, 1),
    }
    assert one(df, year=2025, indicator="specialist_or_imaging")["share"] == pytest.approx(0.5)
    assert one(df, year=2025, indicator="cardiologist")["cohort"] == "heart_failure"


def test_dmp_coverage_of_chronic_patients(con):
    df = analyses.dmp_coverage_of_chronic_patients(con, since="2024-01-01", as_of="2025-12-31")
    years = 731 / 365.25  # 2024-01-01 to 2025-12-31 included, for each of the five alive at the end
    got = {r["pathology_group"]: (r["people"], r["activated"], r["documents"]) for r in df.to_dicts()}
    # alive at the end: A B D E F (C died); activated A, E, F (B never, D opposed); documents A 12, B 5, E 4, F 3
    assert got == {
        "all": (5, 3, 24),
        "cancer": (2, 0, 5),  # B, D
        "cardio_neurovascular": (1, 1, 12),  # A
        "ckd": (1, 1, 3),  # F (C died)
        "diabetes": (3, 2, 20),  # A, B (since 2024-06), F
        "vascular_risk": (2, 1, 12),  # A, D
        "none": (1, 1, 4),  # E
    }
    # everyone first, the groups in ref_pathology_groups order, no pathology last; groups with their labels
    groups = reference.load("pathology_groups")
    order = groups.filter(pl.col("group").is_in(list(got)))["group"].to_list()
    assert df["pathology_group"].to_list() == ["all", *order, "none"]
    assert one(df, pathology_group="diabetes")["label"] == one(groups, group="diabetes")["label"]
    assert one(df, pathology_group="none")["label"] == "No chronic pathology"
    approx_row(
        one(df, pathology_group="diabetes"),
        {"share_activated": 2 / 3, "person_years": 3 * years, "documents_per_person_year": 20 / (3 * years)},
    )


# ------------------------------------------------------------------------------------------------ access audit


def test_emergency_access_rates(con):
    df = analyses.emergency_access_rates(con)
    # 2024: 8 attempts, one bris de glace (C21, D has no DMP: denied)
    approx_row(
        one(df, year=2024),
        {
            "attempts": 8,
            "bris_de_glace": 1,
            "centre_15": 0,
            "emergency_granted": 0,
            "emergency_denied_opt_out": 0,
            "emergency_patients": 1,
            "share_bris_de_glace": 1 / 8,
            "share_centre_15": 0.0,
        },
    )
    # 2025: 19 attempts; bris de glace C8, C9 (A); centre 15 C23 (E opted out: denied) and C27 (F)
    approx_row(
        one(df, year=2025),
        {
            "attempts": 19,
            "bris_de_glace": 2,
            "centre_15": 2,
            "emergency_granted": 3,
            "emergency_denied_opt_out": 1,
            "emergency_patients": 3,
            "share_bris_de_glace": 2 / 19,
            "share_centre_15": 2 / 19,
        },
    )


def test_denials_by_reason(con):
    df = analyses.denials_by_reason(con)
    got = [(r["year"], r["reason"], r["denials"], r["attempts"]) for r in df.to_dicts()]
    assert got == [
        (2024, "denied_matrix", 1, 8),
        (2024, "denied_no_dmp", 1, 8),  # C18 (nurse), C21
        (2025, "denied_blocked", 1, 19),
        (2025, "denied_emergency_opt_out", 1, 19),  # F blocked P6; C23
        (2025, "denied_masked", 1, 19),
        (2025, "denied_matrix", 1, 19),  # C10; C26
    ]
    assert df["share_of_attempts"].to_list() == pytest.approx([1 / 8, 1 / 8] + [1 / 19] * 4)
    assert df["share_of_denials"].to_list() == pytest.approx([0.5, 0.5, 0.25, 0.25, 0.25, 0.25])
    # C18 (nurse 60 × 11502-2, inferred) and C26 (pharmacist 21 × 11502-2, verified): no assumed cell
    assert df["denials_on_assumed_cells"].to_list() == [0] * 6


def test_denials_by_reason_counts_the_denials_resting_on_assumed_matrix_cells():
    """A denied_matrix denial whose cell is assumed (or absent from the matrix) is counted apart; others never."""
    con = connect_frames(analyses_fixture.tables(), derive=False)
    # C26's cell (pharmacist × 11502-2) made an assumption; C18's cell (nurse × 11502-2) removed from the matrix
    con.execute(
        "UPDATE ref_access_matrix SET evidence = 'assumption' WHERE profession_code = '21' AND type_code = '11502-2'"
    )
    con.execute("DELETE FROM ref_access_matrix WHERE profession_code = '60' AND type_code = '11502-2'")
    warehouse.derive(con)
    df = analyses.denials_by_reason(con)
    got = {(r["year"], r["reason"]): r["denials_on_assumed_cells"] for r in df.to_dicts()}
    assert got == {
        (2024, "denied_matrix"): 1,  # C18: an absent cell counts as not allowed, an assumption
        (2024, "denied_no_dmp"): 0,
        (2025, "denied_blocked"): 0,
        (2025, "denied_emergency_opt_out"): 0,
        (2025, "denied_masked"): 0,
        (2025, "denied_matrix"): 1,  # C26
    }
    con.close()


def test_masked_documents(con):
    df = analyses.masked_documents(con)
    got = [
        (
            r["type_code"],
            r["documents"],
            r["ever_masked"],
            r["masked_at_end"],
            r["mask_events"],
            r["unmask_events"],
            r["patients_masking"],
            r["denied_masked"],
        )
        for r in df.to_dicts()
    ]
    assert got == [
        ("15507-7", 2, 2, 2, 2, 0, 2, 1),  # D11 (A, C10 denied), D26 (E; its author P7 still reads it)
        ("11488-4", 1, 1, 0, 1, 1, 1, 0),  # D7 masked then unmasked by A
        ("11502-2", 9, 1, 1, 1, 0, 1, 0),  # D19 masked by C, among 9 lab reports
    ]
    assert df["share_ever_masked"].to_list() == pytest.approx([1.0, 1.0, 1 / 9])
    assert df["type_label"][0] == "CR de passage aux urgences" and df["class_code"][0] == "10"


def test_patients_viewing_access_history(con):
    df = analyses.patients_viewing_access_history(con)
    # 2024: activated A, C, F; history viewed by A and C (one time each); documents viewed by A
    approx_row(
        one(df, year=2024),
        {
            "activated_patients": 3,
            "patients_viewing_history": 2,
            "view_history_events": 2,
            "share_viewing_history": 2 / 3,
            "patients_viewing_documents": 1,
            "share_viewing_documents": 1 / 3,
        },
    )
    # 2025: activated A, C (closed in August), E, F; history viewed by A and E (twice); documents by E and F
    approx_row(
        one(df, year=2025),
        {
            "activated_patients": 4,
            "patients_viewing_history": 2,
            "view_history_events": 3,
            "share_viewing_history": 0.5,
            "patients_viewing_documents": 2,
            "share_viewing_documents": 0.5,
        },
    )
