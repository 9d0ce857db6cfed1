"""FHIR Consent: the patient's opposition and emergency-access refusals, blocks of professionals, masked
documents."""

from __future__ import annotations

import polars as pl

from dmpdata import reference
from dmpdata.export.fhir.expr import _coding, _concept, _date, _encode, _instant, _list, _lit, _meta, _ref
from dmpdata.export.terms import url


def _consent(id_expr, date_expr, status_expr, provision) -> pl.Expr:
    return pl.struct(
        resourceType=_lit("Consent"),
        id=id_expr,
        meta=_meta(None),  # fr-core-consent exists only in FR Core's 2.2.0 ballot, not in a published release
        status=status_expr,
        scope=_concept(url("system:consentscope"), "patient-privacy", "Privacy Consent"),
        category=_list(_concept(url("system:LOINC"), "59284-0", "Patient Consent")),
        patient=_ref("Patient", "patient_id"),
        dateTime=date_expr,
        performer=_list(_ref("Patient", "patient_id")),
        policyRule=_concept(url("system:v3-ActCode"), "OPTOUT", "opt-out"),
        provision=provision,
    )


def patient_consent_resources(frame: pl.DataFrame) -> pl.Series:
    """Consent of the patient: opposition to the DMP (Mon espace santé) and refusal of each emergency access mode."""
    opposed = frame.filter(pl.col("mes_status") == "opposed")
    opposition = _consent(
        pl.concat_str(_lit("opposition-"), pl.col("patient_id").cast(pl.String)),
        _date("mes_opposed_at"),
        _lit("active"),
        pl.struct(type=_lit("deny")),
    )
    reason = url("system:v3-ActReason")
    emergency = []
    # One Consent per emergency mode the patient refused: each mode has its own consent in the DMP, with the purpose
    # code Mon espace santé gives it (access_modes.csv: BTG bris de glace, ETREAT centre 15).
    modes = reference.load("access_modes").filter(pl.col("opt_out_column").is_not_null())
    columns = ("code", "opt_out_column", "consent_purpose", "consent_purpose_display")
    for mode, column, purpose, display in modes.select(columns).iter_rows():
        refused = _consent(
            pl.concat_str(_lit(f"{mode.replace('_', '-')}-"), pl.col("patient_id").cast(pl.String)),
            _date(column),
            _lit("active"),
            pl.struct(type=_lit("deny"), purpose=_list(_coding(reason, purpose, display))),
        )
        emergency.append(_encode(frame.filter(pl.col(column).is_not_null()), refused))
    return pl.concat([_encode(opposed, opposition), *emergency])


def _paired(events: pl.DataFrame, start: str, stop: str, key: list[str]) -> pl.DataFrame:
    """`start` events with the time of the `stop` event that directly follows them for the same key (if any)."""
    following = events.sort([*key, "occurred_at", "event_id"]).with_columns(
        pl.col("action").shift(-1).over(key).alias("_next"),
        pl.col("occurred_at").shift(-1).over(key).alias("_next_at"),
    )
    return (
        following.filter(pl.col("action") == start)
        .with_columns(pl.when(pl.col("_next") == stop).then(pl.col("_next_at")).alias("ended_at"))
        .sort("event_id")
    )


def event_consent_resources(events: pl.DataFrame) -> pl.Series:
    """Consent from the patient's traces: each block of a professional and each masking of a document, with the
    period it lasted (inactive once unblocked / unmasked)."""
    period = pl.struct(start=_instant("occurred_at"), end=_instant("ended_at"))
    status = pl.when(pl.col("ended_at").is_null()).then(_lit("active")).otherwise(_lit("inactive"))
    blocks = _paired(
        events.filter(pl.col("action").is_in(["block_professional", "unblock_professional"])),
        "block_professional",
        "unblock_professional",
        ["patient_id", "target_professional_id"],
    )
    block = _consent(
        pl.concat_str(_lit("block-"), pl.col("event_id").cast(pl.String)),
        _instant("occurred_at"),
        status,
        pl.struct(
            type=_lit("deny"),
            period=period,
            actor=_list(
                pl.struct(
                    role=_concept(url("system:v3-ParticipationType"), "IRCP", "information recipient"),
                    reference=_ref("Practitioner", "target_professional_id"),
                )
            ),
        ),
    )
    masks = _paired(
        events.filter(pl.col("action").is_in(["mask", "unmask"])), "mask", "unmask", ["document_id"]
    )
    mask = _consent(
        pl.concat_str(_lit("mask-"), pl.col("event_id").cast(pl.String)),
        _instant("occurred_at"),
        status,
        pl.struct(
            type=_lit("deny"),
            period=period,
            data=_list(
                pl.struct(meaning=_lit("instance"), reference=_ref("DocumentReference", "document_id"))
            ),
        ),
    )
    return pl.concat([_encode(blocks, block), _encode(masks, mask)])
