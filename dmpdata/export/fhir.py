"""FHIR R4 export: FR Core / PDSm / TdE-shaped resources as Bulk Data NDJSON, built with polars expressions.

Every resource is one polars struct per row, JSON-encoded by polars (`struct.json_encode`); the nulls and empty
arrays/objects of optional elements are then removed with regular expressions over the whole column (FHIR JSON
allows neither). No per-row Python. URLs, systems and code mappings come from reference/fhir_systems.csv and
reference/fhir_codes.csv (dmpdata.export.terms).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from functools import cache
from pathlib import Path

import polars as pl

from dmpdata import reference
from dmpdata.errors import DatasetError
from dmpdata.export.subset import Selection
from dmpdata.export.terms import mapped, url
from dmpdata.layout import DatasetFolder, read_part
from dmpdata.parallel import pool

__all__ = ["RESOURCE_TYPES", "strip_empty", "write_fhir"]

# Dataset times are naive French wall-clock times (data dictionary conventions); FHIR instants need an offset.
TIME_ZONE = "Europe/Paris"
ASSURANCE_MALADIE = (
    "assurance-maladie"  # Organization id of the Assurance Maladie (REMB author, DMP operator)
)
EJ_PREFIX = "ej-"  # Organization id of the FINESS juridique (legal entity) of structure n: ej-n
RESOURCE_TYPES = (
    "Patient",
    "Practitioner",
    "PractitionerRole",
    "Organization",
    "Encounter",
    "Condition",
    "DocumentReference",
    "Observation",
    "AuditEvent",
    "Consent",
)

_EMPTY = r'"[A-Za-z][A-Za-z0-9]*":(?:null|\[\]|\{\})'
_NULL = pl.lit(None)


# ----------------------------------------------------------------------------- expression helpers


def _lit(value: str | None) -> pl.Expr:
    return pl.lit(value, dtype=pl.String)


def _str(value) -> pl.Expr:
    return value.cast(pl.String) if isinstance(value, pl.Expr) else _lit(value)


def _list(*items: pl.Expr) -> pl.Expr:
    """A JSON array of the non-null items (all items must have the same struct fields, absent ones = _NULL)."""
    return pl.concat_list(list(items)).list.drop_nulls()


def _when(condition: pl.Expr, value: pl.Expr) -> pl.Expr:
    return pl.when(condition).then(value)


def _coding(system, code, display=None) -> pl.Expr:
    code = _str(code)
    return _when(code.is_not_null(), pl.struct(system=_str(system), code=code, display=_str(display)))


def _concept(system, code, display=None) -> pl.Expr:
    return pl.struct(coding=_list(_coding(system, code, display)))


def _ref(resource_type: str, key: pl.Expr | str) -> pl.Expr:
    key = pl.col(key) if isinstance(key, str) else key
    return _when(
        key.is_not_null(), pl.struct(reference=pl.concat_str(_lit(f"{resource_type}/"), key.cast(pl.String)))
    )


def _instant(column: str | pl.Expr) -> pl.Expr:
    """A naive local datetime as a FHIR instant with its offset (DST gap times are moved one hour on)."""
    col = pl.col(column) if isinstance(column, str) else column

    def zoned(expr):
        return expr.dt.replace_time_zone(TIME_ZONE, ambiguous="earliest", non_existent="null")

    return pl.coalesce(zoned(col), zoned(col + pl.duration(hours=1))).dt.strftime("%Y-%m-%dT%H:%M:%S%:z")


def _date(column: str) -> pl.Expr:
    return pl.col(column).dt.to_string("%Y-%m-%d")


def _meta(profile_key: str | None) -> pl.Expr:
    """meta: the profile, and the HL7 HTEST security label (test health data) on every resource."""
    security = _list(_coding(url("system:v3-ActReason"), "HTEST", "test health data"))
    if profile_key is None:
        return pl.struct(security=security)
    return pl.struct(profile=pl.concat_list([_lit(url(profile_key))]), security=security)


def _lookup(column: str | pl.Expr, table: str, key: str, value: str) -> pl.Expr:
    """Vectorised lookup of reference table `table` (key -> value); unknown keys give null."""
    frame = reference.load(table).unique(key, keep="first", maintain_order=True)
    col = pl.col(column) if isinstance(column, str) else column
    return col.replace_strict(frame[key], frame[value], default=None, return_dtype=pl.String)


def strip_empty(json: pl.Series) -> pl.Series:
    """Remove `"key":null`, `"key":[]` and `"key":{}` members (repeatedly: emptied objects go too).

    A key pattern cannot match inside a JSON string value, where every quote is escaped."""
    for _ in range(10):
        cleaned = (
            json.str.replace_all("," + _EMPTY, "")
            .str.replace_all(_EMPTY + ",", "")
            .str.replace_all(_EMPTY, "")
        )
        if (cleaned == json).all():
            return cleaned
        json = cleaned
    return json


def _encode(frame: pl.DataFrame, resource: pl.Expr) -> pl.Series:
    return strip_empty(frame.select(resource.struct.json_encode().alias("json"))["json"])


# Extension elements share one field set so that different extensions fit in one array.
_LEAF = ("url", "valueCoding", "valueString")
_EXTENSION = ("url", "extension", "valueAddress", "valueCoding", "valueString")


def _ext(fields: tuple[str, ...], **given: pl.Expr) -> pl.Expr:
    return pl.struct(**{name: given.get(name, _NULL) for name in fields})


def _identifier(system: str, type_code, value: pl.Expr, use: str | None = None) -> pl.Expr:
    return _when(
        value.is_not_null(),
        pl.struct(
            use=_lit(use),
            type=_concept(url("system:fr-core-v2-0203"), type_code),
            system=_lit(system),
            value=value,
        ),
    )


# ----------------------------------------------------------------------------- resources


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


def _check_test_oids(frame: pl.DataFrame) -> None:
    """Refuse to export a patient whose INS OID is not a non-production OID of reference/ins_oids.csv."""
    oids = reference.load("ins_oids")
    allowed = set(oids.filter(~pl.col("production"))["oid"])
    found = set(frame["ins_oid"].unique().to_list())
    if not found <= allowed:
        raise DatasetError(
            f"refusing to export: patients.ins_oid holds {sorted(found - allowed)}, not a test INS OID"
        )


def patient_resources(frame: pl.DataFrame) -> pl.Series:
    """FR Core Patient INS: INS-NIR-TEST identifier, identity reliability, birth name + birth list given name,
    birthplace INSEE code, residence, médecin traitant."""
    _check_test_oids(frame)
    abroad = pl.col("birth_place_code").str.starts_with("99")
    insee = url("extension:insee-code")
    birth_place = pl.struct(
        extension=_list(
            _ext(
                _LEAF,
                url=_lit(insee),
                valueCoding=_coding(
                    pl.when(abroad)
                    .then(_lit(url("system:TRE_R20-Pays")))
                    .otherwise(_lit(url("system:TRE_R13-CommuneOM"))),
                    pl.col("birth_place_code"),
                ),
            )
        ),
        city=pl.when(~abroad).then(_lookup("birth_place_code", "communes", "code", "name")),
        country=pl.when(abroad).then(_lookup("birth_place_code", "birth_countries", "country_code", "label")),
    )
    reliability = _list(
        _ext(
            _LEAF,
            url=_lit("identityStatus"),
            valueCoding=_coding(url("system:identity-status"), pl.col("identity_status")),
        )
    )
    official = pl.struct(
        use=_lit("official"),
        family=pl.col("birth_name"),
        given=pl.concat_list([pl.col("first_name")]),
        extension=_list(
            _ext(_LEAF, url=_lit(url("extension:birth-list-given-name")), valueString=pl.col("first_names"))
        ),
    )
    usual = _when(
        pl.col("used_name").is_not_null(),
        pl.struct(
            use=_lit("usual"),
            family=pl.col("used_name"),
            given=pl.concat_list([pl.col("first_name")]),
            extension=_NULL,
        ),
    )
    resource = pl.struct(
        resourceType=_lit("Patient"),
        id=pl.col("patient_id").cast(pl.String),
        meta=_meta("profile:Patient"),
        extension=_list(
            _ext(_EXTENSION, url=_lit(url("extension:identity-reliability")), extension=reliability),
            _ext(_EXTENSION, url=_lit(url("extension:birth-place")), valueAddress=birth_place),
        ),
        identifier=_list(
            pl.struct(
                use=_lit("official"),
                type=_concept(
                    url("system:fr-core-v2-0203"), _lookup("ins_oid", "ins_oids", "oid", "fhir_type_code")
                ),
                system=pl.concat_str(_lit("urn:oid:"), pl.col("ins_oid")),
                value=pl.col("ins_matricule"),
            )
        ),
        name=_list(official, usual),
        gender=mapped("gender", "sex"),
        birthDate=_date("birth_date"),
        deceasedDateTime=_date("death_date"),
        address=_list(
            pl.struct(
                use=_lit("home"),
                extension=_list(
                    _ext(
                        _LEAF,
                        url=_lit(insee),
                        valueCoding=_coding(url("system:TRE_R13-CommuneOM"), pl.col("residence_commune")),
                    )
                ),
                city=_lookup("residence_commune", "communes", "code", "name"),
                postalCode=_NULL,  # the dataset has no postal codes
                country=_lit("FRANCE"),
            )
        ),
        generalPractitioner=_list(_ref("Practitioner", "gp_professional_id")),
    )
    return _encode(frame, resource)


def _qualification(system_key: str, code: str, table: str, key: str) -> pl.Expr:
    return _when(
        pl.col(code).is_not_null(),
        pl.struct(code=_concept(url(system_key), pl.col(code), _lookup(code, table, key, "label"))),
    )


def practitioner_resources(frame: pl.DataFrame) -> pl.Series:
    """FR Core Practitioner: IdNat_PS (8 + RPPS) and RPPS identifiers, name, profession and specialty."""
    resource = pl.struct(
        resourceType=_lit("Practitioner"),
        id=pl.col("professional_id").cast(pl.String),
        meta=_meta("profile:Practitioner"),
        identifier=_list(
            _identifier(url("system:idnat-ps"), "IDNPS", pl.col("idnat_ps"), use="official"),
            _identifier(url("system:rpps"), "RPPS", pl.col("rpps")),
        ),
        active=pl.lit(True),
        name=_list(pl.struct(family=pl.col("last_name"), given=pl.concat_list([pl.col("first_name")]))),
        gender=mapped("gender", "sex"),
        qualification=_list(
            _qualification(
                "system:TRE_G15-ProfessionSante", "profession_code", "professions", "profession_code"
            ),
            _qualification(
                "system:TRE_R38-SpecialiteOrdinale", "specialty_code", "specialties", "specialty_code"
            ),
        ),
    )
    return _encode(frame, resource)


def practitioner_role_resources(frame: pl.DataFrame) -> pl.Series:
    """FR Core PractitionerRole (same id as the Practitioner): the professional in their structure."""
    resource = pl.struct(
        resourceType=_lit("PractitionerRole"),
        id=pl.col("professional_id").cast(pl.String),
        meta=_meta("profile:PractitionerRole"),
        active=pl.lit(True),
        practitioner=_ref("Practitioner", "professional_id"),
        organization=_ref("Organization", "organization_id"),
        code=_list(
            _concept(
                url("system:TRE_G15-ProfessionSante"),
                pl.col("profession_code"),
                _lookup("profession_code", "professions", "profession_code", "label"),
            )
        ),
        specialty=_list(
            _when(
                pl.col("specialty_code").is_not_null(),
                _concept(
                    url("system:TRE_R38-SpecialiteOrdinale"),
                    pl.col("specialty_code"),
                    _lookup("specialty_code", "specialties", "specialty_code", "label"),
                ),
            )
        ),
    )
    return _encode(frame, resource)


def _organization(id_expr, identifiers, types, name, part_of, address) -> pl.Expr:
    return pl.struct(
        resourceType=_lit("Organization"),
        id=id_expr,
        meta=_meta("profile:Organization"),
        identifier=identifiers,
        active=pl.lit(True),
        type=types,
        name=name,
        address=address,
        partOf=part_of,
    )


def organization_resources(frame: pl.DataFrame) -> pl.Series:
    """FR Core Organization: the FINESS géographique site (FINEG, IdNat_Struct, J02 type), part of its FINESS
    juridique legal entity (FINEJ), written as a second Organization with id ej-<organization_id>."""
    v2_3307 = url("system:fr-core-v2-3307")
    address = _list(
        pl.struct(city=pl.col("commune_name"), district=pl.col("department"), country=_lit("FRANCE"))
    )
    site = _organization(
        pl.col("organization_id").cast(pl.String),
        _list(
            _identifier(url("system:finess"), "FINEG", pl.col("finess")),
            _identifier(
                url("system:idnat-struct"),
                "IDNST",
                pl.concat_str(_lit("1"), pl.col("finess")),
                use="official",
            ),
        ),
        _list(
            _concept(v2_3307, "GEOGRAPHICAL-ENTITY", "Entité géographique"),
            _concept(
                url("system:TRE_R02-SecteurActivite"),
                pl.col("facility_type_code"),
                _lookup("facility_type_code", "facility_types", "facility_type_code", "label"),
            ),
        ),
        pl.col("name"),
        _ref("Organization", pl.concat_str(_lit(EJ_PREFIX), pl.col("organization_id").cast(pl.String))),
        address,
    )
    legal = _organization(
        pl.concat_str(_lit(EJ_PREFIX), pl.col("organization_id").cast(pl.String)),
        _list(_identifier(url("system:finess"), "FINEJ", pl.col("finess_ej"))),
        _list(_concept(v2_3307, "LEGAL-ENTITY", "Entité légale")),
        pl.col("name"),
        _NULL,
        address,
    )
    return pl.concat([_encode(frame, site), _encode(frame, legal)])


def assurance_maladie_resource() -> pl.Series:
    """The Assurance Maladie (author of REMB documents, actor of its own traces, operator of the DMP)."""
    frame = pl.DataFrame({"id": [ASSURANCE_MALADIE]})
    resource = _organization(
        pl.col("id"),
        _list(
            _identifier(
                url("system:idnat-struct"),
                "IDNST",
                _lit(url("organization:assurance-maladie:idnat-struct")),
                use="official",
            )
        ),
        _NULL,
        _lit(url("organization:assurance-maladie:name")),
        _NULL,
        _NULL,
    )
    return _encode(frame, resource)


def encounter_resources(frame: pl.DataFrame) -> pl.Series:
    """FR Core Encounter: class from the kind, the professional as primary performer, the structure as provider."""
    resource = pl.struct(
        resourceType=_lit("Encounter"),
        id=pl.col("encounter_id").cast(pl.String),
        meta=_meta("profile:Encounter"),
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


def condition_resources(frame: pl.DataFrame) -> pl.Series:
    """Condition (ICD-10 category of the conditions table), id <patient_id>-<condition_code>."""
    resource = pl.struct(
        resourceType=_lit("Condition"),
        id=pl.concat_str(pl.col("patient_id").cast(pl.String), _lit("-"), pl.col("condition_code")),
        meta=_meta(None),
        clinicalStatus=_concept(url("system:condition-clinical"), "active", "Active"),
        category=_list(_concept(url("system:condition-category"), "problem-list-item", "Problem List Item")),
        code=_concept(
            url("system:ICD-10"),
            pl.col("condition_code"),
            _lookup("condition_code", "conditions", "condition_code", "label"),
        ),
        subject=_ref("Patient", "patient_id"),
        onsetDateTime=_date("onset_date"),
    )
    return _encode(frame, resource)


def _security_label(flag: str | None, code: str, system_key: str) -> pl.Expr:
    concept = _concept(url(system_key), code if flag else pl.col(code), None)
    return _when(pl.col(flag), concept) if flag else concept


def document_resources(frame: pl.DataFrame, organizations: pl.DataFrame) -> pl.Series:
    """PDSm-shaped DocumentReference (XDS metadata): uniqueId, type, class, format, confidentiality and DMP
    visibility codes, author, context (encounter, facility type, practice setting), replaced version."""
    types = reference.load("document_types")
    type_system = {"LOINC": url("system:LOINC"), "TRE_A05": url("system:TRE_A05"), "ASTM": url("system:ASTM")}
    settings = reference.load("practice_settings")
    setting_system = settings["code_system"].replace_strict(
        {
            "TRE_A01-CadreExercice": url("system:TRE_A01-CadreExercice"),
            "TRE_A00-ProducteurDocNonPS": url("system:TRE_A00-ProducteurDocNonPS"),
        },
        return_dtype=pl.String,
    )
    frame = frame.join(
        organizations.select("organization_id", "facility_type_code", "practice_setting"),
        on="organization_id",
        how="left",
        maintain_order="left",
    )
    formats = _format_systems()
    professional = pl.col("author_kind") == "professional"
    facility = (
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
    practice = (
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
    author = (
        pl.when(professional)
        .then(_ref("PractitionerRole", "author_professional_id"))
        .when(pl.col("author_kind") == "patient")
        .then(_ref("Patient", "patient_id"))
        .otherwise(_ref("Organization", _lit(ASSURANCE_MALADIE)))
    )
    level = _lookup("format_code", "format_codes", "format_code", "level")
    resource = pl.struct(
        resourceType=_lit("DocumentReference"),
        id=pl.col("document_id").cast(pl.String),
        meta=_meta("profile:DocumentReference"),
        masterIdentifier=pl.struct(
            system=_lit(url("system:rfc3986")), value=pl.concat_str(_lit("urn:oid:"), pl.col("unique_id"))
        ),
        status=mapped("document_status", "status"),
        type=_concept(
            pl.col("type_code")
            .replace_strict(types["type_code"], types["type_system"])
            .replace_strict(type_system),
            pl.col("type_code"),
            _lookup("type_code", "document_types", "type_code", "label"),
        ),
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
        securityLabel=_list(
            _security_label(None, "confidentiality", "system:v3-Confidentiality"),
            _security_label("masked_ps", "MASQUE_PS", "system:TRE_A07-StatutVisibiliteDocument"),
            _security_label(
                "invisible_patient", "INVISIBLE_PATIENT", "system:TRE_A07-StatutVisibiliteDocument"
            ),
            _security_label(
                "invisible_legal_reps",
                "INVISIBLE_REPRESENTANTS_LEGAUX",
                "system:TRE_A07-StatutVisibiliteDocument",
            ),
        ),
        content=_list(
            pl.struct(
                attachment=pl.struct(
                    contentType=mapped("content_type", level),
                    language=_lit("fr-FR"),
                    title=_lookup("type_code", "document_types", "type_code", "label"),
                    creation=_instant("created_at"),
                ),
                format=_coding(
                    pl.col("format_code").replace_strict(
                        formats["format_code"], formats["system"], default=None
                    ),
                    pl.col("format_code"),
                    _lookup("format_code", "format_codes", "format_code", "label"),
                ),
            )
        ),
        context=pl.struct(
            encounter=_list(_ref("Encounter", "encounter_id")),
            facilityType=facility,
            practiceSetting=practice,
            sourcePatientInfo=_ref("Patient", "patient_id"),
        ),
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


_ENTITY = ("what", "type", "role", "detail")


def _detail(name: str) -> pl.Expr:
    return _when(pl.col(name).is_not_null(), pl.struct(type=_lit(name), valueString=pl.col(name)))


def audit_event_resources(frame: pl.DataFrame) -> pl.Series:
    """AuditEvent shaped on the ANS TdE profile: one DMP trace, its actor, the patient, the document or the
    professional acted on, the access mode as purpose of use; dmpdata's action/channel/auth mode as entity details."""
    denied = pl.col("outcome") != "granted"
    actor = (
        pl.when(pl.col("actor_kind") == "professional")
        .then(_ref("Practitioner", "actor_professional_id"))
        .when(pl.col("actor_kind") == "patient")
        .then(_ref("Patient", "patient_id"))
        .otherwise(_ref("Organization", _lit(ASSURANCE_MALADIE)))
    )
    entity_type = url("system:audit-entity-type")
    role = url("system:object-role")
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
        agent=_list(
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
        ),
        source=pl.struct(
            observer=_ref("Organization", _lit(ASSURANCE_MALADIE)),
            type=_list(_coding(url("system:security-source-type"), "4", "Application Server")),
        ),
        entity=_list(
            _ext(
                _ENTITY,
                what=_ref("Patient", "patient_id"),
                type=_coding(entity_type, "1", "Person"),
                role=_coding(role, "1", "Patient"),
                detail=_list(
                    *(_detail(c) for c in ("action", "access_mode", "channel", "auth_mode", "outcome"))
                ),
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
        ),
    )
    return _encode(frame, resource)


