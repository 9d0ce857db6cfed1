"""FHIR people: Patient (FR Core Patient INS when an identity is qualified), Practitioner and PractitionerRole."""

from __future__ import annotations

import polars as pl

from dmpdata import reference
from dmpdata.errors import DatasetError
from dmpdata.export.fhir.expr import (
    _EXTENSION,
    _LEAF,
    _NULL,
    _coding,
    _concept,
    _date,
    _encode,
    _ext,
    _fr_address,
    _identifier,
    _list,
    _lit,
    _lookup,
    _meta,
    _ref,
    _when,
)
from dmpdata.export.terms import mapped, url


def _check_test_oids(frame: pl.DataFrame) -> None:
    """Refuse to export a patient whose INS OID is not a non-production OID of reference/ins_oids.csv."""
    oids = reference.load("ins_oids")
    allowed = set(oids.filter(~pl.col("production"))["oid"])
    found = set(frame["ins_oid"].unique().to_list())
    if not found <= allowed:
        raise DatasetError(
            f"refusing to export: patients.ins_oid holds {sorted(found - allowed)}, not a test INS OID"
        )


IDENTITY_STATUS = "identity_status"  # the column patient_resources reads: the best status at export (or null)


def identity_statuses(records: pl.DataFrame) -> pl.DataFrame:
    """patient_id -> the most reliable status of the patient's identity records at the period's end (the
    vocabulary's order: PROV, VALI, RECUP, QUAL), the status the Patient resource states."""
    order = list(reference.codes("identity_statuses"))
    rank = (
        pl.col("status").cast(pl.String).replace_strict(order, list(range(len(order))), return_dtype=pl.Int8)
    )
    return (
        records.group_by("patient_id")
        .agg(rank.max().alias("_rank"))
        .select(
            "patient_id",
            pl.col("_rank").replace_strict(list(range(len(order))), order).alias(IDENTITY_STATUS),
        )
    )


def with_identity_statuses(patients: pl.DataFrame, records: pl.DataFrame) -> pl.DataFrame:
    """The patients with their `identity_status` at export (null: no structure of the period holds a record)."""
    return patients.join(identity_statuses(records), on="patient_id", how="left", maintain_order="left")


def patient_resources(frame: pl.DataFrame) -> pl.Series:
    """FR Core Patient: identity reliability (the best status of the patient's identity records at export), birth
    name + birth list given name, birthplace INSEE code, residence, médecin traitant. Only a qualified identity
    carries the INS (INS-NIR-TEST identifier) and claims FR Core Patient INS: FR Core defines the INS slices in
    fr-core-patient-ins alone because the matricule may be conveyed only for a qualified identity.

    `frame`: patients with the `identity_status` column (`with_identity_statuses`)."""
    _check_test_oids(frame)
    shareable = reference.load("identity_statuses").filter(pl.col("ins_shareable"))["code"]
    qualified = pl.col(IDENTITY_STATUS).is_in(shareable.implode()).fill_null(False)
    reliability = _list(
        _ext(
            _LEAF,
            url=_lit("identityStatus"),
            valueCoding=_coding(
                mapped("identity_status", "identity_status", "system"),
                mapped("identity_status", "identity_status"),
                mapped("identity_status", "identity_status", "display"),
            ),
        )
    )
    resource = pl.struct(
        resourceType=_lit("Patient"),
        id=pl.col("patient_id").cast(pl.String),
        meta=_patient_meta(qualified),
        extension=_list(
            _when(
                pl.col(IDENTITY_STATUS).is_not_null(),
                _ext(_EXTENSION, url=_lit(url("extension:identity-reliability")), extension=reliability),
            ),
            _ext(_EXTENSION, url=_lit(url("extension:birth-place")), valueAddress=_birth_place()),
        ),
        identifier=_list(_when(qualified, _ins_identifier())),
        name=_patient_names(),
        gender=mapped("gender", "sex"),
        birthDate=_date("birth_date"),
        deceasedDateTime=_date("death_date"),
        address=_list(
            _fr_address(
                _lookup("residence_commune", "communes", "code", "name"),
                pl.col("residence_commune"),
                use=_lit("home"),
                extension=_list(
                    _ext(
                        _LEAF,
                        url=_lit(url("extension:insee-code")),
                        valueCoding=_coding(url("system:TRE_R13-CommuneOM"), pl.col("residence_commune")),
                    )
                ),
                postalCode=_NULL,  # the dataset has no postal codes
            )
        ),
        generalPractitioner=_list(_ref("Practitioner", "gp_professional_id")),
    )
    return _encode(frame, resource)


def _patient_meta(qualified: pl.Expr) -> pl.Expr:
    """meta: FR Core Patient INS for a qualified identity, FR Core Patient otherwise; the test-data label."""
    profile = (
        pl.when(qualified).then(_lit(url("profile:Patient"))).otherwise(_lit(url("profile:PatientNoINS")))
    )
    return pl.struct(profile=pl.concat_list([profile]), security=_meta(None).struct.field("security"))


def _ins_identifier() -> pl.Expr:
    """The INS identifier: the matricule under its (test) OID, official use."""
    return pl.struct(
        use=_lit("official"),
        type=_concept(url("system:fr-core-v2-0203"), _lookup("ins_oid", "ins_oids", "oid", "fhir_type_code")),
        system=pl.concat_str(_lit("urn:oid:"), pl.col("ins_oid")),
        value=pl.col("ins_matricule"),
    )


def _birth_place() -> pl.Expr:
    """The FR Core birth-place address: the INSEE code of the commune (or country, abroad), its name."""
    abroad = pl.col("birth_place_code").str.starts_with("99")
    insee = url("extension:insee-code")
    return pl.struct(
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


def _patient_names() -> pl.Expr:
    """The official name (birth name, first name, birth list of given names) and the used name when there is one."""
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
    return _list(official, usual)


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
