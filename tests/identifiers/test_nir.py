"""NIR: known vectors, stdnum as oracle, coherence with the person, uniqueness."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum.fr import nir as stdnum_nir

from dmpdata.identifiers import (
    PSEUDO_MONTHS,
    build_nir,
    is_valid_nir,
    nir_bucket,
    nir_is_valid,
    nir_key,
    nir_matches_person,
    order_number_offsets,
    order_numbers,
    safe_order_numbers,
    unique_nirs,
    unique_nirs_indexed,
)

# ---------------------------------------------------------------- strategies

_metro_dept = st.sampled_from([f"{d:02d}" for d in range(1, 96) if d != 20])
_commune = st.integers(1, 999).map(lambda c: f"{c:03d}")
metro = st.builds(lambda d, c: d + c, _metro_dept, _commune)
arrondissement = st.one_of(
    st.integers(1, 20).map(lambda a: f"751{a:02d}"),
    st.integers(1, 9).map(lambda a: f"6938{a}"),
    st.integers(1, 16).map(lambda a: f"132{a:02d}"),
)
corsica = st.builds(lambda d, c: d + c, st.sampled_from(["2A", "2B"]), _commune)
# Overseas départements and collectivities: 971-978 and 984-988 (98x: TAAF, Wallis-et-Futuna, Polynésie,
# Nouvelle-Calédonie), a 3-digit code and a 2-digit commune.
overseas = st.builds(
    lambda d, c: f"{d}{c:02d}",
    st.sampled_from(["971", "972", "973", "974", "975", "976", "977", "978", "984", "986", "987", "988"]),
    st.integers(1, 99),
)
abroad = st.integers(100, 999).map(lambda c: f"99{c}")
place_codes = st.one_of(metro, arrondissement, corsica, overseas, abroad)

person = st.fixed_dictionaries(
    {
        "sex": st.sampled_from([1, 2]),
        # Corsica before/after 1976 both get drawn often.
        "year": st.one_of(st.integers(1900, 2025), st.sampled_from([1975, 1976])),
        "month": st.integers(1, 12),
        # Now and then a pseudo-month (20-42, 50-99: civil status incomplete or provisional) in the NIR instead.
        "pseudo": st.one_of(st.none(), st.none(), st.sampled_from([int(m) for m in PSEUDO_MONTHS])),
        "place": place_codes,
        "order": st.integers(1, 999),
    }
)


def _build(people: list[dict]) -> pl.Series:
    return build_nir(
        np.array([p["sex"] for p in people]),
        np.array([p["year"] for p in people]),
        np.array([p.get("pseudo") or p["month"] for p in people]),
        pl.Series([p["place"] for p in people], dtype=pl.String),
        np.array([p["order"] for p in people]),
    )


def _valid(values: list[str]) -> list[bool]:
    return (
        pl.DataFrame({"nir": values}, schema={"nir": pl.String})
        .select(is_valid_nir(pl.col("nir")))
        .to_series()
        .to_list()
    )


def _matches(nirs: list[str], people: list[dict]) -> list[bool]:
    df = pl.DataFrame(
        {
            "nir": nirs,
            "sex": ["M" if p["sex"] == 1 else "F" for p in people],
            "birth_date": [dt.date(p["year"], p["month"], 1) for p in people],
            "place": [p["place"] for p in people],
        }
    )
    return (
        df.select(nir_matches_person(pl.col("nir"), pl.col("sex"), pl.col("birth_date"), pl.col("place")))
        .to_series()
        .to_list()
    )


# ---------------------------------------------------------------- known vectors


@pytest.mark.parametrize(
    ("first13", "key"),
    [
        ("2570533063999", 3),
        ("100012A004001", 11),
        ("100012B033001", 41),
        ("2790351215189", 89),  # ANS test identity 279035121518989
        ("2770763220829", 10),  # ANS example 277076322082910
    ],
)
def test_nir_key_known_vectors(first13: str, key: int) -> None:
    assert pl.select(nir_key(pl.lit(first13))).item() == key
    assert stdnum_nir.calc_check_digits(first13) == f"{key:02d}"


def test_nir_key_is_null_safe() -> None:
    out = pl.DataFrame({"x": ["12345", None, "12A4567890123", "+123456789012"]}).select(nir_key(pl.col("x")))
    assert out.to_series().to_list() == [None, None, None, None]


@pytest.mark.parametrize(
    "value", ["279035121518989", "277076322082910", "257053306399903", "100012A00400111", "100012B03300141"]
)
def test_known_valid(value: str) -> None:
    assert nir_is_valid(value)
    assert stdnum_nir.is_valid(value)


@pytest.mark.parametrize(
    "value",
    [
        # ANS CDA examples that do not satisfy the key (dmp-reference §1.1): never whitelisted.
        "223042545611404",
        "221042545611404",
        "276059205062865",
        "224027511583555",
        # malformed
        "",
        "27903512151898",
        "2790351215189890",
        "379035121518989",  # sex 3
        "279135121518989",  # month 13
        "279005121518989",  # month 00
        "100012C00400111",  # 2C
        "100012a00400111",  # lowercase
        "2790351215189 9",
        "٢79035121518989",  # non-ASCII digit
    ],
)
def test_known_invalid(value: str) -> None:
    assert not nir_is_valid(value)


def _with_key(first13: str) -> str:
    return first13 + f"{97 - int(first13.replace('2A', '19').replace('2B', '18')) % 97:02d}"


@pytest.mark.parametrize(
    "first13",
    [
        "1852099350001",  # pseudo-month 20, born in Algeria
        "2604299134012",  # pseudo-month 42, born in Portugal
        "1855099350001",  # pseudo-month 50
        "2909999350999",  # pseudo-month 99
        "1850798712001",  # born in Polynésie française (987 + commune 12)
        "2010198801004",  # born in Nouvelle-Calédonie (988 + commune 01)
        "1770398614003",  # born in Wallis-et-Futuna (986)
        "2050197501001",  # born in Saint-Pierre-et-Miquelon (975)
        "1992597611023",  # pseudo-month and born in Mayotte (976)
    ],
)
def test_existing_forms_are_valid(first13: str) -> None:
    """NIRs that exist: pseudo-months (nir_forms) and births in overseas collectivities. Rejected before #28."""
    value = _with_key(first13)
    assert stdnum_nir.is_valid(value)
    assert nir_is_valid(value)


