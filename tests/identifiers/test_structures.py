"""SIRET, RPPS-rang and IdNat_Struct: stdnum.fr.siret / stdnum.luhn as independent oracles, published examples."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import luhn as stdnum_luhn
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from dmpdata.identifiers import (
    is_valid_idnat_struct,
    is_valid_rpps_rang,
    is_valid_siren,
    is_valid_siret,
    make_rpps,
    make_rpps_rang,
    make_siret,
)


def _apply(expr_fn, values: list[str | None]) -> list[bool]:
    frame = pl.DataFrame({"x": values}, schema={"x": pl.String})
    return frame.select(expr_fn(pl.col("x"))).to_series().to_list()


# INSEE's example SIRET (SIREN 732 829 320, 7th establishment) and the Annuaire Santé's SA08 cabinet example
# (ansforge/IG-fhir-annuaire pp19dr-organization-ej-cab: idNatSt 410005531586003, RPPS 10005531586, rang 00).
def test_known_siret() -> None:
    assert make_siret(np.array([73282932]), np.array([7])).to_list() == ["73282932000074"]
    assert _apply(is_valid_siret, ["73282932000074", "73282932000075", "7328293200007", None]) == [
        True,
        False,
        False,
        False,
    ]


def test_known_rpps_rang_and_idnat_struct() -> None:
    assert make_rpps_rang(pl.Series(["10005531586"]), np.array([0])).to_list() == ["10005531586003"]
    assert _apply(is_valid_rpps_rang, ["10005531586003", "10005531586004", "10005531587003"]) == [
        True,
        False,
        False,
    ]
    values = ["410005531586003", "373282932000074", "1010780195", "1010780196", "210005531586003", "4", None]
    assert _apply(is_valid_idnat_struct, values) == [True, True, True, False, False, False, False]


@settings(max_examples=200)
@given(st.lists(st.tuples(st.integers(0, 99_999_999), st.integers(0, 9_999)), min_size=1, max_size=40))
def test_make_siret_agrees_with_stdnum(rows: list[tuple[int, int]]) -> None:
    sirets = make_siret(np.array([a for a, _ in rows]), np.array([b for _, b in rows])).to_list()
    for value, (siren, nic) in zip(sirets, rows, strict=True):
        assert len(value) == 14 and value[:8] == f"{siren:08d}" and value[9:13] == f"{nic:04d}"
        assert stdnum_siret.is_valid(value) and stdnum_siren.is_valid(value[:9])
    assert _apply(is_valid_siret, sirets) == [True] * len(sirets)
    assert _apply(is_valid_siren, [v[:9] for v in sirets]) == [True] * len(sirets)


@settings(max_examples=200)
@given(st.integers(0, 99_999_999), st.integers(0, 9_999), st.integers(0, 13), st.integers(1, 9))
def test_one_digit_change_breaks_siret(siren: int, nic: int, pos: int, delta: int) -> None:
    value = make_siret(np.array([siren]), np.array([nic])).item()
    mutated = value[:pos] + str((int(value[pos]) + delta) % 10) + value[pos + 1 :]
    assert _apply(is_valid_siret, [mutated]) == [stdnum_siret.is_valid(mutated)] == [False]


@settings(max_examples=200)
@given(st.lists(st.tuples(st.integers(0, 999_999_999), st.integers(0, 99)), min_size=1, max_size=40))
def test_make_rpps_rang_extends_the_holders_rpps(rows: list[tuple[int, int]]) -> None:
    rpps = make_rpps(np.array([r for r, _ in rows], dtype=np.int64))
    rangs = make_rpps_rang(rpps, np.array([g for _, g in rows])).to_list()
    for value, holder, (_, rang) in zip(rangs, rpps.to_list(), rows, strict=True):
        assert len(value) == 14 and value[:11] == holder and value[11:13] == f"{rang:02d}"
        assert stdnum_luhn.is_valid(value)
    assert _apply(is_valid_rpps_rang, rangs) == [True] * len(rangs)
    assert _apply(is_valid_idnat_struct, ["4" + v for v in rangs]) == [True] * len(rangs)


@pytest.mark.parametrize(
    ("siren", "nic"), [(-1, 0), (100_000_000, 0), (0, 10_000), (0, -1)], ids=["neg", "big", "nic", "nic-neg"]
)
def test_make_siret_rejects(siren: int, nic: int) -> None:
    with pytest.raises(ValueError):
        make_siret(np.array([siren]), np.array([nic]))


def test_make_rpps_rang_rejects_a_non_rpps_or_rang() -> None:
    with pytest.raises(ValueError):
        make_rpps_rang(pl.Series(["10005531587"]), np.array([0]))  # bad Luhn key
    with pytest.raises(ValueError):
        make_rpps_rang(pl.Series(["10005531586"]), np.array([100]))
