"""Cross-table checks, each named: keys unique, foreign keys resolve, the médecin traitant is a physician."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl

from dmpdata import reference
from dmpdata.keys import dense_start
from dmpdata.schemas import access_rule

__all__ = ["CHECKS", "Failure"]

Failure = tuple[int, list[str]]  # failing row count, a few examples
Frames = dict[str, pl.DataFrame]


def _examples(frame: pl.DataFrame, limit: int = 3) -> list[str]:
    return [str(row) for row in frame.head(limit).iter_rows(named=True)]


def _unique(table: str, *keys: str) -> Callable[[Frames], Failure]:
    def check(frames: Frames) -> Failure:
        dup = frames[table].group_by(*keys).len().filter(pl.col("len") > 1).sort(*keys)
        return int(dup["len"].sum() if dup.height else 0), _examples(dup)

    check.__doc__ = f"{table}: ({', '.join(keys)}) identifies one row"
    check.unique_key = (table, keys)  # read by the fidelity scorecard's structural diagnostics
    return check


def _unique_when_set(table: str, key: str) -> Callable[[Frames], Failure]:
    """Like _unique over the rows where `key` is set (no unique_key: the global key checks take non-null keys)."""

    def check(frames: Frames) -> Failure:
        dup = frames[table].drop_nulls(key).group_by(key).len().filter(pl.col("len") > 1).sort(key)
        return int(dup["len"].sum() if dup.height else 0), _examples(dup)

    check.__doc__ = f"{table}: {key}, where set, identifies one row"
    return check


def _rpps_rang_holder(frames: Frames) -> Failure:
    """organizations: an RPPS-rang starts with the RPPS of a professional working in that structure (its holder)"""
    orgs = frames["organizations"].drop_nulls("rpps_rang")
    holders = frames["professionals"].select("rpps", "organization_id")
    bad = orgs.select("organization_id", "rpps_rang", rpps=pl.col("rpps_rang").str.slice(0, 11)).join(
        holders, on=["rpps", "organization_id"], how="anti"
    )
    return bad.height, _examples(bad)


def _pairs(frames: Frames, table: str, via: str, target: str, key: str) -> pl.DataFrame:
    """Row pairs (`_l`, `_t`): every row of `table` whose `via` is set, with the row of `target` whose `key` equals
    it (`_t` null when none; one pair per match when the key repeats).

    A foreign-key check and the checks comparing columns across the same link share one join: the pairs are kept
    in `frames["_memo"]` when the caller provides that dict (dmpdata.validate does, per chunk).
    """
    memo = frames.get("_memo")
    memo = memo if isinstance(memo, dict) else {}  # without the caller's memo: nothing shared, same answer
    name = (table, via, target, key)
    if name in memo:
        return memo[name]
    left = frames[table].select(via).with_row_index("_l").filter(pl.col(via).is_not_null())
    if ("dense", target, key) not in memo:  # a target serves several links: its keys are looked at once
        memo[("dense", target, key)] = dense_start(frames[target][key])
    first = memo[("dense", target, key)]
    if first is not None and left.schema[via].is_integer():
        # The target's keys are first, first + 1, ... in row order (ids within a chunk are): the row is arithmetic.
        row = left[via].to_numpy().astype(np.int64, copy=False) - first
        found = (row >= 0) & (row < frames[target].height)
        pairs = left.select(
            "_l", pl.Series("_t", np.where(found, row, 0), dtype=pl.UInt32).set(pl.Series(~found), None)
        )
    else:
        right = frames[target].select(pl.col(key).alias(via)).with_row_index("_t")
        pairs = left.join(right, on=via, how="left", maintain_order="left").select("_l", "_t")
    memo[name] = pairs
    return pairs


def _paired(
    frames: Frames, table: str, via: str, target: str, key: str, mine: list[str], theirs: dict[str, str]
) -> pl.DataFrame:
    """The matched pairs of `_pairs` as one frame: columns `mine` of the `table` row, then `theirs` (target column
    -> name) of the `target` row."""
    pairs = _pairs(frames, table, via, target, key).filter(pl.col("_t").is_not_null())
    return pl.concat(
        [
            frames[table].select(mine)[pairs["_l"]],
            frames[target].select(pl.col(c).alias(a) for c, a in theirs.items())[pairs["_t"]],
        ],
        how="horizontal",
    )


def _foreign_key(table: str, column: str, target: str, target_column: str) -> Callable[[Frames], Failure]:
    def check(frames: Frames) -> Failure:
        orphans = _pairs(frames, table, column, target, target_column).filter(pl.col("_t").is_null())["_l"]
        return orphans.len(), _examples(frames[table].select(column)[orphans])

    check.__doc__ = f"{table}.{column} points to an existing {target}.{target_column}"
    check.foreign_key = (table, column, target, target_column)  # read by the fidelity scorecard
    return check


def _gp_is_physician(frames: Frames) -> Failure:
    """patients.gp_professional_id (médecin traitant) is a physician (TRE_G15 code of médecin)."""
    gps = _paired(
        frames,
        "patients",
        "gp_professional_id",
        "professionals",
        "professional_id",
        ["patient_id", "gp_professional_id"],
        {"profession_code": "profession_code"},
    )
    wrong = gps.filter(pl.col("profession_code") != _physician_code())
    return wrong.height, _examples(wrong)


def _declared_is_physician(frames: Frames) -> Failure:
    """gp_declarations.professional_id (a declared médecin traitant) is a physician (TRE_G15 code of médecin)."""
    pairs = _paired(
        frames,
        "gp_declarations",
        "professional_id",
        "professionals",
        "professional_id",
        ["patient_id", "professional_id"],
        {"profession_code": "profession_code"},
    )
    wrong = pairs.filter(pl.col("profession_code") != _physician_code())
    return wrong.height, _examples(wrong)


def _declarations_in_sequence(frames: Frames) -> Failure:
    """A patient's médecin traitant declarations do not overlap (one médecin traitant at a time)."""
    bad = (
        frames["gp_declarations"]
        .sort("patient_id", "declared_from")
        .with_columns(
            pl.col("declared_until").shift(1).over("patient_id").alias("_previous_until"),
            pl.col("declared_from").shift(1).over("patient_id").alias("_previous_from"),
        )
        .filter(
            pl.col("_previous_from").is_not_null()
            & (pl.col("_previous_until").is_null() | (pl.col("_previous_until") >= pl.col("declared_from")))
        )
    )
    return bad.height, _examples(bad)


