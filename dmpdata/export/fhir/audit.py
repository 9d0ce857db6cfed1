"""FHIR AuditEvent on the ANS TdE profile (2.0.0): one per DMP trace."""

from __future__ import annotations

import polars as pl

from dmpdata.export.fhir.expr import (
    ASSURANCE_MALADIE,
    _coding,
    _concept,
    _encode,
    _ext,
    _instant,
    _list,
    _lit,
    _meta,
    _ref,
    _when,
)
from dmpdata.export.terms import mapped, url

_ENTITY = ("what", "type", "role", "detail")


def _detail(name: str) -> pl.Expr:
    return _when(pl.col(name).is_not_null(), pl.struct(type=_lit(name), valueString=pl.col(name)))


def audit_event_resources(frame: pl.DataFrame) -> pl.Series:
    """AuditEvent shaped on the ANS TdE profile: one DMP trace, its actor, the patient, the document or the
    professional acted on, the access mode as purpose of use; dmpdata's action/channel/auth mode as entity details."""
    denied = pl.col("outcome") != "granted"
    resource = pl.struct(
        resourceType=_lit("AuditEvent"),
        id=pl.col("event_id").cast(pl.String),
        meta=_meta("profile:AuditEvent"),
        type=_coding(url("system:DCM"), "110110", "Patient Record"),
        subtype=_list(
            _coding(
                mapped("audit_subtype", "action", "system"),
                mapped("audit_subtype", "action"),
                mapped("audit_subtype", "action", "display"),
            )
        ),
        action=mapped("audit_action", "action"),
        period=pl.struct(start=_instant("occurred_at"), end=_instant("occurred_at")),
        recorded=_instant("occurred_at"),
        outcome=mapped("audit_outcome", pl.when(denied).then(_lit("denied")).otherwise(pl.col("outcome"))),
        outcomeDesc=pl.when(denied).then(pl.col("outcome")),
        agent=_agent(),
        source=pl.struct(
            observer=_ref("Organization", _lit(ASSURANCE_MALADIE)),
            type=_list(_coding(url("system:security-source-type"), "4", "Application Server")),
        ),
        entity=_entities(),
    )
    return _encode(frame, resource)


def _agent() -> pl.Expr:
    """The actor (professional, patient or Assurance Maladie) as requestor, the access mode as purpose of use."""
    actor = (
        pl.when(pl.col("actor_kind") == "professional")
        .then(_ref("Practitioner", "actor_professional_id"))
        .when(pl.col("actor_kind") == "patient")
        .then(_ref("Patient", "patient_id"))
        .otherwise(_ref("Organization", _lit(ASSURANCE_MALADIE)))
    )
    return _list(
        pl.struct(
            who=actor,
            requestor=pl.lit(True),
            purposeOfUse=_list(
                _when(
                    pl.col("access_mode").is_not_null(),
                    _concept(
                        mapped("purpose_of_use", "access_mode", "system"),
                        mapped("purpose_of_use", "access_mode"),
                        mapped("purpose_of_use", "access_mode", "display"),
                    ),
                )
            ),
        )
    )


def _entities() -> pl.Expr:
    """The patient (with dmpdata's action, access mode, channel, auth mode and outcome as details), the document
    and the professional acted on."""
    entity_type = url("system:audit-entity-type")
    role = url("system:object-role")
    return _list(
        _ext(
            _ENTITY,
            what=_ref("Patient", "patient_id"),
            type=_coding(entity_type, "1", "Person"),
            role=_coding(role, "1", "Patient"),
            detail=_list(*(_detail(c) for c in ("action", "access_mode", "channel", "auth_mode", "outcome"))),
        ),
        _when(
            pl.col("document_id").is_not_null(),
            _ext(
                _ENTITY,
                what=_ref("DocumentReference", "document_id"),
                type=_coding(entity_type, "2", "System Object"),
                role=_coding(role, "3", "Report"),
            ),
        ),
        _when(
            pl.col("target_professional_id").is_not_null(),
            _ext(
                _ENTITY,
                what=_ref("Practitioner", "target_professional_id"),
                type=_coding(entity_type, "1", "Person"),
                role=_coding(role, "6", "User"),
            ),
        ),
    )
