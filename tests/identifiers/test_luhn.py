"""Luhn, RPPS, IdNat_PS, FINESS: stdnum.luhn as independent oracle."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import luhn as stdnum_luhn

from dmpdata.identifiers import (
    idnat_ps,
    is_valid_finess,
    is_valid_rpps,
    luhn_check_digit,
    luhn_is_valid,
    make_finess,
    make_rpps,
)

# stdnum has no FINESS module (stdnum.fr: nir, siren, siret, nif, tva, rcs, accise): Luhn is the oracle.


def _apply(expr_fn, values: list[str | None]) -> list[bool]:
    return (
        pl.DataFrame({"x": values}, schema={"x": pl.String})
        .select(expr_fn(pl.col("x")))
        .to_series()
        .to_list()
    )


def _stdnum_finess(value: str) -> bool:
    return len(value) == 9 and stdnum_luhn.is_valid(
        value.replace("2A", "21", 1).replace("2B", "22", 1) if value[:2] in ("2A", "2B") else value
    )


# ---------------------------------------------------------------- Luhn core


@pytest.mark.parametrize(("body", "digit"), [(7992739871, 3), (0, 0), (1, 8), (75071218, 4), (75030055, 0)])
def test_luhn_check_digit_known(body: int, digit: int) -> None:
    assert luhn_check_digit(np.array([body])).tolist() == [digit]
    assert stdnum_luhn.calc_check_digit(str(body)) == str(digit)


@settings(max_examples=300)
@given(st.lists(st.integers(0, 10**17), min_size=1, max_size=50))
def test_luhn_check_digit_agrees_with_stdnum(bodies: list[int]) -> None:
    got = luhn_check_digit(np.array(bodies, dtype=np.int64)).tolist()
    assert got == [int(stdnum_luhn.calc_check_digit(str(b))) for b in bodies]


@settings(max_examples=300)
@given(st.lists(st.text(alphabet="0123456789", min_size=1, max_size=19), min_size=1, max_size=50))
def test_luhn_is_valid_agrees_with_stdnum(values: list[str]) -> None:
    assert _apply(luhn_is_valid, values) == [stdnum_luhn.is_valid(v) for v in values]


@settings(max_examples=200)
@given(st.lists(st.integers(0, 10**14 - 1), min_size=1, max_size=50), st.integers(9, 15))
def test_luhn_is_valid_on_completed_bodies(bodies: list[int], width: int) -> None:
    # Zero-padded 9..15-digit strings completed with our check digit are valid for both.
    digits = luhn_check_digit(np.array(bodies, dtype=np.int64)).tolist()
    values = [f"{b:0{width - 1}d}"[-(width - 1) :] for b in bodies]
    values = [v + str(int(stdnum_luhn.calc_check_digit(v))) for v in values]
    assert _apply(luhn_is_valid, values) == [True] * len(values)
    assert digits == [int(stdnum_luhn.calc_check_digit(str(b))) for b in bodies]


def test_luhn_is_valid_rejects_non_digits_and_is_never_null() -> None:
    assert _apply(luhn_is_valid, [None, "", "12a4", " 0", "+0", "٣", "0" * 20, "79927398713"]) == [
        False,
        False,
        False,
        False,
        False,
        False,
        False,
        True,
    ]


# ---------------------------------------------------------------- RPPS, IdNat_PS


@settings(max_examples=100)
@given(st.lists(st.integers(0, 999_999_999), min_size=1, max_size=100))
def test_make_rpps(serials: list[int]) -> None:
    rpps = make_rpps(np.array(serials, dtype=np.int64))
    values = rpps.to_list()
    assert all(len(v) == 11 and v.isdigit() and v[0] == "1" for v in values)
    assert all(stdnum_luhn.is_valid(v) for v in values)
    assert [int(v[1:10]) for v in values] == serials
    assert _apply(is_valid_rpps, values) == [True] * len(values)
    ids = idnat_ps(rpps).to_list()
    assert all(len(i) == 12 and i[0] == "8" and i[1:] == v for i, v in zip(ids, values, strict=True))


def test_idnat_ps_expr() -> None:
    out = pl.DataFrame({"rpps": ["10000000009", None]}).select(idnat_ps(pl.col("rpps")))
    assert out.to_series().to_list() == ["810000000009", None]


@pytest.mark.parametrize("serial", [-1, 1_000_000_000])
def test_make_rpps_rejects_out_of_range(serial: int) -> None:
    with pytest.raises(ValueError):
        make_rpps(np.array([serial]))


def test_is_valid_rpps_rejects() -> None:
    # ANS example IdNat_PS 801234534765 -> RPPS 01234534765 is fictitious and not Luhn-valid;
    # the other ANS example, 801234567897, does carry a Luhn-valid RPPS (01234567897).
    values = ["01234534765", "1000000000", "100000000090", None, "10000000009", "01234567897"]
    assert _apply(is_valid_rpps, values) == [False, False, False, False, True, True]


@settings(max_examples=200)
@given(st.integers(0, 999_999_999), st.integers(0, 10), st.integers(1, 9))
def test_one_digit_change_breaks_rpps(serial: int, pos: int, delta: int) -> None:
    v = make_rpps(np.array([serial])).item()
    mutated = v[:pos] + str((int(v[pos]) + delta) % 10) + v[pos + 1 :]
    assert _apply(is_valid_rpps, [mutated]) == [False]


# ---------------------------------------------------------------- FINESS


@pytest.mark.parametrize("value", ["750712184", "750300550"])
def test_known_finess(value: str) -> None:
    assert _apply(is_valid_finess, [value]) == [True]
    assert stdnum_luhn.is_valid(value)


_DEPTS = [f"{d:02d}" for d in range(1, 96) if d != 20] + ["2A", "2B"] + [f"97{d}" for d in range(1, 7)]


@settings(max_examples=200)
@given(st.lists(st.tuples(st.sampled_from(_DEPTS), st.integers(0, 99_999)), min_size=1, max_size=50))
def test_make_finess(rows: list[tuple[str, int]]) -> None:
    dept = pl.Series([d for d, _ in rows])
    values = make_finess(dept, np.array([s for _, s in rows], dtype=np.int64)).to_list()
    for v, (d, s) in zip(values, rows, strict=True):
        assert len(v) == 9 and v.startswith(d)
        assert int(v[len(d) : 8]) == s
        assert _stdnum_finess(v)
    assert _apply(is_valid_finess, values) == [True] * len(values)


@settings(max_examples=300)
@given(st.sampled_from(_DEPTS), st.integers(0, 99_999), st.integers(0, 8), st.integers(1, 9))
def test_one_digit_change_breaks_finess(dept: str, serial: int, pos: int, delta: int) -> None:
    v = make_finess(pl.Series([dept]), np.array([serial])).item()
    if not v[pos].isdigit():
        return  # the 2A/2B letters are checked by the format
    mutated = v[:pos] + str((int(v[pos]) + delta) % 10) + v[pos + 1 :]
    assert _apply(is_valid_finess, [mutated]) == [False]


def test_finess_corsica_substitution() -> None:
    v = make_finess(pl.Series(["2A", "2B"]), np.array([123456, 123456])).to_list()
    assert v[0][:2] == "2A" and v[1][:2] == "2B"
    assert stdnum_luhn.is_valid("21" + v[0][2:]) and stdnum_luhn.is_valid("22" + v[1][2:])
    assert _apply(is_valid_finess, [*v, "2C" + v[0][2:], "2a" + v[0][2:]]) == [True, True, False, False]


@pytest.mark.parametrize(
    ("dept", "serial"),
    [("20", 1), ("00", 1), ("96", 1), ("977", 1), ("971", 100_000), ("75", 1_000_000), ("75", -1)],
)
def test_make_finess_rejects(dept: str, serial: int) -> None:
    with pytest.raises(ValueError):
        make_finess(pl.Series([dept]), np.array([serial]))
