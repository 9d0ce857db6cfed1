"""FHIR Organization: FINESS sites, their legal entities, and the Assurance Maladie."""

from __future__ import annotations

import polars as pl

from dmpdata.export.fhir.expr import (
    _NULL,
    ASSURANCE_MALADIE,
    EJ_PREFIX,
    _concept,
    _encode,
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
