"""Access traces stay inside the scenario's period, even for care at the very end of it."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

import dmpdata
from dmpdata import engine
from dmpdata.generators.access import generate_access, latest_at_or_before
from dmpdata.generators.access.decide import document_columns
from dmpdata.generators.access.events import Codes, event_frame
from dmpdata.generators.access.sessions import in_document_order, session_documents
from dmpdata.generators.conditions import generate_conditions
from dmpdata.generators.documents import generate_documents
from dmpdata.generators.pathways import generate_encounters
from dmpdata.rng import stream
from dmpdata.schemas import code_dtypes


def test_consultations_ten_minutes_into_a_late_encounter_do_not_leave_the_period():
    """Found at 1 M patients: an encounter starting at 23:55 on the last day gave a consultation the next day."""
    scenario = dmpdata.load_scenario("tiny").with_overrides(patients=1000, seed=5)
    ctx = engine._context(scenario)
    traits = engine.chunk_traits(scenario, 0)
    patients = (
        engine._chunk_patients(scenario, 0, ctx)
        .drop(engine.NIR_TRAITS)
        .with_columns(
            engine._matricules([traits], ctx.area).alias("ins_matricule"), pl.lit("x").alias("ins_oid")
        )
    )
    conditions = generate_conditions(scenario, stream(1, "conditions", 0), patients)
    encounters = generate_encounters(
        scenario, stream(1, "pathways", 0), ctx.area, ctx.staff, patients, conditions
    )
    # Move every encounter of the period's last month to 23:55 on its last day (a crowded late evening).
    last_day = dt.datetime.combine(scenario.end, dt.time(23, 55))
    late = pl.col("start_at") >= dt.datetime.combine(scenario.end - dt.timedelta(days=30), dt.time())
    encounters = encounters.with_columns(
        pl.when(late).then(pl.lit(last_day)).otherwise("start_at").alias("start_at"),
        pl.when(late).then(pl.lit(last_day + dt.timedelta(minutes=4))).otherwise("end_at").alias("end_at"),
    )
    assert encounters.filter(late).height > 50
    documents, _, encounters = generate_documents(
        scenario, stream(1, "documents", 0), patients, encounters, ctx.staff, stream(1, "identity", 0)
    )
    events, _ = generate_access(scenario, stream(1, "access", 0), patients, encounters, documents, ctx.staff)
    end = dt.datetime.combine(scenario.end + dt.timedelta(days=1), dt.time())
    assert events["occurred_at"].max() < end
    assert (
        events.filter(pl.col("occurred_at").dt.date() == scenario.end).height > 0
    )  # the last day still has traces


def _brute_latest(key, at, query_key, query_at):
    out = []
    for qk, qa in zip(query_key, query_at, strict=True):
        rows = [i for i in range(len(key)) if key[i] == qk and at[i] <= qa]
        out.append(rows[-1] if rows else -1)
    return out


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 4), st.integers(-20, 20)), max_size=40),
    st.lists(st.tuples(st.integers(-1, 5), st.integers(-25, 25)), max_size=20),
    st.sampled_from([1, 2**40]),
)
def test_latest_at_or_before_is_a_backward_asof_join(pairs, queries, scale):
    """Each query gets its key's last row at or before its time (ties: the last row), -1 if none, by one packed
    searchsorted (scale 1) or, when keys and times do not fit in 64 bits together (scale 2**40), by polars."""
    pairs = sorted(pairs)
    key = np.array([k * scale for k, _ in pairs], dtype=np.int64)
    at = np.array([t * scale for _, t in pairs], dtype=np.int64)
    query_key = np.array([k * scale for k, _ in queries], dtype=np.int64)
    query_at = np.array([t * scale for _, t in queries], dtype=np.int64)
    got = latest_at_or_before(key, at, query_key, query_at)
    assert got.tolist() == _brute_latest(key.tolist(), at.tolist(), query_key.tolist(), query_at.tolist())


def test_document_columns_by_gather_equal_the_join():
    """The consultations' document columns: gathered by id when the documents' ids are consecutive, joined
    otherwise (gaps, ids out of range); both give the left join's answer, nulls included."""
    docs = pl.DataFrame(
        {"document_id": [11, 12, 13, 14], "type_code": ["a", "b", "c", "d"], "author": [1, 2, None, 4]}
    )
    for ids, table in (
        ([12, None, 14, 11, 12], docs),
        ([12, None, 15, 11], docs),
        ([12, None, 14], docs.filter(pl.col("document_id") != 13)),
        ([None, None], docs),
        ([11, 12], docs.head(0)),
    ):
        document_id = pl.Series("document_id", ids, dtype=pl.Int64)
        want = document_id.to_frame().join(table, on="document_id", how="left", maintain_order="left")
        got = document_columns(document_id, table, ("type_code", "author"))
        assert [s.to_list() for s in got] == [want["type_code"].to_list(), want["author"].to_list()]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 4),
            st.integers(0, 30),
            st.sampled_from(["approved", "deprecated", "deleted"]),
            st.integers(0, 40),
        ),
        min_size=0,
        max_size=30,
    ),
    st.lists(st.tuples(st.integers(0, 5), st.integers(-5, 45)), max_size=15),
    st.integers(1, 3),
    st.randoms(use_true_random=False),
)
def test_sessions_read_the_same_documents_whatever_their_order(docs, sessions, k, random):
    """`session_documents` skips its sort when the documents are in (patient, submission, id) order already, as a chunk's are;
    in any other order it sorts them: both give the same rows. `in_document_order` says which case it is."""
    frame = pl.DataFrame(
        {
            "patient_id": [d[0] for d in docs],
            "submitted_us": [d[1] for d in docs],
            "document_id": list(range(1, len(docs) + 1)),
            "status": [d[2] for d in docs],
            "status_us": [d[1] + d[3] for d in docs],
        },
        schema={
            "patient_id": pl.Int64,
            "submitted_us": pl.Int64,
            "document_id": pl.Int64,
            "status": pl.String,
            "status_us": pl.Int64,
        },
    )
    ordered = frame.sort("patient_id", "submitted_us", "document_id")
    shuffled = ordered.sample(fraction=1.0, shuffle=True, seed=random.randrange(2**32))
    assert in_document_order(ordered)
    assert in_document_order(shuffled) == shuffled.equals(ordered)
    queries = pl.DataFrame(
        {
            "session": list(range(len(sessions))),
            "patient_id": [q[0] for q in sessions],
            "at": [q[1] for q in sessions],
        },
        schema={"session": pl.Int64, "patient_id": pl.Int64, "at": pl.Int64},
    )
    want = session_documents(ordered, queries, k)
    assert session_documents(shuffled, queries, k).equals(want)
    # Each session reads at most k documents of its patient, available then, most recent first.
    assert want.group_by("session").len()["len"].max() in (None, *range(1, k + 1))
    owners = want.join(ordered.select("document_id", pl.col("patient_id").alias("owner")), on="document_id")
    assert owners.height == want.height and (owners["owner"] == owners["patient_id"]).all()
    assert want.filter(pl.col("submitted_us") > pl.col("at")).height == 0


