"""Access stage: the DMP's traces — submissions, patients' actions, professionals' consultations — with decisions."""

from __future__ import annotations

from functools import cache, lru_cache

import numpy as np
import polars as pl

from dmpdata import reference
from dmpdata.generators.documents import US_PER_DAY, curve_at, type_vocabulary
from dmpdata.generators.geography import department_index
from dmpdata.generators.pathways import codes_of
from dmpdata.generators.sampling import EPOCH, coded, decoded, sort_rows
from dmpdata.generators.staff import SECTORS
from dmpdata.keys import dense_start, packed_words
from dmpdata.scenario import Scenario
from dmpdata.schemas import code_dtypes

__all__ = ["EVENT_COLUMNS", "generate_access"]

EVENT_COLUMNS = [
    "event_id",
    "occurred_at",
    "patient_id",
    "document_id",
    "actor_kind",
    "actor_professional_id",
    "target_professional_id",
    "action",
    "access_mode",
    "channel",
    "auth_mode",
    "outcome",
]
_SCHEMA = {
    "occurred_at": pl.Int64,
    "patient_id": pl.Int64,
    "document_id": pl.Int64,
    "actor_kind": pl.String,
    "actor_professional_id": pl.Int64,
    "target_professional_id": pl.Int64,
    "action": pl.String,
    "access_mode": pl.String,
    "channel": pl.String,
    "auth_mode": pl.String,
    "outcome": pl.String,
}
DAY = US_PER_DAY


class _Codes:
    """The string columns of a chunk's events as UInt8 codes (255: null) into vocabularies grown as values come, so
    that the events' sort moves one byte per value instead of a string; `decode` gathers the strings once sorted.

    A string column of `_events` is given as a string (every row), a (vocabulary, codes into it) pair, or a polars
    Series of strings."""

    NULL = 255

    def __init__(self):
        self.words: dict[str, dict[str, int]] = {
            name: {} for name, dtype in _SCHEMA.items() if dtype == pl.String
        }

    def _code(self, name: str, word: str) -> int:
        words = self.words[name]
        if word not in words:
            if len(words) == self.NULL:  # pragma: no cover - the schemas' code sets hold a few values each
                raise ValueError(f"access_events.{name}: more than {self.NULL} distinct values")
            words[word] = len(words)
        return words[word]

    def encode(self, name: str, value, n: int) -> np.ndarray:
        if value is None:
            return np.full(n, self.NULL, dtype=np.uint8)
        if isinstance(value, str):
            return np.full(n, self._code(name, value), dtype=np.uint8)
        if isinstance(value, tuple):
            vocabulary, codes = value
            lookup = np.array([self._code(name, w) for w in vocabulary], dtype=np.uint8)
            return lookup[np.asarray(codes, dtype=np.int64)]
        words = value.drop_nulls().unique().sort().to_list()
        lookup = np.array([self._code(name, w) for w in words] + [self.NULL], dtype=np.uint8)
        return lookup[value.cast(pl.Enum(words)).to_physical().fill_null(len(words)).to_numpy()]

    def decode(self, name: str) -> pl.Expr:
        words = list(self.words[name])
        return decoded(
            words + [None] * (self.NULL + 1 - len(words)), name, code_dtypes("access_events")[name]
        ).alias(name)


def _events(codes: _Codes, **columns) -> pl.DataFrame:
    """A frame of events with every column of _SCHEMA (missing ones null), times in µs, strings as `codes`."""
    n = next(
        len(v[1]) if isinstance(v, tuple) else len(v) for v in columns.values() if not isinstance(v, str)
    )
    data = {}
    for name, dtype in _SCHEMA.items():
        value = columns.get(name)
        if dtype == pl.String:
            data[name] = codes.encode(name, value, n)
        elif value is None:
            data[name] = pl.repeat(None, n, dtype=dtype, eager=True).alias(name)
        else:
            data[name] = pl.Series(name, value).cast(dtype)
    return pl.DataFrame(data)


@cache
def _consult_curves() -> dict[str, tuple[pl.Series, np.ndarray]]:
    table = reference.load("consultation").sort("date")
    return {
        s: (part["date"], part["share"].to_numpy())
        for (s,), part in table.group_by("situation", maintain_order=True)
    }


def _share(situation: str, us: np.ndarray) -> np.ndarray:
    dates, shares = _consult_curves()[situation]
    return curve_at(dates, shares, us / DAY + EPOCH)


