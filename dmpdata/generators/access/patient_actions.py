"""Patients' own actions on their DMP: masking documents, blocking professionals, viewing documents and the
access history."""

from __future__ import annotations

import numpy as np
import polars as pl

from dmpdata import reference
from dmpdata.generators.access.chunk import BIG, Chunk
from dmpdata.generators.access.draws import DAY, interval_ends, patient_channel, uniform_events
from dmpdata.generators.access.events import event_frame
from dmpdata.generators.access.sessions import session_documents


def mask_documents(c: Chunk, rng: np.random.Generator) -> tuple[list[pl.DataFrame], pl.DataFrame, np.ndarray]:
    """Patients mask documents (some unmask them later): (their events, the masks' intervals by document, whether
    each document is masked at the end)."""
    parts: list[pl.DataFrame] = []
    open_from = np.maximum(c.d_sub, c.activated[c.d_person])
    limit = np.minimum(c.d_alive_until, c.end_of_profile[c.d_person])
    mask_at = open_from + (rng.random(c.d_sub.size) * 60 * DAY).astype(np.int64)
    masked = (
        (c.activated[c.d_person] < BIG - DAY)
        & (mask_at < limit)
        & (rng.random(c.d_sub.size) < reference.parameter("patient_mask_share"))
    )
    m_idx = np.flatnonzero(masked)
    unmask_at = interval_ends(
        mask_at[m_idx], reference.parameter("patient_unmask_share"), limit[m_idx], rng, 1, 180
    )
    doc_ids = c.docs["document_id"].to_numpy()
    channel = patient_channel(m_idx.size, rng)
    parts.append(
        event_frame(
            c.codes,
            occurred_at=mask_at[m_idx],
            patient_id=c.ids[c.d_person[m_idx]],
            document_id=doc_ids[m_idx],
            actor_kind="patient",
            action="mask",
            channel=channel,
            outcome="granted",
        )
    )
    un = unmask_at >= 0
    parts.append(
        event_frame(
            c.codes,
            occurred_at=unmask_at[un],
            patient_id=c.ids[c.d_person[m_idx][un]],
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
            "unmask_us": np.where(unmask_at >= 0, unmask_at, BIG),
        }
    )
    final_masked = np.zeros(c.d_sub.size, dtype=bool)
    final_masked[m_idx[~un]] = True
    return parts, masks, final_masked


def block_professionals(c: Chunk, rng: np.random.Generator) -> tuple[list[pl.DataFrame], pl.DataFrame]:
    """Patients block professionals who wrote to their DMP (some unblock them later): (their events, the blocks'
    intervals by patient and professional)."""
    parts: list[pl.DataFrame] = []
    blocks = _blocks(c, rng)
    b_person = blocks["patient_id"].to_numpy() - c.first_id
    unblock = interval_ends(
        blocks["block_us"].to_numpy(),
        reference.parameter("patient_unblock_share"),
        c.end_of_profile[b_person],
        rng,
        1,
        365,
    )
    blocks = blocks.with_columns(pl.Series("unblock_us", np.where(unblock >= 0, unblock, BIG)))
    channel = patient_channel(blocks.height, rng)
    parts.append(
        event_frame(
            c.codes,
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
        event_frame(
            c.codes,
            occurred_at=unblock[ub],
            patient_id=blocks["patient_id"].to_numpy()[ub],
            actor_kind="patient",
            target_professional_id=blocks["target"].to_numpy()[ub],
            action="unblock_professional",
            channel=(channel[0], channel[1][ub]),
            outcome="granted",
        )
    )
    return parts, blocks


def view_documents(c: Chunk, rng: np.random.Generator) -> list[pl.DataFrame]:
    """Patients view their documents and their access history."""
    parts: list[pl.DataFrame] = []
    visible = (
        c.docs.lazy()
        .filter(~pl.col("invisible_patient"))
        .select("patient_id", "submitted_us", "document_id", "status", "status_us")
        .collect()
    )
    lo = np.where(c.activated < BIG - DAY, c.activated, 0)
    hi = np.where(c.activated < BIG - DAY, c.end_of_profile, 0)
    p_view, at = uniform_events(lo, hi, reference.parameter("patient_view_rate_per_year"), rng)
    viewed = session_documents(
        visible, pl.DataFrame({"session": np.arange(p_view.size), "patient_id": c.ids[p_view], "at": at}), 1
    )
    parts.append(
        event_frame(
            c.codes,
            occurred_at=viewed["at"].to_numpy(),
            patient_id=viewed["patient_id"].to_numpy(),
            document_id=viewed["document_id"].to_numpy(),
            actor_kind="patient",
            action="view",
            channel=patient_channel(viewed.height, rng),
            outcome="granted",
        )
    )
    p_hist, at = uniform_events(lo, hi, reference.parameter("patient_view_history_rate_per_year"), rng)
    parts.append(
        event_frame(
            c.codes,
            occurred_at=at,
            patient_id=c.ids[p_hist],
            actor_kind="patient",
            action="view_history",
            channel=patient_channel(p_hist.size, rng),
            outcome="granted",
        )
    )
    return parts


def _blocks(c: Chunk, rng: np.random.Generator) -> pl.DataFrame:
    """(patient_id, target, block_us): each block's patient, professional and time; a patient blocks an author of
    their latest document, once per professional (the first time)."""
    p_act, at = uniform_events(
        np.where(c.activated < BIG - DAY, c.activated, 0),
        np.where(c.activated < BIG - DAY, c.end_of_profile, 0),
        reference.parameter("patient_block_rate_per_year"),
        rng,
    )
    # (Filters select their columns first: the documents' other columns, unique_id's strings above all, are not copied.)
    authored = (
        c.docs.lazy()
        .filter(pl.col("author_kind") == "professional")
        .select("patient_id", "submitted_us", "document_id", "status", "status_us", "author_professional_id")
        .collect()
    )
    sessions = pl.DataFrame({"session": np.arange(p_act.size), "patient_id": c.ids[p_act], "at": at})
    picked = session_documents(authored, sessions, 1)
    blocks = (
        picked.select(
            "patient_id", pl.col("author_professional_id").alias("target"), pl.col("at").alias("block_us")
        )
        .sort("patient_id", "target", "block_us")
        .unique(["patient_id", "target"], keep="first", maintain_order=True)
    )
    return blocks
