"""Structure identifiers: SIREN/SIRET, RPPS-rang and IdNat_Struct (build and validate, vectorised)."""

from __future__ import annotations

import numpy as np
import polars as pl

from dmpdata import reference
from dmpdata.identifiers.luhn import is_valid_finess, is_valid_rpps, luhn_check_digit, luhn_is_valid

__all__ = [
    "idnat_struct_prefix",
    "is_valid_idnat_struct",
    "is_valid_rpps_rang",
    "is_valid_siren",
    "is_valid_siret",
    "make_rpps_rang",
    "make_siret",
]

SIREN_PATTERN = r"^[0-9]{9}$"
SIRET_PATTERN = r"^[0-9]{14}$"
RPPS_RANG_PATTERN = r"^[0-9]{14}$"


def idnat_struct_prefix(kind: str) -> str:
    """First character of an IdNat_Struct made of a `kind` number (TRE_G07: FINESS 1, SIRET 3, RPPS_RANG 4)."""
    table = reference.load("structure_identifiers")
    return dict(zip(table["code"], table["idnat_struct_prefix"], strict=True))[kind]


def _integers(values: np.ndarray, name: str, limit: int) -> np.ndarray:
    v = np.asarray(values)
    if v.size and not np.issubdtype(v.dtype, np.integer):
        raise ValueError(f"{name} must hold integers, got dtype {v.dtype}")
    v = v.astype(np.int64, copy=False)
    if ((v < 0) | (v > limit)).any():
        raise ValueError(f"{name} must be in 0..{limit}")
    return v


def make_siret(siren_serial: np.ndarray, nic_serial: np.ndarray) -> pl.Series:
    """14-digit SIRET: SIREN (8-digit serial + its Luhn digit) + NIC (4-digit serial + the digit that makes the
    whole 14 digits pass Luhn), as INSEE builds it."""
    siren_body = _integers(siren_serial, "SIREN serial", 99_999_999)
    nic = _integers(nic_serial, "NIC serial", 9_999)
    if siren_body.shape != nic.shape:
        raise ValueError(f"siren_serial and nic_serial lengths differ: {siren_body.size} != {nic.size}")
    siren = siren_body * 10 + luhn_check_digit(siren_body)
    body = siren * 10**4 + nic
    return pl.Series("siret", body * 10 + luhn_check_digit(body)).cast(pl.String).str.zfill(14)


def make_rpps_rang(rpps: pl.Series, rang: np.ndarray) -> pl.Series:
    """14-char RPPS-rang of a practice: its holder's RPPS (11 digits) + 2-digit order number + Luhn digit."""
    r = _integers(rang, "rang", 99)
    if len(rpps) != r.size:
        raise ValueError(f"rpps and rang lengths differ: {len(rpps)} != {r.size}")
    ok = rpps.to_frame("r").select(is_valid_rpps(pl.col("r")))["is_valid_rpps"]
    if not ok.all():
        raise ValueError(f"not RPPS numbers: {rpps.filter(~ok).head(5).to_list()}")
    body = rpps.cast(pl.Int64).to_numpy() * 100 + r
    return pl.Series("rpps_rang", body * 10 + luhn_check_digit(body)).cast(pl.String)


def is_valid_siren(col: pl.Expr) -> pl.Expr:
    """True where the value is 9 digits passing Luhn; never null."""
    return (col.str.contains(SIREN_PATTERN) & luhn_is_valid(col)).fill_null(False).alias("is_valid_siren")


def is_valid_siret(col: pl.Expr) -> pl.Expr:
    """True where the value is 14 digits passing Luhn with a valid SIREN first; never null.

    The La Poste SIRETs (SIREN 356000000, digit sum a multiple of 5 instead of Luhn) are not built here and fail."""
    return (
        (col.str.contains(SIRET_PATTERN) & luhn_is_valid(col) & is_valid_siren(col.str.slice(0, 9)))
        .fill_null(False)
        .alias("is_valid_siret")
    )


def is_valid_rpps_rang(col: pl.Expr) -> pl.Expr:
    """True where the value is an RPPS (11 digits, Luhn) + 2 digits + a Luhn digit over the 14; never null."""
    return (
        (col.str.contains(RPPS_RANG_PATTERN) & luhn_is_valid(col) & is_valid_rpps(col.str.slice(0, 11)))
        .fill_null(False)
        .alias("is_valid_rpps_rang")
    )


def is_valid_idnat_struct(col: pl.Expr) -> pl.Expr:
    """True where the value is '1' + FINESS, '3' + SIRET or '4' + RPPS-rang (the forms dmpdata writes); never
    null."""
    prefix, rest = col.str.slice(0, 1), col.str.slice(1)
    return (
        pl.when(prefix == idnat_struct_prefix("FINESS"))
        .then(is_valid_finess(rest))
        .when(prefix == idnat_struct_prefix("SIRET"))
        .then(is_valid_siret(rest))
        .when(prefix == idnat_struct_prefix("RPPS_RANG"))
        .then(is_valid_rpps_rang(rest))
        .otherwise(False)
        .fill_null(False)
        .alias("is_valid_idnat_struct")
    )
