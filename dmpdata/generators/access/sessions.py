"""What a reader finds when opening a DMP: the latest documents available to each session."""

from __future__ import annotations

import numpy as np
import polars as pl

from dmpdata.keys import packed_words


def session_documents(docs: pl.DataFrame, sessions: pl.DataFrame, k: int) -> pl.DataFrame:
    """For each session (patient_id, at, …) the up-to-k most recent documents available at that time.

    A document is available when submitted by then and still approved (or deleted/replaced after). Returns one
    row per (session, document): the sessions' columns, the document's `rank` among its patient's documents (by
    submission), then the documents' columns; sessions in their given order, most recent document first. Among the
    3k latest documents submitted by then, the k first available ones are kept.
    """
    ranked = docs if in_document_order(docs) else docs.sort("patient_id", "submitted_us", "document_id")
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


def in_document_order(docs: pl.DataFrame) -> bool:
    """Whether documents are in (patient_id, submitted_us, document_id) order already, as a chunk's documents are
    (numbered in that order) and any filter of them keeps them: then `session_documents` need not sort them."""
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
