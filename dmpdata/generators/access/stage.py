"""The access stage: the DMP's traces of one chunk — submissions, the profile's life, patients' actions,
professionals' consultations with the rules' decisions — in one frame sorted by patient and time."""

from __future__ import annotations

import numpy as np
import polars as pl

from dmpdata.generators.access.chunk import chunk_of
from dmpdata.generators.access.consultations import consultations
from dmpdata.generators.access.decide import decide
from dmpdata.generators.access.events import EVENT_COLUMNS, Codes
from dmpdata.generators.access.patient_actions import block_professionals, mask_documents, view_documents
from dmpdata.generators.access.records import deletions, profile_life, submissions
from dmpdata.generators.sampling import sort_rows
from dmpdata.scenario import Scenario


def generate_access(
    scenario: Scenario,
    rng: np.random.Generator,
    patients: pl.DataFrame,
    encounters: pl.DataFrame,
    documents: pl.DataFrame,
    staff,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(access_events with local ids from 1, documents with their final masked_ps) for one chunk."""
    c = chunk_of(scenario, patients, documents, staff)
    # The sections draw from `rng` in this order; the events' order within a patient and time follows it too.
    parts = submissions(c, rng, staff) + deletions(c, rng, staff) + profile_life(c, rng)
    mask_parts, masks, final_masked = mask_documents(c, rng)
    block_parts, blocks = block_professionals(c, rng)
    parts += mask_parts + block_parts + view_documents(c, rng)
    consults = consultations(scenario, rng, c, encounters, staff, blocks)
    parts.append(decide(consults, c, blocks, masks, staff, rng))
    return _sorted(parts, c.codes), documents.with_columns(pl.Series("masked_ps", final_masked))


def _sorted(parts: list[pl.DataFrame], codes: Codes) -> pl.DataFrame:
    """The events by patient and time (stable: simultaneous events keep their order), numbered from 1, their string
    columns decoded."""
    return (
        sort_rows(pl.concat(parts), "patient_id", "occurred_at")
        .with_columns(
            pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("event_id"),
            pl.col("occurred_at").cast(pl.Datetime("us")),
            *(codes.decode(name) for name in codes.words),
        )
        .select(EVENT_COLUMNS)
    )