def _declaration_within_life(frames: Frames) -> Failure:
    """gp_declarations: declared on or after the patient's birth, and ended by death at the latest."""
    joined = _paired(
        frames,
        "gp_declarations",
        "patient_id",
        "patients",
        "patient_id",
        ["patient_id", "declared_from", "declared_until", "end_reason"],
        {"birth_date": "birth_date", "death_date": "death_date"},
    )
    dead = pl.col("death_date").is_not_null()
    bad = joined.filter(
        (pl.col("declared_from") < pl.col("birth_date"))
        | (dead & (pl.col("declared_from") > pl.col("death_date")))
        | (dead & (pl.col("declared_until").is_null() | (pl.col("declared_until") > pl.col("death_date"))))
    )
    return bad.height, _examples(bad)


def _current_declaration(frames: Frames) -> Failure:
    """patients.gp_professional_id is the médecin traitant of the declaration in force at the period's end or at
    death (null when none is)."""
    current = (
        frames["gp_declarations"]
        .filter(pl.col("end_reason").is_null() | (pl.col("end_reason") == "death"))
        .select("patient_id", pl.col("professional_id").alias("_declared"))
    )
    joined = (
        frames["patients"]
        .select("patient_id", "gp_professional_id")
        .join(current, on="patient_id", how="left")
    )
    bad = joined.filter(pl.col("gp_professional_id").ne_missing(pl.col("_declared")))
    return bad.height, _examples(bad)


def _physician_code() -> str:
    """The TRE_G15 code whose label is "Médecin" (read from the reference table, not hard-coded)."""
    table = reference.load("professions")
    return table.filter(pl.col("label").str.to_lowercase() == "médecin")["profession_code"][0]


def _within_life(
    table: str, column: str, mine: list[str] | None, *, from_birth: bool, doc: str
) -> Callable[[Frames], Failure]:
    """A check that `table.column` (a date, or the day of a datetime) is not after its patient's death day, nor
    before their birth when `from_birth`; examples show `mine` (None: every column) and the patient's dates."""

    def check(frames: Frames) -> Failure:
        dates = ["birth_date", "death_date"] if from_birth else ["death_date"]
        columns = frames[table].columns if mine is None else mine
        joined = _paired(
            frames, table, "patient_id", "patients", "patient_id", columns, {d: d for d in dates}
        )
        day = pl.col(column).cast(pl.Date)
        bad = pl.col("death_date").is_not_null() & (day > pl.col("death_date"))
        bad = bad | (day < pl.col("birth_date")) if from_birth else bad
        wrong = joined.filter(bad)
        return wrong.height, _examples(wrong)

    check.__doc__ = doc
    return check