def test_event_strings_travel_as_codes_and_come_back_the_same():
    """`event_frame` keeps its string columns as one-byte codes (given as a string, a (vocabulary, codes) pair or a
    Series with nulls); `Codes.decode` gives back the very strings, nulls included, whatever the parts' order."""
    codes = Codes()
    parts = [
        event_frame(
            codes,
            occurred_at=[3, 1],
            patient_id=[1, 2],
            action="view",
            channel=(("mes_app", "mes_web"), [1, 0]),
            outcome="granted",
        ),
        event_frame(
            codes,
            occurred_at=[2, 5, 4],
            patient_id=[1, 1, 2],
            action=(("submit", "new_version"), [True, False, True]),
            access_mode=pl.Series(["normal", None, "bris_de_glace"]),
            channel=(("lps", "web_ps"), [0, 0, 1]),
            auth_mode=(("DIRECTE", "INDIRECTE"), [1, 0, 0]),
            outcome="denied_matrix",
        ),
    ]
    events = pl.concat(parts).sort("occurred_at").with_columns(codes.decode(name) for name in codes.words)
    assert events.select("action", "access_mode", "channel", "auth_mode", "outcome", "actor_kind").rows() == [
        ("view", None, "mes_app", None, "granted", None),
        ("new_version", "normal", "lps", "INDIRECTE", "denied_matrix", None),
        ("view", None, "mes_web", None, "granted", None),
        ("new_version", "bris_de_glace", "web_ps", "DIRECTE", "denied_matrix", None),
        ("submit", None, "lps", "DIRECTE", "denied_matrix", None),
    ]
    # As the code set's Enum, the form the part is written from (it reads back as String).
    assert all(events[name].dtype == code_dtypes("access_events")[name] for name in codes.words)


def test_the_web_portal_is_never_reached_with_a_structure_certificate():
    """web_ps authenticates a person (CPS/e-CPS): the draws that gave web_ps + INDIRECTE give DIRECTE."""
    from dmpdata.generators.access.draws import professional_channel

    class Staff:  # every row a hospital professional without DMP-compatible software: web portal only
        equipped_from = np.full(2000, 10**9)
        sector_code = np.ones(2000, dtype=np.int64)  # etablissement: INDIRECTE would be drawn 9 times in 10

    rows, at = np.arange(2000), np.zeros(2000)
    (_, web), (modes, indirect) = professional_channel(Staff(), rows, at, np.random.default_rng(1))
    assert web.all() and modes[1] == "INDIRECTE"
    assert not indirect.any()
