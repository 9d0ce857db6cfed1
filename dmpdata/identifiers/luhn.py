"""Luhn-keyed identifiers: RPPS, IdNat_PS and FINESS (build and validate, vectorised)."""

from __future__ import annotations

import numpy as np
import polars as pl

__all__ = [
    "idnat_ps",
    "is_valid_finess",
    "is_valid_rpps",
    "luhn_check_digit",
    "luhn_is_valid",
    "make_finess",
    "make_rpps",
]

LUHN_MAX_DIGITS = 19  # what fits in a UInt64; RPPS 11, FINESS 9, SIRET 14
RPPS_PATTERN = r"^[0-9]{11}$"
FINESS_PATTERN = r"^(?:[0-9]{2}|2[AB])[0-9]{7}$"
FINESS_DEPARTMENT_PATTERN = r"^(?:0[1-9]|1[0-9]|2[1-9]|2[AB]|[3-8][0-9]|9[0-5]|97[1-6])$"


def _doubled(d: np.ndarray | pl.Expr) -> np.ndarray | pl.Expr:
    """Luhn doubling of one digit: 2d, minus 9 when that exceeds 9."""
    return 2 * d - 9 * (d > 4)


def luhn_check_digit(body: np.ndarray) -> np.ndarray:
    """Luhn check digit (int64 array, 0..9) to append to each non-negative integer body."""
    n = np.asarray(body)
    if n.size and not np.issubdtype(n.dtype, np.integer):
        raise ValueError(f"body must hold integers, got dtype {n.dtype}")
    n = n.astype(np.int64, copy=True)
    if (n < 0).any():
        raise ValueError("body must be non-negative")
    total = np.zeros_like(n)
    double = True  # the body's last digit sits next to the check digit: it is doubled
    while n.any():
        d = n % 10
        total += _doubled(d) if double else d
        n //= 10
        double = not double
    return (10 - total % 10) % 10


def luhn_is_valid(col: pl.Expr) -> pl.Expr:
    """True where the string is 1..19 ASCII digits passing the Luhn check; never null.

    Polars-native: one cast to UInt64, then integer digit extraction (leading zeros do not
    change a Luhn sum, so the numeric value is enough).
    """
    n = pl.when(col.str.contains(rf"^[0-9]{{1,{LUHN_MAX_DIGITS}}}$")).then(col.cast(pl.UInt64, strict=False))
    total = pl.lit(0, dtype=pl.Int64)
    for i in range(LUHN_MAX_DIGITS):
        d = ((n // pl.lit(10**i, dtype=pl.UInt64)) % pl.lit(10, dtype=pl.UInt64)).cast(pl.Int64)
        total = total + (_doubled(d).cast(pl.Int64) if i % 2 else d)
    return (total % 10 == 0).fill_null(False).alias("luhn_is_valid")


def make_rpps(serial: np.ndarray) -> pl.Series:
    """11-digit RPPS: '1' + 9-digit zero-padded serial (0..999_999_999) + Luhn digit."""
    s = np.asarray(serial)
    if s.size and not np.issubdtype(s.dtype, np.integer):
        raise ValueError(f"serial must hold integers, got dtype {s.dtype}")
    s = s.astype(np.int64, copy=False)
    if ((s < 0) | (s > 999_999_999)).any():
        raise ValueError("RPPS serial must be in 0..999_999_999")
    body = 10**9 + s
    # Leading '1': the 11-digit number never needs zero-padding.
    return pl.Series("rpps", body * 10 + luhn_check_digit(body)).cast(pl.String)


def idnat_ps(rpps: pl.Series | pl.Expr) -> pl.Series | pl.Expr:
    """IdNat_PS of a professional known by RPPS: '8' + RPPS (12 chars)."""
    if isinstance(rpps, pl.Series):
        return ("8" + rpps.cast(pl.String)).alias("idnat_ps")
    return pl.concat_str([pl.lit("8"), rpps.cast(pl.String)]).alias("idnat_ps")


def _finess_luhn_digits(col: pl.Expr) -> pl.Expr:
    # Corsica: 2A -> 21, 2B -> 22 before the Luhn check (third-party rule).
    return col.str.replace(r"^2A", "21").str.replace(r"^2B", "22")


def make_finess(department: pl.Series, serial: np.ndarray) -> pl.Series:
    """9-char FINESS: département + serial + Luhn digit.

    Layout: 2-char département (`01`..`95`, `2A`/`2B`) + 6-digit serial (0..999_999), or
    3-char overseas `971`..`976` + 5-digit serial (0..99_999); then the Luhn digit, computed
    with 2A -> 21, 2B -> 22 (third-party rule, dmp-reference §5.1).
    """
    dept = department.cast(pl.String)
    s = np.asarray(serial)
    if s.size and not np.issubdtype(s.dtype, np.integer):
        raise ValueError(f"serial must hold integers, got dtype {s.dtype}")
    s = s.astype(np.int64, copy=False)
    if len(dept) != len(s):
        raise ValueError(f"department and serial lengths differ: {len(dept)} != {len(s)}")
    ok = dept.str.contains(FINESS_DEPARTMENT_PATTERN).fill_null(False)
    if not ok.all():
        raise ValueError(
            f"department must be 01..95 (not 20), 2A, 2B or 971..976; got {dept.filter(~ok).head(5).to_list()}"
        )
    overseas = (dept.str.len_chars() == 3).to_numpy()
    limit = np.where(overseas, 99_999, 999_999)
    if ((s < 0) | (s > limit)).any():
        raise ValueError("FINESS serial must be in 0..999_999 (0..99_999 for overseas 97x)")
    dept_num = (
        dept.to_frame("d").select(_finess_luhn_digits(pl.col("d")).cast(pl.Int64)).to_series().to_numpy()
    )
    body = np.where(overseas, dept_num * 10**5, dept_num * 10**6) + s
    finess = pl.Series("finess", body * 10 + luhn_check_digit(body)).cast(pl.String).str.zfill(9)
    corsica = np.flatnonzero(dept.str.starts_with("2A").to_numpy() | dept.str.starts_with("2B").to_numpy())
    if corsica.size:
        patched = dept.gather(corsica) + finess.gather(corsica).str.slice(2)
        finess = finess.clone().scatter(corsica, patched)
    return finess


def is_valid_rpps(col: pl.Expr) -> pl.Expr:
    """True where the value is 11 digits passing Luhn; never null."""
    return (col.str.contains(RPPS_PATTERN) & luhn_is_valid(col)).fill_null(False).alias("is_valid_rpps")


def is_valid_finess(col: pl.Expr) -> pl.Expr:
    """True where the value is a 9-char FINESS (2A/2B allowed first) passing Luhn; never null.

    Corsica: 2A -> 21, 2B -> 22 before the Luhn check (third-party rule).
    """
    return (
        (col.str.contains(FINESS_PATTERN) & luhn_is_valid(_finess_luhn_digits(col)))
        .fill_null(False)
        .alias("is_valid_finess")
    )