@pytest.mark.parametrize("month", ["00", "13", "19", "43", "49"])
def test_months_outside_the_forms_are_invalid_even_with_the_right_key(month: str) -> None:
    assert not nir_is_valid(_with_key(f"185{month}99350001"))


def test_is_valid_nir_never_null() -> None:
    out = pl.DataFrame({"nir": [None, "279035121518989"]}, schema={"nir": pl.String}).select(
        is_valid_nir(pl.col("nir"))
    )
    assert out.to_series().to_list() == [False, True]
    assert out.to_series().null_count() == 0


def test_corsica_rule() -> None:
    nirs = build_nir(
        np.array([1, 1, 1, 1]),
        np.array([1960, 1975, 1976, 2001]),
        np.array([1, 12, 1, 6]),
        pl.Series(["2A004", "2B033", "2A004", "2B033"]),
        np.array([1, 1, 1, 1]),
    ).to_list()
    assert [n[5:10] for n in nirs] == ["20004", "20033", "2A004", "2B033"]
    assert all(stdnum_nir.is_valid(n) for n in nirs)
    # The pre-1976 NIR carries `20`: it matches the 2A birthplace, not a 2A-coded NIR.
    people = [
        {"sex": 1, "year": 1960, "month": 1, "place": "2A004"},
        {"sex": 1, "year": 1975, "month": 12, "place": "2B033"},
        {"sex": 1, "year": 1976, "month": 1, "place": "2A004"},
        {"sex": 1, "year": 2001, "month": 6, "place": "2B033"},
    ]
    assert _matches(nirs, people) == [True] * 4
    swapped = [nirs[0][:5] + "2A" + nirs[0][7:], nirs[1], nirs[2][:5] + "20" + nirs[2][7:], nirs[3]]
    assert _matches(swapped, people) == [False, True, False, True]


# ---------------------------------------------------------------- input checks


def _args(**over):
    args = {
        "sex": np.array([1]),
        "birth_year": np.array([1979]),
        "birth_month": np.array([3]),
        "place_code": pl.Series(["51215"]),
        "order": np.array([189]),
    }
    args.update(over)
    return args