def _ald_consistent(frames: Frames) -> Failure:
    """An ALD exonération has its number and admission date, on or after the onset; without it, neither."""
    c = frames["conditions"]
    bad = c.filter(
        pl.when(pl.col("ald"))
        .then(
            pl.col("ald_number").is_null()
            | pl.col("ald_start_date").is_null()
            | (pl.col("ald_start_date") < pl.col("onset_date"))
        )
        .otherwise(pl.col("ald_number").is_not_null() | pl.col("ald_start_date").is_not_null())
    )
    return bad.height, _examples(bad)


def _same(
    table: str,
    column: str,
    target: str,
    target_column: str,
    via: str,
    via_target: str | None = None,
    doc: str = "",
) -> Callable[[Frames], Failure]:
    """Rows of `table` whose `column` differs from `target_column` of the `target` row they point to via `via`."""

    def check(frames: Frames) -> Failure:
        joined = _paired(
            frames, table, via, target, via_target or via, [via, column], {target_column: "_other"}
        )
        bad = joined.filter(pl.col(column) != pl.col("_other"))
        return bad.height, _examples(bad)

    check.__doc__ = doc
    return check


def _type_class(frames: Frames) -> Failure:
    """documents.class_code is the ASS_X16 class of its type_code (reference table document_types)."""
    classes = reference.load("document_types").select("type_code", pl.col("class_code").alias("_x16"))
    documents = frames["documents"].select("document_id", "type_code", "class_code")
    bad = documents.join(classes, on="type_code", how="left").filter(
        pl.col("_x16").is_null() | (pl.col("class_code") != pl.col("_x16"))
    )
    return bad.height, _examples(bad.select("document_id", "type_code", "class_code", "_x16"))


def _versions(frames: Frames) -> Failure:
    """A new version replaces a deprecated document of the same patient and type, deprecated when it arrived."""
    docs = frames["documents"].select(
        "document_id",
        "patient_id",
        "type_code",
        "status",
        "status_at",
        "submitted_at",
        "replaces_document_id",
    )  # what it reads, not the frame's other columns
    old = docs.select(
        "document_id",
        pl.col("patient_id").alias("_p"),
        pl.col("type_code").alias("_t"),
        pl.col("status").alias("_s"),
        pl.col("status_at").alias("_at"),
    )
    new = docs.filter(pl.col("replaces_document_id").is_not_null()).join(
        old, left_on="replaces_document_id", right_on="document_id", how="left"
    )
    bad = new.filter(
        pl.col("_p").is_null()
        | (pl.col("_p") != pl.col("patient_id"))
        | (pl.col("_t") != pl.col("type_code"))
        | (pl.col("_s") != "deprecated")
        | (pl.col("_at") != pl.col("submitted_at"))
    )
    orphans = docs.filter(pl.col("status") == "deprecated").join(
        docs.select(pl.col("replaces_document_id").alias("document_id")), on="document_id", how="anti"
    )
    return bad.height + orphans.height, _examples(
        bad.select("document_id", "replaces_document_id")
    ) + _examples(orphans.select("document_id"))


def _encounter_in_period(frames: Frames) -> Failure:
    """Care happens while the patient is alive (encounters start after birth and not after death)."""
    joined = _paired(
        frames,
        "encounters",
        "patient_id",
        "patients",
        "patient_id",
        ["encounter_id", "patient_id", "start_at"],
        {"birth_date": "birth_date", "death_date": "death_date"},
    )
    bad = joined.filter(
        (pl.col("start_at").dt.date() < pl.col("birth_date"))
        | (pl.col("death_date").is_not_null() & (pl.col("start_at").dt.date() > pl.col("death_date")))
    )
    return bad.height, _examples(bad)


