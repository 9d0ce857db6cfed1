"""The DMP's rules applied to each consultation attempt (DESIGN.md §5): no DMP, blocked, access matrix, emergency
opt-out, masked, else granted."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import polars as pl

from dmpdata import reference
from dmpdata.generators.access.chunk import Chunk
from dmpdata.generators.access.draws import DAY, professional_channel
from dmpdata.generators.access.events import event_frame
from dmpdata.generators.documents import type_vocabulary
from dmpdata.generators.sampling import EPOCH
from dmpdata.keys import dense_start


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


def document_columns(document_id: pl.Series, docs: pl.DataFrame, columns: tuple[str, ...]) -> list[pl.Series]:
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


def decide(consults, c: Chunk, blocks, masks, staff, rng) -> pl.DataFrame:
    """Each attempt's outcome under the DMP's rules (DESIGN.md §5), in order: no DMP, blocked, matrix, emergency
    opt-out, masked."""
    frame = _attempts(consults, c, blocks, staff)
    frame = _with_rules(frame, masks, staff)
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
    channel, auth = professional_channel(staff, frame["_actor"].to_numpy(), frame["at"].to_numpy(), rng)
    return event_frame(
        c.codes,
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


def _attempts(consults, c: Chunk, blocks, staff) -> pl.DataFrame:
    """The attempts with their actor, whether the DMP was open, opted out of emergency access, the actor blocked,
    and the document's type and author."""
    person = consults["patient_id"].to_numpy() - c.first_id
    at = consults["at"].to_numpy()
    day = (at // DAY) * DAY
    actor = consults["actor_row"].to_numpy()
    no_dmp = ~((c.created[person] <= day) & (day < c.closed[person]))
    # Documents only exist in an open DMP: an attempt on a closed/absent one is a profile-level trace.
    frame = consults.with_columns(
        pl.Series("actor_id", staff.ids[actor]),
        pl.Series("_actor", actor.astype(np.int32)),
        pl.Series("no_dmp", no_dmp),
        pl.Series("opted_out", _opted_out(c, consults["access_mode"], person, day)),
        pl.Series("gp", c.mt.on(person, day // DAY + EPOCH)),  # the médecin traitant that day
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
        *document_columns(frame["document_id"], c.docs, ("type_code", "author_professional_id")),
    )
    return frame


def _opted_out(c: Chunk, mode: pl.Series, person: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Whether the patient had refused, by that day, the emergency mode the attempt used (each its own consent)."""
    refused = np.zeros(person.size, dtype=bool)
    for name, opt_out in c.opt_out.items():
        uses = (mode == name).to_numpy()
        refused[uses] = opt_out[person[uses]] <= day[uses]
    return refused


def _with_rules(frame: pl.DataFrame, masks: pl.DataFrame, staff) -> pl.DataFrame:
    """The attempts with whether the access matrix allows them, the document was masked then, the access was an
    emergency one."""
    # The access matrix: whether the actor's profession may read the document's type (no row: no).
    profession_of_row, allowed = _access_matrix(staff)
    types = type_vocabulary()
    type_index = frame["type_code"].cast(pl.Enum(types)).to_physical().fill_null(types.len()).to_numpy()
    return (
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
