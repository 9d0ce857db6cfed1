"""Identifiers: NIR/NIA (matricule INS), RPPS, IdNat_PS and FINESS, built and validated vectorised."""

from dmpdata.identifiers.luhn import (
    idnat_ps,
    is_valid_finess,
    is_valid_rpps,
    luhn_check_digit,
    luhn_is_valid,
    make_finess,
    make_rpps,
)
from dmpdata.identifiers.nir import (
    PSEUDO_MONTHS,
    build_nir,
    is_valid_nir,
    nir_bucket,
    nir_buckets_indexed,
    nir_is_valid,
    nir_key,
    nir_matches_person,
    nirs_indexed,
    order_numbers,
    order_numbers_indexed,
    unique_nirs,
    unique_nirs_indexed,
)

__all__ = [
    "PSEUDO_MONTHS",
    "build_nir",
    "idnat_ps",
    "is_valid_finess",
    "is_valid_nir",
    "is_valid_rpps",
    "luhn_check_digit",
    "luhn_is_valid",
    "make_finess",
    "make_rpps",
    "nir_bucket",
    "nir_buckets_indexed",
    "nir_is_valid",
    "nir_key",
    "nir_matches_person",
    "nirs_indexed",
    "order_numbers",
    "order_numbers_indexed",
    "unique_nirs",
    "unique_nirs_indexed",
]
