"""Professionals' consultation attempts: during encounters, from the SAMU, after a block, and the médecin traitant's
reading of hospital reports."""

from __future__ import annotations

import numpy as np
import polars as pl

from dmpdata import reference
from dmpdata.generators.access.chunk import Chunk
from dmpdata.generators.access.draws import DAY, consult_share, uniform_events
from dmpdata.generators.access.sessions import session_documents
from dmpdata.generators.pathways import codes_of
from dmpdata.generators.sampling import EPOCH, coded

_COLUMNS = ("session", "patient_id", "at", "actor_row", "access_mode", "document_id")


def consultations(scenario, rng, c: Chunk, encounters, staff, blocks) -> pl.DataFrame:
    """Consultation attempts: patient_id, at, actor_row, access_mode, document_id (null = the DMP was closed)."""
    k = int(reference.parameter("consult_docs_per_session"))
    sessions = [
        *_encounter_sessions(rng, encounters, staff, c.stop_us),
        _centre_15_sessions(scenario, rng, c.ids, staff, c.dept, c.death, c.stop_us),
        _blocked_retries(rng, staff, c.stop_us, blocks),
    ]
    sessions = pl.concat(sessions).with_row_index("session").with_columns(pl.col("session").cast(pl.Int64))
    consults = _session_reads(c.docs, sessions, k)
    gp_reads = _gp_reads(rng, c.docs, staff, c.mt, c.first_id, c.stop_us)
    return pl.concat([consults, gp_reads.select(consults.columns)])


def _encounter_sessions(rng, encounters, staff, stop_us) -> list[pl.DataFrame]:
    """The sessions opened during encounters, by kind of encounter (a share of them, some by bris de glace)."""
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
        rows = rows[rng.random(rows.size) < consult_share(situation, enc_at[rows])]
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
    return sessions


def _centre_15_sessions(scenario, rng, ids, staff, dept, death, stop_us) -> pl.DataFrame:
    """SAMU regulators (centre 15) answering a call about the person: Poisson times over the period."""
    lo = np.full(ids.size, (scenario.start.toordinal() - EPOCH) * DAY, dtype=np.int64)
    hi = np.minimum(death, stop_us)
    person, at = uniform_events(lo, hi, reference.parameter("centre_15_rate_per_year"), rng)
    actor = staff.pick(dept[person], rng, "emergency")
    ok = actor >= 0
    return pl.DataFrame(
        {
            "patient_id": ids[person[ok]],
            "at": at[ok],
            "actor_row": actor[ok],
            "access_mode": pl.repeat("centre_15", int(ok.sum()), dtype=pl.String, eager=True),
        }
    )


def _blocked_retries(rng, staff, stop_us, blocks) -> pl.DataFrame:
    """A blocked professional may still try to open the DMP later: that is what the block is for."""
    tries = rng.random(blocks.height) < reference.parameter("blocked_professional_attempt_share")
    when = blocks["block_us"].to_numpy() + ((1 + rng.random(blocks.height) * 179) * DAY).astype(np.int64)
    tries &= when < stop_us
    return pl.DataFrame(
        {
            "patient_id": blocks["patient_id"].to_numpy()[tries],
            "at": when[tries],
            "actor_row": staff.row_of(blocks["target"].to_numpy()[tries]),
            "access_mode": pl.repeat("normal", int(tries.sum()), dtype=pl.String, eager=True),
        }
    )


def _session_reads(docs, sessions, k) -> pl.DataFrame:
    """The documents each session reads (up to k), and one row without a document for each session that read
    nothing."""
    docs_min = docs.select("patient_id", "submitted_us", "document_id", "status", "status_us")
    picked = session_documents(docs_min, sessions, k)
    # Sessions that found nothing to read leave a profile-level trace only when the DMP is closed or absent.
    read_something = np.zeros(sessions.height, dtype=bool)
    read_something[picked["session"].to_numpy()] = True  # `session` is the row number
    empty = sessions.filter(pl.Series(~read_something))
    return pl.concat(
        [
            picked.select(*_COLUMNS),
            empty.with_columns(pl.lit(None, dtype=pl.Int64).alias("document_id")).select(*_COLUMNS),
        ]
    )


def _gp_reads(rng, docs, staff, mt, first_id, stop_us) -> pl.DataFrame:
    """The médecin traitant (the one in force when the document arrives) reads hospital documents some days later."""
    hosp = (
        docs.lazy()
        .filter(pl.col("sector") == "etablissement")
        .select("patient_id", "submitted_us", "author_professional_id", "status", "status_us", "document_id")
        .collect()
    )
    pid = hosp["patient_id"].to_numpy()
    sub = hosp["submitted_us"].to_numpy()
    their_gp = mt.on(pid - first_id, sub // DAY + EPOCH)
    read = (
        (their_gp > 0)
        & (their_gp != hosp["author_professional_id"].fill_null(0).to_numpy())
        & (rng.random(hosp.height) < consult_share("gp_reads_hospital_report", sub))
    )
    at = sub + (rng.exponential(reference.parameter("gp_read_delay_mean_days"), hosp.height) * DAY).astype(
        np.int64
    )
    alive_until = np.where((hosp["status"] == "approved").to_numpy(), stop_us, hosp["status_us"].to_numpy())
    read &= at < np.minimum(alive_until, stop_us)
    rows = np.flatnonzero(read)
    return pl.DataFrame(
        {
            "session": np.full(rows.size, -1, dtype=np.int64),
            "patient_id": pid[rows],
            "at": at[rows],
            "actor_row": staff.row_of(their_gp[rows]),
            "access_mode": pl.repeat("normal", rows.size, dtype=pl.String, eager=True),
            "document_id": hosp["document_id"].to_numpy()[rows],
        }
    )
