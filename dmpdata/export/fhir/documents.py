"""FHIR DocumentReference: the DMP's XDS metadata, after the PDSm profile (not claimed: no document contents)."""

from __future__ import annotations

from functools import cache

import polars as pl

from dmpdata import reference
from dmpdata.export.fhir.expr import (
    ASSURANCE_MALADIE,
    _coding,
    _concept,
    _encode,
    _instant,
    _list,
    _lit,
    _lookup,
    _meta,
    _ref,
    _when,
)
from dmpdata.export.terms import mapped, url


@cache
def _format_systems() -> pl.DataFrame:
    formats = reference.load("format_codes")
    systems = {
        "TRE_A06-FormatCodeComplementaire": url("system:TRE_A06"),
        "TRE_A11-IheFormatCode": url("system:TRE_A11"),
        "TRE_A09-DICOMuidRegistry": url("system:TRE_A09"),
        "TRE_A10-NomenclatureURN": url("system:TRE_A10"),
        "TRE_A06": url("system:TRE_A06"),
        "TRE_A11": url("system:TRE_A11"),
        "TRE_A09": url("system:TRE_A09"),
        "TRE_A10": url("system:TRE_A10"),
    }
    return formats.with_columns(
        pl.col("code_system").replace_strict(systems, return_dtype=pl.String).alias("system")
    )


def _security_label(flag: str | None, code: str, system_key: str) -> pl.Expr:
    concept = _concept(url(system_key), code if flag else pl.col(code), None)
    return _when(pl.col(flag), concept) if flag else concept


def document_resources(frame: pl.DataFrame, organizations: pl.DataFrame) -> pl.Series:
    """DocumentReference (XDS metadata, after PDSm): uniqueId, type, class, format, confidentiality and DMP
    visibility codes, author, context (encounter, facility type, practice setting), replaced version."""
    frame = frame.join(
        organizations.select("organization_id", "facility_type_code", "practice_setting"),
        on="organization_id",
        how="left",
        maintain_order="left",
    )
    professional = pl.col("author_kind") == "professional"
    author = (
        pl.when(professional)
        .then(_ref("PractitionerRole", "author_professional_id"))
        .when(pl.col("author_kind") == "patient")
        .then(_ref("Patient", "patient_id"))
        .otherwise(_ref("Organization", _lit(ASSURANCE_MALADIE)))
    )
    resource = pl.struct(
        resourceType=_lit("DocumentReference"),
        id=pl.col("document_id").cast(pl.String),
        # PDSm is not claimed: its profile needs the document contents (attachment url, size, hash), contained
        # author / authenticator / source patient, custodian and context.period that dmpdata does not make.
        meta=_meta(None),
        masterIdentifier=pl.struct(
            use=_lit("usual"),
            system=_lit(url("system:rfc3986")),
            value=pl.concat_str(_lit("urn:oid:"), pl.col("unique_id")),
        ),
        status=mapped("document_status", "status"),
        type=_document_type(),
        category=_list(
            _concept(
                url("system:TRE_A03-ClasseDocument"),
                pl.col("class_code"),
                _lookup("class_code", "document_classes", "class_code", "label"),
            )
        ),
        subject=_ref("Patient", "patient_id"),
        date=_instant("submitted_at"),
        author=_list(author),
        relatesTo=_list(
            _when(
                pl.col("replaces_document_id").is_not_null(),
                pl.struct(code=_lit("replaces"), target=_ref("DocumentReference", "replaces_document_id")),
            )
        ),
        securityLabel=_security_labels(),
        content=_content(),
        context=pl.struct(
            encounter=_list(_ref("Encounter", "encounter_id")),
            facilityType=_facility(professional),
            practiceSetting=_practice(professional),
            sourcePatientInfo=_ref("Patient", "patient_id"),
        ),
    )
    return _encode(frame, resource)


def _document_type() -> pl.Expr:
    """The document's type (JDV_J07) in its own code system: LOINC, TRE_A05 or ASTM."""
    types = reference.load("document_types")
    type_system = {"LOINC": url("system:LOINC"), "TRE_A05": url("system:TRE_A05"), "ASTM": url("system:ASTM")}
    return _concept(
        pl.col("type_code")
        .replace_strict(types["type_code"], types["type_system"])
        .replace_strict(type_system),
        pl.col("type_code"),
        _lookup("type_code", "document_types", "type_code", "label"),
    )


def _security_labels() -> pl.Expr:
    """The confidentiality code and the DMP visibility codes (masked to professionals, invisible to the patient or
    their legal representatives)."""
    return _list(
        _security_label(None, "confidentiality", "system:v3-Confidentiality"),
        _security_label("masked_ps", "MASQUE_PS", "system:TRE_A07-StatutVisibiliteDocument"),
        _security_label("invisible_patient", "INVISIBLE_PATIENT", "system:TRE_A07-StatutVisibiliteDocument"),
        _security_label(
            "invisible_legal_reps",
            "INVISIBLE_REPRESENTANTS_LEGAUX",
            "system:TRE_A07-StatutVisibiliteDocument",
        ),
    )


def _content() -> pl.Expr:
    """The attachment (content type by format level, title, creation) and its format code."""
    formats = _format_systems()
    level = _lookup("format_code", "format_codes", "format_code", "level")
    return _list(
        pl.struct(
            attachment=pl.struct(
                contentType=mapped("content_type", level),
                language=_lit("fr-FR"),
                title=_lookup("type_code", "document_types", "type_code", "label"),
                creation=_instant("created_at"),
            ),
            format=_coding(
                pl.col("format_code").replace_strict(formats["format_code"], formats["system"], default=None),
                pl.col("format_code"),
                _lookup("format_code", "format_codes", "format_code", "label"),
            ),
        )
    )


def _facility(professional: pl.Expr) -> pl.Expr:
    """The context's facility type: the author's structure's, or the patient's / Assurance Maladie's code."""
    return (
        pl.when(professional)
        .then(
            _concept(
                url("system:TRE_R02-SecteurActivite"),
                pl.col("facility_type_code"),
                _lookup("facility_type_code", "facility_types", "facility_type_code", "label"),
            )
        )
        .otherwise(
            _concept(
                mapped("document_context_facility", "author_kind", "system", partial=True),
                mapped("document_context_facility", "author_kind", partial=True),
                mapped("document_context_facility", "author_kind", "display", partial=True),
            )
        )
    )


def _practice(professional: pl.Expr) -> pl.Expr:
    """The context's practice setting: the author's structure's, or the patient's / Assurance Maladie's code."""
    settings = reference.load("practice_settings")
    setting_system = settings["code_system"].replace_strict(
        {
            "TRE_A01-CadreExercice": url("system:TRE_A01-CadreExercice"),
            "TRE_A00-ProducteurDocNonPS": url("system:TRE_A00-ProducteurDocNonPS"),
        },
        return_dtype=pl.String,
    )
    return (
        pl.when(professional)
        .then(
            _concept(
                pl.col("practice_setting").replace_strict(
                    settings["practice_setting_code"], setting_system, default=None
                ),
                pl.col("practice_setting"),
                _lookup("practice_setting", "practice_settings", "practice_setting_code", "label"),
            )
        )
        .otherwise(
            _concept(
                mapped("document_context_practice", "author_kind", "system", partial=True),
                mapped("document_context_practice", "author_kind", partial=True),
                mapped("document_context_practice", "author_kind", "display", partial=True),
            )
        )
    )