def _professional_channel(
    staff, rows: np.ndarray, us: np.ndarray, rng: np.random.Generator
) -> tuple[tuple[tuple[str, ...], np.ndarray], tuple[tuple[str, ...], np.ndarray]]:
    """LPS when the professional's software is DMP-compatible then (and not using the web portal), else web PS;
    DIRECTE (CPS/e-CPS) or INDIRECTE (structure certificate) by sector. Each as (vocabulary, codes), for `_events`."""
    equipped = staff.equipped_from[rows] <= np.floor(us / DAY + EPOCH)
    web = ~equipped | (rng.random(rows.size) < reference.parameter("web_ps_share"))
    indirect_share = np.where(
        staff.sector_code[rows] == SECTORS.index("etablissement"),
        reference.parameter("indirect_auth_share_etablissement"),
        reference.parameter("indirect_auth_share_ville"),
    )
    indirect = rng.random(rows.size) < indirect_share
    return (("lps", "web_ps"), web), (("DIRECTE", "INDIRECTE"), indirect)


def _patient_channel(n: int, rng: np.random.Generator) -> tuple[tuple[str, ...], np.ndarray]:
    """The Mon espace santé app or website (split assumed)."""
    return ("mes_app", "mes_web"), rng.random(n) >= reference.parameter("patient_app_share")


def _intervals(
    start_us: np.ndarray,
    p_end: float,
    limit_us: np.ndarray,
    rng: np.random.Generator,
    min_days: float,
    max_days: float,
) -> np.ndarray:
    """End of an on/off interval (unmask, unblock) for a share `p_end` of intervals, else +inf (-1 here)."""
    end = start_us + ((min_days + rng.random(start_us.size) * (max_days - min_days)) * DAY).astype(np.int64)
    ends = (rng.random(start_us.size) < p_end) & (end < limit_us)
    return np.where(ends, end, -1)


def _sessions(docs: pl.DataFrame, sessions: pl.DataFrame, k: int) -> pl.DataFrame:
    """For each session (patient_id, at, …) the up-to-k most recent documents available at that time.

    A document is available when submitted by then and still approved (or deleted/replaced after). Returns one
    row per (session, document): the sessions' columns, the document's `rank` among its patient's documents (by
    submission), then the documents' columns; sessions in their given order, most recent document first. Among the
    3k latest documents submitted by then, the k first available ones are kept.
    """
    ranked = docs if _in_order(docs) else docs.sort("patient_id", "submitted_us", "document_id")
    pid = ranked["patient_id"].to_numpy()
    # pid is sorted: each row's patient's first row is the last row so far where the patient changes.
    rows = np.arange(pid.size)
    first_row = (
        np.maximum.accumulate(np.where(np.r_[True, pid[1:] != pid[:-1]], rows, 0)) if pid.size else rows
    )
    ranked = ranked.with_columns(pl.Series("rank", np.arange(pid.size) - first_row + 1))
    # The latest document r of each session: its patient's last one submitted by then.
    last = latest_at_or_before(
        pid, ranked["submitted_us"].to_numpy(), sessions["patient_id"].to_numpy(), sessions["at"].to_numpy()
    )
    found = last >= 0
    rank = np.zeros(last.size, dtype=np.int64)  # r, 0 when nothing was submitted by then
    rank[found] = last[found] - first_row[last[found]] + 1
    # The candidates: ranks r, r-1, ... (at most 3k, down to 1) of the latest document r of each session, and their
    # rows (the patient's first row + rank - 1 = r's row - offset).
    count = np.minimum(rank, 3 * k)
    session_row = np.repeat(np.arange(sessions.height), count)
    ends = np.cumsum(count)
    offset = np.arange(session_row.size) - np.repeat(ends - count, count)
    cand_rank = rank[session_row] - offset
    row = last[session_row] - offset
    at = sessions["at"].to_numpy()[session_row]
    approved = (ranked["status"] == "approved").to_numpy()
    available = (ranked["submitted_us"].to_numpy()[row] <= at) & (
        approved[row] | (ranked["status_us"].to_numpy()[row] > at)
    )
    # The first k available candidates of each session.
    seen = np.cumsum(available)
    first = ends - count
    before = np.zeros(first.size, dtype=np.int64)
    before[first > 0] = seen[first[first > 0] - 1]
    keep = available & (seen - np.repeat(before, count) <= k)
    pick = np.flatnonzero(keep)
    return pl.concat(
        [
            sessions[session_row[pick]],
            pl.DataFrame({"rank": cand_rank[pick]}),
            ranked.drop("patient_id", "rank")[row[pick]],
        ],
        how="horizontal",
    )


