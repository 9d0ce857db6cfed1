"""Traces of the record's life: documents submitted, replaced and deleted; profiles activated, opted out of
an emergency access mode, closed."""

from __future__ import annotations

import numpy as np
import polars as pl

from dmpdata.generators.access.chunk import BIG, Chunk
from dmpdata.generators.access.draws import DAY, patient_channel, professional_channel
from dmpdata.generators.access.events import event_frame


def submissions(c: Chunk, rng: np.random.Generator, staff) -> list[pl.DataFrame]:
    """Submissions and new versions, by professionals, patients and the Assurance Maladie."""
    parts: list[pl.DataFrame] = []
    versioned = c.docs["replaces_document_id"].is_not_null().to_numpy()
    prof = np.flatnonzero(c.doc_is("author_kind", "professional"))
    rows = staff.row_of(c.docs["author_professional_id"].to_numpy()[prof])
    channel, auth = professional_channel(staff, rows, c.d_sub[prof], rng)
    parts.append(
        event_frame(
            c.codes,
            occurred_at=c.d_sub[prof],
            patient_id=c.ids[c.d_person[prof]],
            document_id=c.docs["document_id"].to_numpy()[prof],
            actor_kind="professional",
            actor_professional_id=staff.ids[rows],
            action=(("submit", "new_version"), versioned[prof]),
            access_mode="normal",
            channel=channel,
            auth_mode=auth,
            outcome="granted",
        )
    )
    pat = np.flatnonzero(c.doc_is("author_kind", "patient"))
    parts.append(
        event_frame(
            c.codes,
            occurred_at=c.d_sub[pat],
            patient_id=c.ids[c.d_person[pat]],
            document_id=c.docs["document_id"].to_numpy()[pat],
            actor_kind="patient",
            action="upload",
            channel=patient_channel(pat.size, rng),
            outcome="granted",
        )
    )
    am = np.flatnonzero(c.doc_is("author_kind", "assurance_maladie"))
    parts.append(
        event_frame(
            c.codes,
            occurred_at=c.d_sub[am],
            patient_id=c.ids[c.d_person[am]],
            document_id=c.docs["document_id"].to_numpy()[am],
            actor_kind="assurance_maladie",
            action=(("submit", "new_version"), versioned[am]),
            channel="am_system",
            outcome="granted",
        )
    )
    return parts


def deletions(c: Chunk, rng: np.random.Generator, staff) -> list[pl.DataFrame]:
    """Deletions by the document's author."""
    parts: list[pl.DataFrame] = []
    gone = np.flatnonzero(c.doc_is("status", "deleted"))
    rows = staff.row_of(c.docs["author_professional_id"].to_numpy()[gone])
    channel, auth = professional_channel(staff, rows, c.d_status_us[gone], rng)
    parts.append(
        event_frame(
            c.codes,
            occurred_at=c.d_status_us[gone],
            patient_id=c.ids[c.d_person[gone]],
            document_id=c.docs["document_id"].to_numpy()[gone],
            actor_kind="professional",
            actor_professional_id=staff.ids[rows],
            action="delete",
            access_mode="normal",
            channel=channel,
            auth_mode=auth,
            outcome="granted",
        )
    )
    return parts


def profile_life(c: Chunk, rng: np.random.Generator) -> list[pl.DataFrame]:
    """Activation, refusals of each emergency mode, closure (by the holder, or by the Assurance Maladie at death)."""
    parts: list[pl.DataFrame] = []
    act = np.flatnonzero(c.activated < BIG - DAY)
    act_at = c.activated[act] + (rng.random(act.size) * DAY).astype(np.int64)
    parts.append(
        event_frame(
            c.codes,
            occurred_at=act_at,
            patient_id=c.ids[act],
            actor_kind="patient",
            action="activate",
            channel=patient_channel(act.size, rng),
            outcome="granted",
        )
    )
    for mode, opt_out in c.opt_out.items():  # one consent per emergency mode: one trace per refusal
        opted = np.flatnonzero(opt_out < BIG - DAY)
        parts.append(
            event_frame(
                c.codes,
                occurred_at=opt_out[opted] + (rng.random(opted.size) * DAY).astype(np.int64),
                patient_id=c.ids[opted],
                actor_kind="patient",
                action=f"opt_out_{mode}",
                channel=patient_channel(opted.size, rng),
                outcome="granted",
            )
        )
    shut = np.flatnonzero(c.closed < BIG - DAY)
    at_death = c.closed[shut] == c.death[shut]
    by_patient = patient_channel(shut.size, rng)
    parts.append(
        event_frame(
            c.codes,
            occurred_at=c.closed[shut],
            patient_id=c.ids[shut],
            actor_kind=(("patient", "assurance_maladie"), at_death),
            action="close",
            channel=((*by_patient[0], "am_system"), np.where(at_death, 2, by_patient[1])),
            outcome="granted",
        )
    )
    return parts
