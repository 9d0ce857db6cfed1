"""The FHIR export's expression helpers: codings, concepts, references, instants, extensions, JSON encoding."""

from __future__ import annotations

import polars as pl

from dmpdata import reference
from dmpdata.export.terms import url

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


def _fr_address(city: pl.Expr, commune_code: pl.Expr, **more: pl.Expr) -> pl.Expr:
    """An FR Core Address in France (FRCoreAddressProfile.fsh, FR Core 2.1.0): `district` the commune's INSEE COG
    code, `country` the ISO 3166-1 alpha-3 code FRA."""
    return pl.struct(**more, city=city, district=commune_code, country=_lit("FRA"))