def _in_order(docs: pl.DataFrame) -> bool:
    """Whether documents are in (patient_id, submitted_us, document_id) order already, as a chunk's documents are
    (numbered in that order) and any filter of them keeps them: then `_sessions` need not sort them."""
    columns = ("patient_id", "submitted_us", "document_id")
    if docs.height < 2:
        return True
    if any(docs[c].null_count() for c in columns):
        return False
    p, s, d = (docs[c].to_numpy() for c in columns)
    same_p, same_s = p[1:] == p[:-1], s[1:] == s[:-1]
    return bool(np.all((p[1:] > p[:-1]) | (same_p & ((s[1:] > s[:-1]) | (same_s & (d[1:] >= d[:-1]))))))


def latest_at_or_before(
    key: np.ndarray, at: np.ndarray, query_key: np.ndarray, query_at: np.ndarray
) -> np.ndarray:
    """For each query (key, at), the row of the last (key, at) pair at or before it with the same key; -1 if none.

    `key` and `at` are integer arrays sorted by (key, at); ties give the last row. This is polars' backward
    `join_asof(on=at, by=key)` without its three sorts: pairs and queries are packed into one UInt64 word
    (`keys.packed_words`: a chunk's patient ids take 15 bits, its times 48) and looked up with one `searchsorted`.
    When the ranges do not fit in one word, polars does it.
    """
    n = key.size
    if n == 0 or query_key.size == 0:
        return np.full(query_key.size, -1, dtype=np.int64)
    words = packed_words([np.concatenate([key, query_key]), np.concatenate([at, query_at])])
    if len(words) <= 1:
        word = words[0] if words else np.zeros(n + query_key.size, dtype=np.uint64)
        row = np.searchsorted(word[:n], word[n:], side="right") - 1
        same = row >= 0
        same[same] = key[row[same]] == query_key[same]
        return np.where(same, row, -1)
    rows = pl.DataFrame({"key": key, "at": at, "row": np.arange(n)}).sort("at", "row")
    queries = pl.DataFrame({"key": query_key, "at": query_at, "query": np.arange(query_key.size)}).sort("at")
    found = queries.join_asof(rows, on="at", by="key", strategy="backward", check_sortedness=False).sort(
        "query"
    )
    return found["row"].fill_null(-1).to_numpy()