@pytest.mark.parametrize(
    "over",
    [
        {"order": np.array([0])},
        {"order": np.array([1000])},
        {"birth_month": np.array([0])},
        {"birth_month": np.array([13])},
        {"birth_month": np.array([19])},
        {"birth_month": np.array([43])},
        {"birth_month": np.array([49])},
        {"birth_month": np.array([100])},
        {"place_code": pl.Series(["98312"])},  # no 983 code
        {"place_code": pl.Series(["98912"])},  # Clipperton: no commune, no births
        {"sex": np.array([3])},
        {"birth_year": np.array([1700])},
        {"place_code": pl.Series(["5121"])},
        {"place_code": pl.Series(["20004"])},  # Corsica must be given as 2A/2B
        {"place_code": pl.Series(["2C004"])},
        {"place_code": pl.Series(["00123"])},
        {"place_code": pl.Series(["96123"])},
        {"place_code": pl.Series([None], dtype=pl.String)},
        {"order": np.array([1, 2])},  # length mismatch
    ],
)
def test_build_nir_rejects_bad_input(over: dict) -> None:
    with pytest.raises(ValueError):
        build_nir(**_args(**over))


# ---------------------------------------------------------------- properties


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(person, min_size=1, max_size=50))
def test_built_nirs_are_valid_and_match_the_person(people: list[dict]) -> None:
    nirs = _build(people).to_list()
    assert all(len(n) == 15 for n in nirs)
    assert all(stdnum_nir.is_valid(n) for n in nirs), nirs
    assert _valid(nirs) == [True] * len(nirs)
    assert _matches(nirs, people) == [True] * len(nirs)
    for n, p in zip(nirs, people, strict=True):
        assert n[10:13] == f"{p['order']:03d}"


_FIELDS = st.sampled_from(["sex", "year", "month", "place"])


@settings(max_examples=200)
@given(person, _FIELDS, st.data())
def test_changed_trait_does_not_match(p: dict, field: str, data: st.DataObject) -> None:
    nir = _build([p]).item()
    q = dict(p)
    if field == "sex":
        q["sex"] = 3 - p["sex"]
    elif field == "year":
        # yy must change: years 100 apart legitimately share a NIR prefix.
        q["year"] = data.draw(st.integers(1900, 2025).filter(lambda y: y % 100 != p["year"] % 100))
    elif field == "month":
        q["month"] = data.draw(st.integers(1, 12).filter(lambda m: m != p["month"]))
        if p.get("pseudo"):  # a pseudo-month stands for any month of birth
            assert _matches([nir], [q]) == [True]
            return
    else:
        expected = _build([p]).item()[5:10]
        q["place"] = data.draw(
            place_codes.filter(lambda c: _build([{**p, "place": c}]).item()[5:10] != expected)
        )
    assert _matches([nir], [q]) == [False]


_CHARS = "0123456789AB"


@settings(max_examples=300)
@given(person, st.integers(0, 14), st.sampled_from(_CHARS))
def test_any_one_character_change_breaks_validity(p: dict, pos: int, ch: str) -> None:
    nir = _build([p]).item()
    if nir[pos] == ch:
        ch = _CHARS[(_CHARS.index(ch) + 1) % len(_CHARS)]
    mutated = nir[:pos] + ch + nir[pos + 1 :]
    assert not nir_is_valid(mutated)
    assert not stdnum_nir.is_valid(mutated)


# ---------------------------------------------------------------- uniqueness


def test_order_numbers_rank_within_bucket() -> None:
    ranks = order_numbers(pl.Series([7, 3, 7, 7, 3, 9]))
    assert ranks.tolist() == [1, 1, 2, 3, 2, 1]
    assert ranks.dtype == np.int64


def test_order_numbers_make_colliding_nirs_unique() -> None:
    n = 999
    sex = np.array([2] * n + [2] * n)
    year = np.array([1925] * n + [2025] * n)  # same yy
    month = np.full(2 * n, 4)
    place = pl.Series(["2A004"] * n + ["2B004"] * n)  # but 2A/2B differ from 1976 on
    bucket = nir_bucket(sex, year, month, place)
    assert bucket.n_unique() == 2
    nirs = build_nir(sex, year, month, place, order_numbers(bucket))
    assert nirs.n_unique() == 2 * n
    # Pre-1976, 2A004 and 2B004 collapse to 20004: one bucket, not two.
    place_old = pl.Series(["2A004"] * 500 + ["2B004"] * 500)
    b_old = nir_bucket(np.full(1000, 1), np.full(1000, 1950), np.full(1000, 1), place_old)
    assert b_old.n_unique() == 1
    with pytest.raises(ValueError, match="full"):
        order_numbers(b_old)
    # Post-1976 2A must not share a bucket with Corrèze (19) / Haute-Corse with Cher (18).
    b_new = nir_bucket(
        np.ones(4, dtype=np.int64),
        np.full(4, 1990),
        np.ones(4, dtype=np.int64),
        pl.Series(["2A004", "19004", "2B004", "18004"]),
    )
    assert b_new.n_unique() == 4


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 40), max_size=400), st.integers(1, 2**56))
def test_order_numbers_count_each_bucket_in_input_order(buckets, offset) -> None:
    """The rank of each row is how many rows of its bucket came before it, plus one (a dict count as the oracle),
    for buckets of one row or of long runs, small keys or keys that need densifying."""
    seen: dict[int, int] = {}
    expected = []
    for b in buckets:
        seen[b] = seen.get(b, 0) + 1
        expected.append(seen[b])
    for keys in (buckets, [b * offset for b in buckets], [b - 20 for b in buckets]):
        assert order_numbers(pl.Series(keys, dtype=pl.Int64)).tolist() == expected