def _fed_while_open(frames: Frames) -> Failure:
    """Documents are submitted only while the patient's DMP is open (from dmp_opened_at, else mes_created_at; never
    after opposition or closure)."""
    joined = _paired(
        frames,
        "documents",
        "patient_id",
        "patients",
        "patient_id",
        ["document_id", "patient_id", "submitted_at"],
        {
            "dmp_opened_at": "dmp_opened_at",
            "mes_created_at": "mes_created_at",
            "mes_closed_at": "mes_closed_at",
        },
    )
    day = pl.col("submitted_at").dt.date()
    opened = pl.coalesce(
        "dmp_opened_at", "mes_created_at"
    )  # a DMP of before Mon espace santé is open from then
    bad = joined.filter(
        opened.is_null()
        | (day < opened)
        | (pl.col("mes_closed_at").is_not_null() & (day >= pl.col("mes_closed_at")))
    )
    return bad.height, _examples(bad)


def _fed_with_qualified_identity(frames: Frames) -> Failure:
    """A professional's document is submitted only when the author's structure holds a qualified identity of the
    patient (identity_records.qualified_at on or before submitted_at; INS référentiel)."""
    docs = frames["documents"].filter(pl.col("organization_id").is_not_null())
    records = frames["identity_records"].select("patient_id", "organization_id", "qualified_at")
    joined = docs.select("document_id", "patient_id", "organization_id", "submitted_at").join(
        records, on=["patient_id", "organization_id"], how="left"
    )
    bad = joined.filter(pl.col("qualified_at").is_null() | (pl.col("qualified_at") > pl.col("submitted_at")))
    return bad.height, _examples(bad)


def _within_period(table: str, column: str) -> Callable[[Frames], Failure]:
    def check(frames: Frames) -> Failure:
        period = frames["_scenario"]
        start, end = period["start"][0], period["end"][0]
        day = pl.col(column).dt.date()
        bad = frames[table].filter((day < start) | (day > end))
        return bad.height, _examples(bad.select(column))

    check.__doc__ = f"{table}.{column} falls within the scenario's period (manifest)"
    return check


# Columns the contract and masked_ps checks read besides the access rule's own (access_rule.REQUIRED_COLUMNS).
_RULE_CHECK_COLUMNS = {
    "documents": ("submitted_at", "status", "status_at", "masked_ps"),
    "access_events": ("outcome",),
}


def _rule_frames(frames: Frames) -> dict[str, pl.DataFrame]:
    """The tables the three rule checks read, cut to the columns they read (those present: a missing one is named
    by the rule's connection or fails its check). DuckDB converts what it is given to Arrow: whole tables cost a
    sixth of these checks (documents.unique_id, the patients' names)."""
    cut = {}
    for table, needed in access_rule.REQUIRED_COLUMNS.items():
        frame = frames[table]
        wanted = (*needed, *_RULE_CHECK_COLUMNS.get(table, ()))
        cut[table] = frame.select([c for c in frame.columns if c in wanted])
    return cut


def _rule(name: str) -> Callable[[Frames], Failure]:
    def check(frames: Frames) -> Failure:
        memo = frames.get("_memo")
        memo = memo if isinstance(memo, dict) else {}
        if "access_rule" not in memo:  # one DuckDB connection on the chunk's tables for the three rule checks
            memo["access_rule"] = access_rule.connect(_rule_frames(frames))
        if name == "masked":
            bad = access_rule.masked_ps_mismatches(memo["access_rule"])
        else:  # the outcome and contract checks share one query (rule_findings), run by whichever comes first
            if "rule_findings" not in memo:
                memo["rule_findings"] = access_rule.rule_findings(memo["access_rule"])
            bad = memo["rule_findings"][0 if name == "outcomes" else 1]
        return bad.height, _examples(bad)

    check.__doc__ = {
        "outcomes": "Every consultation's outcome is the one the DMP's access rule gives (recomputed from the tables)",
        "contract": "Consultations target documents of that patient, submitted and still active at that time",
        "masked": "documents.masked_ps is the state left by the last mask / unmask event",
    }[name]
    return check