def _uniform_events(
    lo_us: np.ndarray, hi_us: np.ndarray, rate_per_year: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Poisson events at uniform times in each person's [lo, hi) window: (person index, time µs)."""
    span = np.where(hi_us > lo_us, hi_us - lo_us, 0).astype(np.float64)
    count = rng.poisson(rate_per_year * span / (365.2425 * DAY))
    person = np.repeat(np.arange(lo_us.size), count)
    at = lo_us[person] + (rng.random(person.size) * span[person]).astype(np.int64)
    return person, at


def generate_access(
    scenario: Scenario,
    rng: np.random.Generator,
    patients: pl.DataFrame,
    encounters: pl.DataFrame,
    documents: pl.DataFrame,
    staff,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(access_events with local ids from 1, documents with their final masked_ps) for one chunk."""
    first_id = int(patients["patient_id"][0])
    stop_us = (scenario.end.toordinal() + 1 - EPOCH) * DAY
    big = np.iinfo(np.int64).max

    def day_us(col: str) -> np.ndarray:  # date column -> µs at midnight, null -> big
        return patients[col].cast(pl.Int64).fill_null(big // DAY).to_numpy() * DAY

    created, closed, activated = day_us("mes_created_at"), day_us("mes_closed_at"), day_us("mes_activated_at")
    death, opt_out = day_us("death_date"), day_us("emergency_opt_out_at")
    ids = patients["patient_id"].to_numpy()
    gp = patients["gp_professional_id"].fill_null(0).to_numpy()
    dept = department_index(staff.area, patients["residence_department"])
    end_of_profile = np.minimum(np.minimum(closed, death), stop_us)

    docs = documents.with_columns(
        pl.col("submitted_at").cast(pl.Int64).alias("submitted_us"),
        pl.col("status_at").cast(pl.Int64).alias("status_us"),
    )
    d_person = docs["patient_id"].to_numpy() - first_id
    d_sub = docs["submitted_us"].to_numpy()

    def is_(
        column: str, value: str
    ) -> np.ndarray:  # a few comparisons of short strings cost less than encoding them
        return (docs[column] == value).to_numpy()

    d_status_us = docs["status_us"].to_numpy()
    d_alive_until = np.where(is_("status", "approved"), stop_us, d_status_us)  # available until then
    parts: list[pl.DataFrame] = []
    codes = _Codes()

    # A. Submissions, new versions and deletions.
    versioned = docs["replaces_document_id"].is_not_null().to_numpy()
    prof = np.flatnonzero(is_("author_kind", "professional"))
    rows = staff.row_of(docs["author_professional_id"].to_numpy()[prof])
    channel, auth = _professional_channel(staff, rows, d_sub[prof], rng)
    parts.append(
        _events(
            codes,
            occurred_at=d_sub[prof],
            patient_id=ids[d_person[prof]],
            document_id=docs["document_id"].to_numpy()[prof],
            actor_kind="professional",
            actor_professional_id=staff.ids[rows],
            action=(("submit", "new_version"), versioned[prof]),
            access_mode="normal",
            channel=channel,
            auth_mode=auth,
            outcome="granted",
        )
    )
    pat = np.flatnonzero(is_("author_kind", "patient"))
    parts.append(
        _events(
            codes,
            occurred_at=d_sub[pat],
            patient_id=ids[d_person[pat]],
            document_id=docs["document_id"].to_numpy()[pat],
            actor_kind="patient",
            action="upload",
            channel=_patient_channel(pat.size, rng),
            outcome="granted",
        )
    )
    am = np.flatnonzero(is_("author_kind", "assurance_maladie"))
    parts.append(
        _events(
            codes,
            occurred_at=d_sub[am],
            patient_id=ids[d_person[am]],
            document_id=docs["document_id"].to_numpy()[am],
            actor_kind="assurance_maladie",
            action=(("submit", "new_version"), versioned[am]),
            channel="am_system",
            outcome="granted",
        )
    )
    gone = np.flatnonzero(is_("status", "deleted"))
    rows = staff.row_of(docs["author_professional_id"].to_numpy()[gone])
    channel, auth = _professional_channel(staff, rows, d_status_us[gone], rng)
    parts.append(
        _events(
            codes,
            occurred_at=d_status_us[gone],
            patient_id=ids[d_person[gone]],
            document_id=docs["document_id"].to_numpy()[gone],
            actor_kind="professional",
            actor_professional_id=staff.ids[rows],
            action="delete",
            access_mode="normal",
            channel=channel,
            auth_mode=auth,
            outcome="granted",
        )
    )

    # B. The profile's life: activation, emergency opt-out, closure (by the holder, or by the Assurance Maladie at death).
    act = np.flatnonzero(activated < big - DAY)
    act_at = activated[act] + (rng.random(act.size) * DAY).astype(np.int64)
    parts.append(
        _events(
            codes,
            occurred_at=act_at,
            patient_id=ids[act],
            actor_kind="patient",
            action="activate",
            channel=_patient_channel(act.size, rng),
            outcome="granted",
        )
    )
    opted = np.flatnonzero(opt_out < big - DAY)
    parts.append(
        _events(
            codes,
            occurred_at=opt_out[opted] + (rng.random(opted.size) * DAY).astype(np.int64),
            patient_id=ids[opted],
            actor_kind="patient",
            action="opt_out_emergency",
            channel=_patient_channel(opted.size, rng),
            outcome="granted",
        )
    )
    shut = np.flatnonzero(closed < big - DAY)
    at_death = closed[shut] == death[shut]
    by_patient = _patient_channel(shut.size, rng)
    parts.append(
        _events(
            codes,
            occurred_at=closed[shut],
            patient_id=ids[shut],
            actor_kind=(("patient", "assurance_maladie"), at_death),
            action="close",
            channel=((*by_patient[0], "am_system"), np.where(at_death, 2, by_patient[1])),
            outcome="granted",
        )
    )

    # C. Patients mask documents (some unmask them later) and block professionals (some unblock them).
    open_from = np.maximum(d_sub, activated[d_person])
    limit = np.minimum(d_alive_until, end_of_profile[d_person])
    mask_at = open_from + (rng.random(d_sub.size) * 60 * DAY).astype(np.int64)
    masked = (
        (activated[d_person] < big - DAY)
        & (mask_at < limit)
        & (rng.random(d_sub.size) < reference.parameter("patient_mask_share"))
    )
    m_idx = np.flatnonzero(masked)
    unmask_at = _intervals(
        mask_at[m_idx], reference.parameter("patient_unmask_share"), limit[m_idx], rng, 1, 180
    )
    doc_ids = docs["document_id"].to_numpy()
    channel = _patient_channel(m_idx.size, rng)
    parts.append(
        _events(
            codes,
            occurred_at=mask_at[m_idx],
            patient_id=ids[d_person[m_idx]],
            document_id=doc_ids[m_idx],
            actor_kind="patient",
            action="mask",
            channel=channel,
            outcome="granted",
        )
    )
    un = unmask_at >= 0
    parts.append(
        _events(
            codes,
            occurred_at=unmask_at[un],
            patient_id=ids[d_person[m_idx][un]],
            document_id=doc_ids[m_idx][un],
            actor_kind="patient",
            action="unmask",
            channel=(channel[0], channel[1][un]),
            outcome="granted",
        )
    )
    masks = pl.DataFrame(
        {
            "document_id": doc_ids[m_idx],
            "mask_us": mask_at[m_idx],
            "unmask_us": np.where(unmask_at >= 0, unmask_at, big),
        }
    )
    final_masked = np.zeros(d_sub.size, dtype=bool)
    final_masked[m_idx[~un]] = True

    p_act, at = _uniform_events(
        np.where(activated < big - DAY, activated, 0),
        np.where(activated < big - DAY, end_of_profile, 0),
        reference.parameter("patient_block_rate_per_year"),
        rng,
    )
    # (Filters select their columns first: the documents' other columns, unique_id's strings above all, are not copied.)
    authored = (
        docs.lazy()
        .filter(pl.col("author_kind") == "professional")
        .select("patient_id", "submitted_us", "document_id", "status", "status_us", "author_professional_id")
        .collect()
    )
    sessions = pl.DataFrame({"session": np.arange(p_act.size), "patient_id": ids[p_act], "at": at})
    picked = _sessions(authored, sessions, 1)
    blocks = (
        picked.select(
            "patient_id", pl.col("author_professional_id").alias("target"), pl.col("at").alias("block_us")
        )
        .sort("patient_id", "target", "block_us")
        .unique(["patient_id", "target"], keep="first", maintain_order=True)
    )
    b_person = blocks["patient_id"].to_numpy() - first_id
    unblock = _intervals(
        blocks["block_us"].to_numpy(),
        reference.parameter("patient_unblock_share"),
        end_of_profile[b_person],
        rng,
        1,
        365,
    )
    blocks = blocks.with_columns(pl.Series("unblock_us", np.where(unblock >= 0, unblock, big)))
    channel = _patient_channel(blocks.height, rng)
    parts.append(
        _events(
            codes,
            occurred_at=blocks["block_us"].to_numpy(),
            patient_id=blocks["patient_id"].to_numpy(),
            actor_kind="patient",
            target_professional_id=blocks["target"].to_numpy(),
            action="block_professional",
            channel=channel,
            outcome="granted",
        )
    )
    ub = unblock >= 0
    parts.append(
        _events(
            codes,
            occurred_at=unblock[ub],
            patient_id=blocks["patient_id"].to_numpy()[ub],
            actor_kind="patient",
            target_professional_id=blocks["target"].to_numpy()[ub],
            action="unblock_professional",
            channel=(channel[0], channel[1][ub]),
            outcome="granted",
        )
    )

    # D. Patients view their documents and their access history.
    visible = (
        docs.lazy()
        .filter(~pl.col("invisible_patient"))
        .select("patient_id", "submitted_us", "document_id", "status", "status_us")
        .collect()
    )
    lo = np.where(activated < big - DAY, activated, 0)
    hi = np.where(activated < big - DAY, end_of_profile, 0)
    p_view, at = _uniform_events(lo, hi, reference.parameter("patient_view_rate_per_year"), rng)
    viewed = _sessions(
        visible, pl.DataFrame({"session": np.arange(p_view.size), "patient_id": ids[p_view], "at": at}), 1
    )
    parts.append(
        _events(
            codes,
            occurred_at=viewed["at"].to_numpy(),
            patient_id=viewed["patient_id"].to_numpy(),
            document_id=viewed["document_id"].to_numpy(),
            actor_kind="patient",
            action="view",
            channel=_patient_channel(viewed.height, rng),
            outcome="granted",
        )
    )
    p_hist, at = _uniform_events(lo, hi, reference.parameter("patient_view_history_rate_per_year"), rng)
    parts.append(
        _events(
            codes,
            occurred_at=at,
            patient_id=ids[p_hist],
            actor_kind="patient",
            action="view_history",
            channel=_patient_channel(p_hist.size, rng),
            outcome="granted",
        )
    )

    # E. Professionals consult the DMP.
    consults = _consultations(
        scenario, rng, patients, encounters, docs, staff, first_id, dept, gp, death, stop_us, blocks
    )
    parts.append(
        _decide(consults, docs, blocks, masks, staff, created, closed, opt_out, gp, first_id, rng, codes)
    )

    events = (
        sort_rows(
            pl.concat(parts), "patient_id", "occurred_at"
        )  # stable: simultaneous events keep their order
        .with_columns(
            pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("event_id"),
            pl.col("occurred_at").cast(pl.Datetime("us")),
            *(codes.decode(name) for name in codes.words),
        )
        .select(EVENT_COLUMNS)
    )
    return events, documents.with_columns(pl.Series("masked_ps", final_masked))


def _consultations(
    scenario, rng, patients, encounters, docs, staff, first_id, dept, gp, death, stop_us, blocks
) -> pl.DataFrame:
    """Consultation attempts: patient_id, at, actor_row, access_mode, document_id (null = the DMP was closed)."""
    k = int(reference.parameter("consult_docs_per_session"))
    ids = patients["patient_id"].to_numpy()
    enc_kind, enc_kinds = codes_of(encounters, "kind")
    enc_at = encounters["start_at"].cast(pl.Int64).to_numpy()
    enc_prof = staff.row_of(encounters["professional_id"].to_numpy())
    enc_pid = encounters["patient_id"].to_numpy()
    sessions = []
    situations = {
        "gp_visit": "visit",
        "specialist_visit": "visit",
        "dispensing": "pharmacist_dispensing",
        "emergency": "emergency",
        "vaccination": "vaccination",
    }
    for kind, situation in situations.items():
        rows = np.flatnonzero(enc_kind == enc_kinds.get(kind, -1))
        rows = rows[rng.random(rows.size) < _share(situation, enc_at[rows])]
        breaking = (kind == "emergency") & (
            rng.random(rows.size) < reference.parameter("bris_de_glace_share")
        )
        # The DMP is opened ten minutes into the encounter: not when that falls after the period's end.
        inside = enc_at[rows] + 600_000_000 < stop_us
        rows, breaking = rows[inside], breaking[inside]
        sessions.append(
            pl.DataFrame(
                {
                    "patient_id": enc_pid[rows],
                    "at": enc_at[rows] + 600_000_000,
                    "actor_row": enc_prof[rows],
                    "access_mode": coded(("normal", "bris_de_glace"), breaking, "access_mode"),
                }
            )
        )
    # SAMU regulators (centre 15) answering a call about the person.
    lo = np.full(ids.size, (scenario.start.toordinal() - EPOCH) * DAY, dtype=np.int64)
    hi = np.minimum(death, stop_us)
    person, at = _uniform_events(lo, hi, reference.parameter("centre_15_rate_per_year"), rng)
    actor = staff.pick(dept[person], rng, "emergency")
    ok = actor >= 0
    sessions.append(
        pl.DataFrame(
            {
                "patient_id": ids[person[ok]],
                "at": at[ok],
                "actor_row": actor[ok],
                "access_mode": pl.repeat("centre_15", int(ok.sum()), dtype=pl.String, eager=True),
            }
        )
    )
    # A blocked professional may still try to open the DMP later: that is what the block is for.
    tries = rng.random(blocks.height) < reference.parameter("blocked_professional_attempt_share")
    when = blocks["block_us"].to_numpy() + ((1 + rng.random(blocks.height) * 179) * DAY).astype(np.int64)
    tries &= when < stop_us
    sessions.append(
        pl.DataFrame(
            {
                "patient_id": blocks["patient_id"].to_numpy()[tries],
                "at": when[tries],
                "actor_row": staff.row_of(blocks["target"].to_numpy()[tries]),
                "access_mode": pl.repeat("normal", int(tries.sum()), dtype=pl.String, eager=True),
            }
        )
    )
    sessions = pl.concat(sessions).with_row_index("session").with_columns(pl.col("session").cast(pl.Int64))

    docs_min = docs.select("patient_id", "submitted_us", "document_id", "status", "status_us")
    picked = _sessions(docs_min, sessions, k)
    # Sessions that found nothing to read leave a profile-level trace only when the DMP is closed or absent.
    read_something = np.zeros(sessions.height, dtype=bool)
    read_something[picked["session"].to_numpy()] = True  # `session` is the row number
    empty = sessions.filter(pl.Series(~read_something))
    consults = pl.concat(
        [
            picked.select("session", "patient_id", "at", "actor_row", "access_mode", "document_id"),
            empty.with_columns(pl.lit(None, dtype=pl.Int64).alias("document_id")).select(
                "session", "patient_id", "at", "actor_row", "access_mode", "document_id"
            ),
        ]
    )

    # The médecin traitant reads hospital documents some days after they arrive.
    hosp = (
        docs.lazy()
        .filter(pl.col("sector") == "etablissement")
        .select("patient_id", "submitted_us", "author_professional_id", "status", "status_us", "document_id")
        .collect()
    )
    pid = hosp["patient_id"].to_numpy()
    their_gp = gp[pid - first_id]
    sub = hosp["submitted_us"].to_numpy()
    read = (
        (their_gp > 0)
        & (their_gp != hosp["author_professional_id"].fill_null(0).to_numpy())
        & (rng.random(hosp.height) < _share("gp_reads_hospital_report", sub))
    )
    at = sub + (rng.exponential(reference.parameter("gp_read_delay_mean_days"), hosp.height) * DAY).astype(
        np.int64
    )
    alive_until = np.where((hosp["status"] == "approved").to_numpy(), stop_us, hosp["status_us"].to_numpy())
    read &= at < np.minimum(alive_until, stop_us)
    rows = np.flatnonzero(read)
    gp_reads = pl.DataFrame(
        {
            "session": np.full(rows.size, -1, dtype=np.int64),
            "patient_id": pid[rows],
            "at": at[rows],
            "actor_row": staff.row_of(their_gp[rows]),
            "access_mode": pl.repeat("normal", rows.size, dtype=pl.String, eager=True),
            "document_id": hosp["document_id"].to_numpy()[rows],
        }
    )
    return pl.concat([consults, gp_reads.select(consults.columns)])


@lru_cache(maxsize=4)
def _access_matrix(staff) -> tuple[np.ndarray, np.ndarray]:
    """(the profession of each staff row, allowed[profession, document type]) from access_matrix.csv: professions
    are indexed in the matrix's order, types as in `type_vocabulary()`; the last row and column (a profession or type
    the matrix does not list) allow nothing."""
    matrix = reference.load("access_matrix").select("profession_code", "type_code", "allowed")
    professions = {code: i for i, code in enumerate(dict.fromkeys(matrix["profession_code"].to_list()))}
    types = {code: i for i, code in enumerate(type_vocabulary().to_list())}
    allowed = np.zeros((len(professions) + 1, len(types) + 1), dtype=bool)
    for profession, type_code, ok in matrix.iter_rows():
        if ok and type_code in types:
            allowed[professions[profession], types[type_code]] = True
    profession_of_row = np.array(
        [professions.get(code, len(professions)) for code in staff.profession], dtype=np.int64
    )
    return profession_of_row, allowed


def _of_documents(document_id: pl.Series, docs: pl.DataFrame, columns: tuple[str, ...]) -> list[pl.Series]:
    """`columns` of the documents `document_id` points to (null where it is null): a left join on document_id, done
    as a gather when the documents' ids are consecutive in row order (as generated: a chunk's documents are 1..n)."""
    first = dense_start(docs["document_id"])
    lo, hi = document_id.min(), document_id.max()
    if first is not None and (lo is None or (first <= lo and hi < first + docs.height)):  # every id is found
        row = document_id.cast(pl.Int64) - first
        return [docs[c].gather(row) for c in columns]
    found = document_id.to_frame("document_id").join(
        docs.select("document_id", *columns), on="document_id", how="left", maintain_order="left"
    )
    return [found[c] for c in columns]


def _decide(
    consults, docs, blocks, masks, staff, created, closed, opt_out, gp, first_id, rng, codes: _Codes
) -> pl.DataFrame:
    """Each attempt's outcome under the DMP's rules (DESIGN.md §5), in order: no DMP, blocked, matrix, emergency
    opt-out, masked."""
    person = consults["patient_id"].to_numpy() - first_id
    at = consults["at"].to_numpy()
    day = (at // DAY) * DAY
    actor = consults["actor_row"].to_numpy()
    no_dmp = ~((created[person] <= day) & (day < closed[person]))
    # Documents only exist in an open DMP: an attempt on a closed/absent one is a profile-level trace.
    frame = consults.with_columns(
        pl.Series("actor_id", staff.ids[actor]),
        pl.Series("_actor", actor.astype(np.int32)),
        pl.Series("no_dmp", no_dmp),
        pl.Series("opted_out", opt_out[person] <= day),
        pl.Series("gp", gp[person]),
    ).with_columns(pl.when(pl.col("no_dmp")).then(None).otherwise("document_id").alias("document_id"))
    frame = frame.filter(pl.col("no_dmp") | pl.col("document_id").is_not_null())
    # One profile-level trace per (session, patient, time, actor): only those rows (no document) can repeat, so only
    # they are de-duplicated (first kept, order kept), not the whole frame.
    profile = np.flatnonzero(frame["no_dmp"].to_numpy())
    if profile.size:
        keep = np.ones(frame.height, dtype=bool)
        keep[profile] = (
            frame[profile]
            .select(pl.struct("session", "patient_id", "at", "actor_id").is_first_distinct())
            .to_series()
            .to_numpy()
        )
        frame = frame.filter(pl.Series(keep))
    blocked = (
        frame.select("patient_id", "actor_id", "at")
        .with_row_index("_r")
        .join(blocks.rename({"target": "actor_id"}), on=["patient_id", "actor_id"], how="inner")
        .filter((pl.col("block_us") <= pl.col("at")) & (pl.col("at") < pl.col("unblock_us")))
        .select("_r")
        .unique()
    )
    frame = frame.with_row_index("_r").with_columns(
        pl.col("_r").is_in(blocked["_r"].implode()).alias("blocked"),
        *_of_documents(frame["document_id"], docs, ("type_code", "author_professional_id")),
    )
    # The access matrix: whether the actor's profession may read the document's type (no row: no).
    profession_of_row, allowed = _access_matrix(staff)
    types = type_vocabulary()
    type_index = frame["type_code"].cast(pl.Enum(types)).to_physical().fill_null(types.len()).to_numpy()
    frame = (
        frame.with_columns(
            pl.Series("allowed", allowed[profession_of_row[frame["_actor"].to_numpy()], type_index])
        )
        .join(masks, on="document_id", how="left", maintain_order="left")
        .with_columns(
            ((pl.col("mask_us") <= pl.col("at")) & (pl.col("at") < pl.col("unmask_us")))
            .fill_null(False)
            .alias("masked"),
            pl.col("access_mode")
            .is_in(list(reference.codes("access_modes", emergency=True)))
            .alias("emergency"),
        )
    )
    outcomes = reference.codes("access_outcomes", order="rule_order")
    outcome = (  # an index into `outcomes`
        pl.when(pl.col("no_dmp"))
        .then(0)
        .when(pl.col("blocked"))
        .then(1)
        .when(~pl.col("emergency") & ~pl.col("allowed"))
        .then(2)
        .when(pl.col("emergency") & pl.col("opted_out"))
        .then(3)
        .when(
            pl.col("masked")
            & (pl.col("actor_id") != pl.col("author_professional_id").fill_null(-1))
            & (pl.col("actor_id") != pl.col("gp"))
        )
        .then(4)
        .otherwise(5)
    )
    frame = frame.with_columns(outcome.cast(pl.Int8).alias("outcome"))
    channel, auth = _professional_channel(staff, frame["_actor"].to_numpy(), frame["at"].to_numpy(), rng)
    return _events(
        codes,
        occurred_at=frame["at"].to_numpy(),
        patient_id=frame["patient_id"].to_numpy(),
        document_id=frame["document_id"],
        actor_kind="professional",
        actor_professional_id=frame["actor_id"].to_numpy(),
        action="consult",
        access_mode=frame["access_mode"],
        channel=channel,
        auth_mode=auth,
        outcome=(outcomes, frame["outcome"].to_numpy()),
    )