def test_order_numbers_raises_above_999() -> None:
    bucket = pl.Series([42] * 1000 + [7] * 10)
    with pytest.raises(ValueError, match=r"42 \(1000 people\)"):
        order_numbers(bucket)


def test_order_numbers_rejects_nulls() -> None:
    with pytest.raises(ValueError, match="null"):
        order_numbers(pl.Series([1, None]))


# ---------------------------------------------------------------- scale


def test_one_million_nirs() -> None:
    rng = np.random.default_rng(20240501)
    n = 1_000_000
    pool = (
        [f"{d:02d}{c:03d}" for d in range(1, 96) if d != 20 for c in (1, 45, 210)]
        + [f"751{a:02d}" for a in range(1, 21)]
        + ["2A004", "2A247", "2B033", "2B096", "97105", "97209", "97411", "97611", "99134", "99350"]
    )
    place = pl.Series(pool).gather(rng.integers(0, len(pool), n))
    sex = rng.integers(1, 3, n)
    year = rng.integers(1920, 2025, n)
    month = rng.integers(1, 13, n)
    nirs = build_nir(sex, year, month, place, order_numbers(nir_bucket(sex, year, month, place)))
    assert nirs.len() == n
    assert nirs.n_unique() == n
    df = pl.DataFrame(
        {
            "nir": nirs,
            "sex": np.where(sex == 1, "M", "F"),
            "birth_date": pl.Series(year * 10000 + month * 100 + 1).cast(pl.String).str.to_date("%Y%m%d"),
            "place": place,
        }
    )
    checks = df.select(
        is_valid_nir(pl.col("nir")).all().alias("valid"),
        nir_matches_person(pl.col("nir"), pl.col("sex"), pl.col("birth_date"), pl.col("place"))
        .all()
        .alias("match"),
    )
    assert checks.row(0) == (True, True)
    sample = nirs.gather(rng.integers(0, n, 20_000)).to_list()
    assert all(stdnum_nir.is_valid(x) for x in sample)
    assert nirs.str.contains("2[AB]").any() and nirs.str.slice(5, 2).eq("20").any()


def test_unique_nirs_equals_build_with_order_numbers():
    rng = np.random.default_rng(5)
    n = 20_000
    sex = rng.integers(1, 3, n)
    year = rng.integers(1950, 1990, n)
    month = rng.integers(1, 13, n)
    place = pl.Series(rng.choice(["75115", "2A004", "2B033", "97105", "99350", "59350"], n))
    expected = build_nir(sex, year, month, place, safe_order_numbers(nir_bucket(sex, year, month, place)))
    got = unique_nirs(sex, year, month, place)
    assert got.equals(expected)
    assert got.n_unique() == n
    assert got.map_elements(stdnum_nir.is_valid, return_dtype=pl.Boolean).all()


def test_unique_nirs_indexed_equals_unique_nirs():
    rng = np.random.default_rng(6)
    n = 20_000
    places = pl.Series(["75115", "2A004", "2B033", "97105", "99350", "59350"])
    sex = rng.integers(1, 3, n)
    year = rng.integers(1950, 2000, n)
    month = rng.integers(1, 13, n)
    index = rng.integers(0, places.len(), n)
    got = unique_nirs_indexed(sex, year, month, index, places)
    assert got.equals(unique_nirs(sex, year, month, places.gather(index)))
    with pytest.raises(ValueError, match="place_index"):
        unique_nirs_indexed(sex, year, month, index + 10, places)