def _consent(id_expr, date_expr, status_expr, provision) -> pl.Expr:
    return pl.struct(
        resourceType=_lit("Consent"),
        id=id_expr,
        meta=_meta("profile:Consent"),
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
    """Consent of the patient: opposition to the DMP (Mon espace santé) and refusal of emergency access."""
    opposed = frame.filter(pl.col("mes_status") == "opposed")
    opposition = _consent(
        pl.concat_str(_lit("opposition-"), pl.col("patient_id").cast(pl.String)),
        _date("mes_opposed_at"),
        _lit("active"),
        pl.struct(type=_lit("deny")),
    )
    refused = frame.filter(pl.col("emergency_access_opt_out"))
    reason = url("system:v3-ActReason")
    emergency = _consent(
        pl.concat_str(_lit("emergency-"), pl.col("patient_id").cast(pl.String)),
        _date("emergency_opt_out_at"),
        _lit("active"),
        pl.struct(
            type=_lit("deny"),
            purpose=_list(
                _coding(reason, "ETREAT", "Emergency Treatment"), _coding(reason, "BTG", "break the glass")
            ),
        ),
    )
    return pl.concat([_encode(opposed, opposition), _encode(refused, emergency)])


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


# ----------------------------------------------------------------------------- writing


_CONSENT_EVENT_COLUMNS = [
    "event_id",
    "occurred_at",
    "patient_id",
    "document_id",
    "target_professional_id",
    "action",
]
_CONSENT_ACTIONS = list(reference.codes("access_actions", consent=True))

# The per-patient tables, in the order their resources are written, and what each part renders.
_PER_PART = {
    "patients": (("Patient", patient_resources), ("Consent", patient_consent_resources)),
    "encounters": (("Encounter", encounter_resources),),
    "conditions": (("Condition", condition_resources),),
    "documents": (("DocumentReference", document_resources),),
    "observations": (("Observation", observation_resources),),
    "access_events": (("AuditEvent", audit_event_resources),),
}


def _lines_file(lines: pl.Series, path: Path) -> None:
    with open(path, "wb") as handle:
        pl.DataFrame({"json": lines}).write_csv(handle, include_header=False, quote_style="never")


def render_part(
    table: str, part: str, selection: Selection, organizations: pl.DataFrame, work: str
) -> tuple[dict[str, str], dict[str, int], pl.DataFrame | None]:
    """Render one Parquet part of a per-patient table into NDJSON files under `work` (runs on a worker).

    Returns (resource type -> file, resource type -> lines, the part's consent-relevant events or None)."""
    frame = selection.rows(table, read_part(part))
    files, counts = {}, {}
    for resource_type, render in _PER_PART[table]:
        lines = render(frame, organizations) if table == "documents" else render(frame)
        if lines.is_empty():
            continue
        path = Path(work) / f"{resource_type}-{Path(part).parent.name}-{Path(part).stem}.ndjson"
        _lines_file(lines, path)
        files[resource_type], counts[resource_type] = str(path), lines.len()
    events = (
        frame.select(_CONSENT_EVENT_COLUMNS).filter(pl.col("action").is_in(_CONSENT_ACTIONS))
        if table == "access_events"
        else None
    )
    return files, counts, events


class _Output:
    """The final `<ResourceType>.ndjson` files, appended to in a fixed order (same bytes whatever the workers)."""

    def __init__(self, root: Path):
        self.root, self.counts, self._handles = root, {}, {}

    def _handle(self, resource_type: str):
        name = f"{resource_type}.ndjson"
        if name not in self._handles:
            self._handles[name] = open(self.root / name, "wb")  # noqa: SIM115 (closed in close())
            self.counts[name] = 0
        return name, self._handles[name]

    def write(self, resource_type: str, lines: pl.Series) -> None:
        if lines.is_empty():
            return
        name, handle = self._handle(resource_type)
        pl.DataFrame({"json": lines}).write_csv(handle, include_header=False, quote_style="never")
        self.counts[name] += lines.len()

    def append(self, resource_type: str, path: str, lines: int) -> None:
        name, handle = self._handle(resource_type)
        with open(path, "rb") as part:
            shutil.copyfileobj(part, handle, 1 << 20)
        Path(path).unlink()
        self.counts[name] += lines

    def close(self) -> None:
        for handle in self._handles.values():
            handle.close()


def write_fhir(
    ds: DatasetFolder,
    selection: Selection,
    root: Path,
    progress: Callable[[str, int, int], None] | None = None,
    workers: int | None = None,
) -> dict[str, int]:
    """Write one `<ResourceType>.ndjson` per resource type (FHIR Bulk Data layout); file -> lines.

    The per-patient tables are rendered part by part on `workers` processes (default: every core), each part
    into its own file, then appended in part order: memory stays bounded by one part per worker."""
    report = progress or (lambda stage, done, total: None)
    out = _Output(root)
    work = root / ".parts"
    work.mkdir()
    try:

        def shared(table: str) -> pl.DataFrame:
            parts = [
                selection.rows(table, read_part(p)) for p in (ds.files(table) if table in ds.tables else [])
            ]
            return pl.concat(parts) if parts else pl.DataFrame()

        professionals = shared("professionals")
        if professionals.height:
            out.write("Practitioner", practitioner_resources(professionals))
            out.write("PractitionerRole", practitioner_role_resources(professionals))
        organizations = shared("organizations")
        if organizations.height:
            out.write("Organization", organization_resources(organizations))
        out.write("Organization", assurance_maladie_resource())
        org_columns = (
            organizations.select("organization_id", "facility_type_code", "practice_setting")
            if organizations.height
            else pl.DataFrame(
                schema={
                    "organization_id": pl.Int64,
                    "facility_type_code": pl.String,
                    "practice_setting": pl.String,
                }
            )
        )
        calls = [
            (
                table,
                str(part),
                selection,
                org_columns if table == "documents" else org_columns.clear(),
                str(work),
            )
            for table in _PER_PART
            for part in (ds.files(table) if table in ds.tables else [])
        ]
        with pool("local", workers, len(calls)) as run:
            results = run(render_part, calls, lambda done, total: report("resources", done, total))
        events = []
        for files, counts, part_events in results:
            for resource_type, path in files.items():
                out.append(resource_type, path, counts[resource_type])
            if part_events is not None:
                events.append(part_events)
        if events:
            out.write("Consent", event_consent_resources(pl.concat(events)))
    finally:
        out.close()
        shutil.rmtree(work, ignore_errors=True)
    return out.counts
