"""FHIR Organization: structures (FINESS sites, practices, companies), FINESS legal entities, the Assurance Maladie."""

from __future__ import annotations

import polars as pl

from dmpdata import reference
from dmpdata.export.fhir.expr import (
    _NULL,
    ASSURANCE_MALADIE,
    EJ_PREFIX,
    _concept,
    _encode,
    _fr_address,
    _identifier,
    _list,
    _lit,
    _lookup,
    _meta,
    _ref,
)
from dmpdata.export.terms import url


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


def _number_identifiers() -> list[pl.Expr]:
    """One identifier per number the structure has (FR Core slices finess, siret, rppsRang); null ones drop out."""
    kinds = reference.load("structure_identifiers")
    return [
        _identifier(url(row["fhir_system_key"]), row["fhir_type_code"], pl.col(row["organizations_column"]))
        for row in kinds.iter_rows(named=True)
    ]


def _address() -> pl.Expr:
    """The structure's FR Core Address (its commune)."""
    return _list(_fr_address(pl.col("commune_name"), pl.col("commune_code")))


def organization_resources(frame: pl.DataFrame) -> pl.Series:
    """FR Core Organization per structure: IdNat_Struct (idNatSt slice) and the number it is made of (FINEG FINESS,
    SIRET or RPPS-rang), its J02 type; a FINESS establishment is part of its FINESS juridique legal entity (FINEJ),
    written as a second Organization with id ej-<organization_id>. Liberal practices carry no FINESS and no legal
    entity (the MOS gives none to a cabinet)."""
    v2_3307 = url("system:fr-core-v2-3307")
    ej_id = pl.concat_str(_lit(EJ_PREFIX), pl.col("organization_id").cast(pl.String))
    site = _organization(
        pl.col("organization_id").cast(pl.String),
        _list(
            _identifier(url("system:idnat-struct"), "IDNST", pl.col("idnat_struct"), use="official"),
            *_number_identifiers(),
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
        _ref("Organization", pl.when(pl.col("finess_ej").is_not_null()).then(ej_id)),
        _address(),
    )
    legal = _organization(
        ej_id,
        _list(_identifier(url("system:finess"), "FINEJ", pl.col("finess_ej"))),
        _list(_concept(v2_3307, "LEGAL-ENTITY", "Entité légale")),
        pl.col("name"),
        _NULL,
        _address(),
    )
    return pl.concat([_encode(frame, site), _encode(frame.filter(pl.col("finess_ej").is_not_null()), legal)])


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