def test_order_numbers_over_everyone_then_nirs_chunk_by_chunk_equal_unique_nirs():
    """The engine's split: the coordinator ranks everyone, workers build their chunk's NIRs from the ranks."""
    from dmpdata.identifiers import nirs_indexed, order_numbers_indexed

    rng = np.random.default_rng(8)
    n = 30_000
    places = pl.Series(["75115", "2A004", "2B033", "97105", "99350", "59350"])
    sex, year = rng.integers(1, 3, n), rng.integers(1950, 2000, n)
    month, index = rng.integers(1, 13, n), rng.integers(0, places.len(), n)
    order = order_numbers_indexed(sex, year, month, index, places)
    assert order.dtype == np.uint16 and order.min() >= 1
    chunks = [
        nirs_indexed(
            sex[s : s + 7_000],
            year[s : s + 7_000],
            month[s : s + 7_000],
            index[s : s + 7_000],
            places,
            order[s : s + 7_000],
        )
        for s in range(0, n, 7_000)
    ]
    assert pl.concat(chunks).equals(unique_nirs_indexed(sex, year, month, index, places))
    # The buckets, computed chunk by chunk, rank to the same order numbers.
    from dmpdata.identifiers import nir_buckets_indexed

    buckets = np.concatenate(
        [
            nir_buckets_indexed(
                sex[s : s + 7_000], year[s : s + 7_000], month[s : s + 7_000], index[s : s + 7_000], places
            )
            for s in range(0, n, 7_000)
        ]
    )
    assert np.array_equal(safe_order_numbers(pl.Series(buckets)), order)
    assert np.array_equal(buckets, nir_bucket(sex, year, month, places.gather(index)).to_numpy())
    with pytest.raises(ValueError, match="order"):
        nirs_indexed(sex[:3], year[:3], month[:3], index[:3], places, np.zeros(3, dtype=np.uint16))


# ---------------------------------------------------------------- safety: order numbers above real births


def test_safe_order_numbers_sit_above_the_communes_plausible_monthly_births():
    """A person born in a commune gets an order number no real person born there that month is expected to hold
    (above population x birth rate x margin / 12), where the bucket fits under 999; else the plain rank."""
    from dmpdata.identifiers.births import real_order_ceiling

    n_small, n_paris = 3, 5
    sex = np.ones(n_small + n_paris + 1, dtype=np.int64)
    year = np.full(sex.size, 1980)
    month = np.full(sex.size, 5)
    # L'Abergement-Clémenciat (860 inhabitants), Paris 15e (some 230,000: its births overflow 999), born in Algeria.
    place = pl.Series(["01001"] * n_small + ["75115"] * n_paris + ["99352"])
    bucket = nir_bucket(sex, year, month, place)
    plain = order_numbers(bucket)
    safe = safe_order_numbers(bucket)
    ceiling = real_order_ceiling()
    small = ceiling[1001]
    assert 1 <= small < 20
    assert plain[:n_small].tolist() == [1, 2, 3]  # the old order numbers: what real people hold
    assert safe[:n_small].tolist() == [small + 1, small + 2, small + 3]
    assert ceiling[75115] + n_paris > 999
    assert safe[n_small:].tolist() == plain[n_small:].tolist()  # too many births to shift: plain ranks
    nirs = build_nir(sex, year, month, place, safe)
    assert nirs.n_unique() == sex.size and _valid(nirs.to_list()) == [True] * sex.size


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["01001", "2A004", "97105", "98712", "75115", "99350"]), st.integers(1, 3)),
        min_size=1,
        max_size=300,
    )
)
def test_safe_order_numbers_stay_unique_and_within_999(rows):
    place = pl.Series([p for p, _ in rows])
    sex = np.array([s % 2 + 1 for _, s in rows])
    year, month = np.full(len(rows), 1990), np.full(len(rows), 7)
    bucket = nir_bucket(sex, year, month, place)
    safe = safe_order_numbers(bucket)
    assert safe.min() >= 1 and safe.max() <= 999
    assert pl.DataFrame({"b": bucket, "o": safe}).is_duplicated().sum() == 0
    offsets = order_number_offsets(bucket)
    assert np.array_equal(safe - offsets, order_numbers(bucket))
    # one shift per bucket
    assert pl.DataFrame({"b": bucket, "o": offsets}).group_by("b").agg(pl.col("o").n_unique())["o"].max() == 1
