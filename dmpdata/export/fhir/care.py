"""FHIR care records: Encounter, Condition and Observation."""

from __future__ import annotations

import polars as pl

from dmpdata.export.fhir.expr import (
    _coding,
    _concept,
    _date,
    _encode,
    _instant,
    _list,
    _lit,
    _lookup,
    _meta,
    _ref,
)
from dmpdata.export.terms import mapped, url


def encounter_resources(frame: pl.DataFrame) -> pl.Series:
    """FR Core Encounter: the encounter_id as identifier, class from the kind, the professional as primary
    performer, the structure as provider."""
    resource = pl.struct(
        resourceType=_lit("Encounter"),
        id=pl.col("encounter_id").cast(pl.String),
        meta=_meta("profile:Encounter"),
        identifier=_list(_encounter_identifier()),
        status=_lit("finished"),
        **{
            "class": _coding(
                mapped("encounter_class", "kind", "system"),
                mapped("encounter_class", "kind"),
                mapped("encounter_class", "kind", "display"),
            )
        },
        type=_list(pl.struct(text=_lookup("kind", "encounter_kinds", "kind", "label"))),
        subject=_ref("Patient", "patient_id"),
        participant=_list(
            pl.struct(
                type=_list(_concept(url("system:v3-ParticipationType"), "PPRF", "primary performer")),
                individual=_ref("Practitioner", "professional_id"),
            )
        ),
        period=pl.struct(start=_instant("start_at"), end=_instant("end_at")),
        serviceProvider=_ref("Organization", "organization_id"),
    )
    return _encode(frame, resource)


def _encounter_identifier() -> pl.Expr:
    """FR Core Encounter's business identifier (identifier 1..*, type, system and value 1..1): the encounter_id as
    a visit number (VN) in dmpdata's synthetic namespace."""
    return pl.struct(
        type=_concept(url("system:fr-core-identifier-type"), "VN", "Visit Number"),
        system=_lit(url("system:dmpdata-encounter")),
        value=pl.col("encounter_id").cast(pl.String),
    )


def condition_resources(frame: pl.DataFrame) -> pl.Series:
    """Condition (CIM-10 code of the conditions table), id <patient_id>-<condition_code>."""
    label = _lookup("condition_code", "conditions", "condition_code", "label")
    resource = pl.struct(
        resourceType=_lit("Condition"),
        id=pl.concat_str(pl.col("patient_id").cast(pl.String), _lit("-"), pl.col("condition_code")),
        meta=_meta(None),
        clinicalStatus=_concept(url("system:condition-clinical"), "active", "Active"),
        category=_list(_concept(url("system:condition-category"), "problem-list-item", "Problem List Item")),
        # The ANS's CIM-10 (TRE_R310, the French edition of the WHO classification) and the same code in HL7's ICD-10.
        code=pl.struct(
            coding=_list(
                _coding(url("system:CIM-10"), pl.col("condition_code"), label),
                _coding(url("system:ICD-10"), pl.col("condition_code"), label),
            )
        ),
        subject=_ref("Patient", "patient_id"),
        onsetDateTime=_date("onset_date"),
    )
    return _encode(frame, resource)


def observation_resources(frame: pl.DataFrame) -> pl.Series:
    """Observation (LOINC, UCUM quantity) of an encounter, derived from its lab report when it reached the DMP."""
    resource = pl.struct(
        resourceType=_lit("Observation"),
        id=pl.col("observation_id").cast(pl.String),
        meta=_meta(None),
        status=_lit("final"),
        category=_list(
            _concept(
                url("system:observation-category"),
                mapped("observation_category", "loinc_code"),
                mapped("observation_category", "loinc_code", "display"),
            )
        ),
        code=_concept(
            url("system:LOINC"),
            pl.col("loinc_code"),
            _lookup("loinc_code", "observation_types", "loinc_code", "label"),
        ),
        subject=_ref("Patient", "patient_id"),
        encounter=_ref("Encounter", "encounter_id"),
        effectiveDateTime=_instant("effective_at"),
        valueQuantity=pl.struct(
            value=pl.col("value"), unit=pl.col("unit"), system=_lit(url("system:UCUM")), code=pl.col("unit")
        ),
        derivedFrom=_list(_ref("DocumentReference", "document_id")),
    )
    return _encode(frame, resource)