# name -> (tables the check reads, check)
CHECKS: dict[str, tuple[tuple[str, ...], Callable[[Frames], Failure]]] = {
    "organizations_id_unique": (("organizations",), _unique("organizations", "organization_id")),
    "organizations_idnat_struct_unique": (("organizations",), _unique("organizations", "idnat_struct")),
    "organizations_finess_unique": (("organizations",), _unique_when_set("organizations", "finess")),
    "organizations_siret_unique": (("organizations",), _unique_when_set("organizations", "siret")),
    "organizations_rpps_rang_holder": (("organizations", "professionals"), _rpps_rang_holder),
    "professionals_id_unique": (("professionals",), _unique("professionals", "professional_id")),
    "professionals_rpps_unique": (("professionals",), _unique("professionals", "rpps")),
    "patients_id_unique": (("patients",), _unique("patients", "patient_id")),
    "patients_matricule_unique": (("patients",), _unique("patients", "ins_matricule")),
    "gp_declarations_key_unique": (
        ("gp_declarations",),
        _unique("gp_declarations", "patient_id", "declared_from"),
    ),
    "identity_records_key_unique": (
        ("identity_records",),
        _unique("identity_records", "patient_id", "organization_id"),
    ),
    "conditions_key_unique": (("conditions",), _unique("conditions", "patient_id", "condition_code")),
    "encounters_id_unique": (("encounters",), _unique("encounters", "encounter_id")),
    "documents_id_unique": (("documents",), _unique("documents", "document_id")),
    "observations_id_unique": (("observations",), _unique("observations", "observation_id")),
    "access_events_id_unique": (("access_events",), _unique("access_events", "event_id")),
    "professional_organization_exists": (
        ("professionals", "organizations"),
        _foreign_key("professionals", "organization_id", "organizations", "organization_id"),
    ),
    "medecin_traitant_exists": (
        ("patients", "professionals"),
        _foreign_key("patients", "gp_professional_id", "professionals", "professional_id"),
    ),
    "medecin_traitant_is_physician": (("patients", "professionals"), _gp_is_physician),
    "gp_declaration_patient_exists": (
        ("gp_declarations", "patients"),
        _foreign_key("gp_declarations", "patient_id", "patients", "patient_id"),
    ),
    "gp_declaration_professional_exists": (
        ("gp_declarations", "professionals"),
        _foreign_key("gp_declarations", "professional_id", "professionals", "professional_id"),
    ),
    "gp_declaration_is_physician": (("gp_declarations", "professionals"), _declared_is_physician),
    "gp_declarations_do_not_overlap": (("gp_declarations",), _declarations_in_sequence),
    "gp_declaration_within_life": (("gp_declarations", "patients"), _declaration_within_life),
    "medecin_traitant_is_the_current_declaration": (("patients", "gp_declarations"), _current_declaration),
    "identity_record_patient_exists": (
        ("identity_records", "patients"),
        _foreign_key("identity_records", "patient_id", "patients", "patient_id"),
    ),
    "identity_record_organization_exists": (
        ("identity_records", "organizations"),
        _foreign_key("identity_records", "organization_id", "organizations", "organization_id"),
    ),
    "identity_record_within_scenario_period": (
        ("identity_records", "_scenario"),
        _within_period("identity_records", "created_at"),
    ),
    "document_fed_with_qualified_identity": (
        ("documents", "identity_records"),
        _fed_with_qualified_identity,
    ),
    "condition_patient_exists": (
        ("conditions", "patients"),
        _foreign_key("conditions", "patient_id", "patients", "patient_id"),
    ),
    "condition_onset_within_life": (
        ("conditions", "patients"),
        _within_life(
            "conditions",
            "onset_date",
            None,
            from_birth=True,
            doc="conditions.onset_date is not after the patient's death, nor before birth.",
        ),
    ),
    "condition_ald_consistent": (("conditions",), _ald_consistent),
    "document_submitted_in_life": (
        ("documents", "patients"),
        _within_life(
            "documents",
            "submitted_at",
            ["document_id", "patient_id", "submitted_at"],
            from_birth=False,
            doc="documents.submitted_at is not after the patient's death day (the DMP is not fed after its holder's "
            "death).",
        ),
    ),
    "encounter_patient_exists": (
        ("encounters", "patients"),
        _foreign_key("encounters", "patient_id", "patients", "patient_id"),
    ),
    "encounter_professional_exists": (
        ("encounters", "professionals"),
        _foreign_key("encounters", "professional_id", "professionals", "professional_id"),
    ),
    "encounter_organization_is_the_professionals": (
        ("encounters", "professionals"),
        _same(
            "encounters",
            "organization_id",
            "professionals",
            "organization_id",
            "professional_id",
            doc="encounters.organization_id is the organization of the encounter's professional",
        ),
    ),
    "encounter_follows_an_encounter_of_the_patient": (
        ("encounters",),
        _same(
            "encounters",
            "patient_id",
            "encounters",
            "patient_id",
            "follows_encounter_id",
            "encounter_id",
            doc="a dispensing follows a prescribing encounter of the same patient",
        ),
    ),
    "encounter_within_life": (("encounters", "patients"), _encounter_in_period),
    "encounter_follows_an_existing_encounter": (
        ("encounters",),
        _foreign_key("encounters", "follows_encounter_id", "encounters", "encounter_id"),
    ),
    "encounter_within_scenario_period": (
        ("encounters", "_scenario"),
        _within_period("encounters", "start_at"),
    ),
    "document_within_scenario_period": (
        ("documents", "_scenario"),
        _within_period("documents", "submitted_at"),
    ),
    "observation_within_scenario_period": (
        ("observations", "_scenario"),
        _within_period("observations", "effective_at"),
    ),
    "access_event_within_scenario_period": (
        ("access_events", "_scenario"),
        _within_period("access_events", "occurred_at"),
    ),
    "document_encounter_exists": (
        ("documents", "encounters"),
        _foreign_key("documents", "encounter_id", "encounters", "encounter_id"),
    ),
    "document_replaces_an_existing_document": (
        ("documents",),
        _foreign_key("documents", "replaces_document_id", "documents", "document_id"),
    ),
    "observation_encounter_exists": (
        ("observations", "encounters"),
        _foreign_key("observations", "encounter_id", "encounters", "encounter_id"),
    ),
    "observation_document_exists": (
        ("observations", "documents"),
        _foreign_key("observations", "document_id", "documents", "document_id"),
    ),
    "document_patient_exists": (
        ("documents", "patients"),
        _foreign_key("documents", "patient_id", "patients", "patient_id"),
    ),
    "document_author_exists": (
        ("documents", "professionals"),
        _foreign_key("documents", "author_professional_id", "professionals", "professional_id"),
    ),
    "document_organization_exists": (
        ("documents", "organizations"),
        _foreign_key("documents", "organization_id", "organizations", "organization_id"),
    ),
    "document_encounter_of_the_patient": (
        ("documents", "encounters"),
        _same(
            "documents",
            "patient_id",
            "encounters",
            "patient_id",
            "encounter_id",
            doc="documents.encounter_id points to an encounter of the same patient",
        ),
    ),
    "document_unique_id_unique": (("documents",), _unique("documents", "unique_id")),
    "document_class_per_ass_x16": (("documents",), _type_class),
    "document_versions_consistent": (("documents",), _versions),
    "document_fed_while_dmp_open": (("documents", "patients"), _fed_while_open),
    "observation_encounter_of_the_patient": (
        ("observations", "encounters"),
        _same(
            "observations",
            "patient_id",
            "encounters",
            "patient_id",
            "encounter_id",
            doc="observations.encounter_id points to an encounter of the same patient",
        ),
    ),
    "observation_document_of_the_encounter": (
        ("observations", "documents"),
        _same(
            "observations",
            "encounter_id",
            "documents",
            "encounter_id",
            "document_id",
            doc="an observation's lab report document belongs to the same encounter",
        ),
    ),
    "access_event_patient_exists": (
        ("access_events", "patients"),
        _foreign_key("access_events", "patient_id", "patients", "patient_id"),
    ),
    "access_event_actor_exists": (
        ("access_events", "professionals"),
        _foreign_key("access_events", "actor_professional_id", "professionals", "professional_id"),
    ),
    "access_event_target_exists": (
        ("access_events", "professionals"),
        _foreign_key("access_events", "target_professional_id", "professionals", "professional_id"),
    ),
    "access_event_document_exists": (
        ("access_events", "documents"),
        _foreign_key("access_events", "document_id", "documents", "document_id"),
    ),
    "consultations_target_available_documents": (
        ("access_events", "documents", "patients", "gp_declarations", "professionals"),
        _rule("contract"),
    ),
    "consult_outcomes_follow_the_rule": (
        ("access_events", "documents", "patients", "gp_declarations", "professionals"),
        _rule("outcomes"),
    ),
    "masked_ps_matches_mask_events": (
        ("access_events", "documents", "patients", "gp_declarations", "professionals"),
        _rule("masked"),
    ),
}
