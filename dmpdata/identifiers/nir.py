"""NIR / NIA (matricule INS): build from a person's traits, check key and coherence.

The forms (months 01-12 and the pseudo-months 20-42 / 50-99, overseas codes 971-978 / 984-988) come from the
reference table nir_forms. Order numbers for a population (`safe_order_numbers`, used by `unique_nirs*` and the
engine) are ranks within (sex, yy, mm, birthplace) shifted above the birth commune's plausible monthly births
where the bucket fits under 999, so that a synthetic matricule is not a real person's NIR; the rule, the share it
covers and its limits (no commune for people born abroad; the TEST OID does not travel with a CSV):
docs/guide/identities.md."""

from __future__ import annotations

import numpy as np
import polars as pl

from dmpdata import reference
from dmpdata.identifiers.births import PLACE_SLOTS, real_order_ceiling

__all__ = [
    "NIR_MONTHS",
    "PSEUDO_MONTHS",
    "build_nir",
    "is_valid_nir",
    "nir_bucket",
    "nir_buckets_indexed",
    "nir_is_valid",
    "nir_key",
    "nir_matches_person",
    "nirs_indexed",
    "order_number_offsets",
    "order_numbers",
    "order_numbers_indexed",
    "safe_order_numbers",
    "unique_nirs",
    "unique_nirs_indexed",
]

# Corsica is `2A`/`2B` in the NIR for births from 1 Jan 1976, `20` before (dmp-reference §1.1).
CORSICA_SPLIT_YEAR = 1976
MIN_BIRTH_YEAR, MAX_BIRTH_YEAR = 1850, 2199
MAX_ORDER = 999


def _forms(part: str) -> list[str]:
    """Every code of the `part` ranges of the reference table nir_forms (months 01-12, 20-42, 50-99; overseas
    codes 971-978, 984-988), zero-padded to the width of the range's codes."""
    rows = reference.load("nir_forms").filter(pl.col("part") == part)
    return [
        f"{code:0{len(lo)}d}"
        for lo, hi in rows.select("code_from", "code_to").iter_rows()
        for code in range(int(lo), int(hi) + 1)
    ]


# Months a NIR may carry: the calendar months and the pseudo-months of people registered from an incomplete or
# provisional civil status (reference nir_forms). A pseudo-month stands for any month of birth.
NIR_MONTHS = np.array([int(m) for m in _forms("month")], dtype=np.int64)
PSEUDO_MONTHS = [m for m in _forms("month") if int(m) > 12]

# Birthplace codes accepted by build_nir: metropolitan commune (départements 01-95 except 20, arrondissements
# included), Corsican commune 2A/2B, overseas département or collectivity (3-digit code of nir_forms + 2-digit
# commune: 971-978, 984-988), born abroad 99 + INSEE country code.
PLACE_CODE_PATTERN = (
    r"^(?:(?:0[1-9]|1[0-9]|2[1-9]|[3-8][0-9]|9[0-5])[0-9]{3}|2[AB][0-9]{3}"
    rf"|(?:{'|'.join(_forms('place'))})[0-9]{{2}}|99[0-9]{{3}})$"
)
# `[0-9]`, not `\d`: the polars regex engine's `\d` also matches non-ASCII digits.
NIR_PATTERN = rf"^[12][0-9]{{2}}(?:{'|'.join(_forms('month'))})(?:[0-9]{{2}}|2A|2B)[0-9]{{6}}[0-9]{{2}}$"


def _as_int64(name: str, values: np.ndarray) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name} must hold integers, got dtype {arr.dtype}")
    return arr.astype(np.int64, copy=False)


def _check_range(name: str, arr: np.ndarray, lo: int, hi: int) -> None:
    if not arr.size or (arr.min() >= lo and arr.max() <= hi):  # two reductions; the mask only on failure
        return
    bad = (arr < lo) | (arr > hi)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name} must be in {lo}..{hi}; row {i} has {arr[i]} ({int(bad.sum())} bad rows)")


def _check_months(month: np.ndarray) -> None:
    if not month.size or (month.min() >= 1 and month.max() <= 12):  # calendar months only: the common case
        return
    bad = ~np.isin(month, NIR_MONTHS)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"birth_month must be 1..12 or a pseudo-month of nir_forms ({PSEUDO_MONTHS[0]}..{PSEUDO_MONTHS[-1]}); "
            f"row {i} has {month[i]} ({int(bad.sum())} bad rows)"
        )


def _check_place_codes(place_code: pl.Series) -> None:
    ok = place_code.cast(pl.String).str.contains(PLACE_CODE_PATTERN).fill_null(False)
    if not ok.all():
        bad = place_code.filter(~ok)
        raise ValueError(
            f"place_code must be a 5-char INSEE birthplace code (01001-95999 except 20xxx, "
            f"2A/2Bxxx, 971xx-978xx, 984xx-988xx, 99xxx); {bad.len()} bad values, e.g. {bad.head(5).to_list()}"
        )


def _place_numbers(place_code: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """Numeric form of 5-char birthplace codes (2A -> 19, 2B -> 18, for the key) and the Corsica mask."""
    place = place_code.cast(pl.String)
    corsica = (place.str.starts_with("2A") | place.str.starts_with("2B")).to_numpy()
    num = (
        place.str.replace("^2A", "19")
        .str.replace("^2B", "18")
        .cast(pl.Int64)
        .to_numpy()
        .astype(np.int64, copy=True)
    )
    return num, corsica


def _apply_corsica_rule(
    num: np.ndarray, corsica: np.ndarray, birth_year: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions 6-10 as used in the key, and the masks of 2A/2B kept (from 1976) and `20` used (before)."""
    keep_letters = corsica & (birth_year >= CORSICA_SPLIT_YEAR)
    to_twenty = corsica & ~keep_letters
    num = num.copy()
    rows = np.flatnonzero(to_twenty)  # few rows: Corsican births before 1976
    num[rows] = 20_000 + num[rows] % 1000
    return num, keep_letters, to_twenty


def _encoded_place(
    place_code: pl.Series, birth_year: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Numeric positions 6-10 used in the key, and the Corsica masks (2A/2B kept, 20 used)."""
    num, corsica = _place_numbers(place_code)
    return _apply_corsica_rule(num, corsica, birth_year)


def _check_lengths(**arrays: object) -> int:
    lengths = {name: len(a) for name, a in arrays.items()}  # type: ignore[arg-type]
    if len(set(lengths.values())) > 1:
        raise ValueError(f"inputs must have the same length, got {lengths}")
    return next(iter(lengths.values()))


def build_nir(
    sex: np.ndarray,
    birth_year: np.ndarray,
    birth_month: np.ndarray,
    place_code: pl.Series,
    order: np.ndarray,
) -> pl.Series:
    """Build 15-char NIRs (13 chars + 2-digit key) from each person's traits.

    sex: 1 male / 2 female; birth_year: full year; birth_month: 1..12, or a pseudo-month of nir_forms (20-42,
    50-99) for a person registered from an incomplete or provisional civil status; place_code: the 5-char
    INSEE birthplace code (commune or arrondissement, `2A`/`2B` commune, `97xxx`, `99` + country);
    order: 1..999 (see `order_numbers` to make NIRs unique by construction).
    Corsican births before 1976 get `20` + commune in positions 6-10. Key = 97 - (N mod 97) with
    2A -> 19, 2B -> 18. Raises ValueError on any out-of-range input.
    """
    sex = _as_int64("sex", sex)
    year = _as_int64("birth_year", birth_year)
    month = _as_int64("birth_month", birth_month)
    order = _as_int64("order", order)
    _check_lengths(sex=sex, birth_year=year, birth_month=month, place_code=place_code, order=order)
    bad_sex = (sex != 1) & (sex != 2)
    if bad_sex.any():
        raise ValueError(f"sex must be 1 (male) or 2 (female); got {np.unique(sex[bad_sex])[:5]}")
    _check_range("birth_year", year, MIN_BIRTH_YEAR, MAX_BIRTH_YEAR)
    _check_months(month)
    _check_range("order", order, 1, MAX_ORDER)
    _check_place_codes(place_code)

    place_num, keep_letters, _ = _encoded_place(place_code, year)
    return _assemble(sex, year, month, place_num, keep_letters, order)


def _assemble(
    sex: np.ndarray,
    year: np.ndarray,
    month: np.ndarray,
    place_num: np.ndarray,
    keep_letters: np.ndarray,
    order: np.ndarray,
) -> pl.Series:
    n13 = sex * 10**12 + (year % 100) * 10**10 + month * 10**8 + place_num * 10**3 + order
    # sex >= 1, so the 15-digit number never needs zero-padding: one int -> string cast.
    number = n13 * 100 + (97 - n13 % 97)
    nir = pl.Series("nir", number).cast(pl.String)
    idx = np.flatnonzero(keep_letters)
    if idx.size:
        # 2A/2B kept (Corsica from 1976): their key was computed on 19/18, which the letters replace in
        # positions 6-7. A few rows (~0.4 %): their 15 digits as bytes, patched, then written over.
        digits = (number[idx, None] // 10 ** np.arange(14, -1, -1) % 10 + ord("0")).astype(np.uint8)
        digits[:, 5] = ord("2")
        digits[:, 6] = np.where(place_num[idx] // 1000 == 19, ord("A"), ord("B"))
        nir.scatter(idx, pl.Series(digits.view("S15").ravel()).cast(pl.String))
    return nir


def _checked_traits(sex, birth_year, birth_month, **other) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """sex, year and month as int64 arrays after the range checks shared by the NIR builders."""
    sex = _as_int64("sex", sex)
    year = _as_int64("birth_year", birth_year)
    month = _as_int64("birth_month", birth_month)
    _check_lengths(sex=sex, birth_year=year, birth_month=month, **other)
    if sex.size and (sex.min() < 1 or sex.max() > 2):  # in 1..2, integers are 1 or 2
        bad_sex = (sex != 1) & (sex != 2)
        raise ValueError(f"sex must be 1 (male) or 2 (female); got {np.unique(sex[bad_sex])[:5]}")
    _check_range("birth_year", year, MIN_BIRTH_YEAR, MAX_BIRTH_YEAR)
    _check_months(month)
    return sex, year, month


def unique_nirs(
    sex: np.ndarray, birth_year: np.ndarray, birth_month: np.ndarray, place_code: pl.Series
) -> pl.Series:
    """NIRs for a whole population, unique by construction: the order number of each person is
    their rank (in input order) among the people sharing sex, yy, mm and encoded birthplace, shifted above the
    birthplace's plausible monthly births where possible (`safe_order_numbers`).

    Equivalent to `build_nir(..., order=safe_order_numbers(nir_bucket(...)))`, computing the
    birthplace encoding once. Raises ValueError like those functions.
    """
    sex, year, month = _checked_traits(sex, birth_year, birth_month, place_code=place_code)
    _check_place_codes(place_code)
    place_num, keep_letters, _ = _encoded_place(place_code, year)
    order = safe_order_numbers(pl.Series("nir_bucket", _bucket(sex, year, month, place_num, keep_letters)))
    return _assemble(sex, year, month, place_num, keep_letters, order)


def unique_nirs_indexed(
    sex: np.ndarray,
    birth_year: np.ndarray,
    birth_month: np.ndarray,
    place_index: np.ndarray,
    places: pl.Series,
) -> pl.Series:
    """`unique_nirs` for birthplaces given as indices into a vocabulary of codes (`places`).

    Generators draw birthplaces from a vocabulary (communes, countries): encoding the vocabulary
    once and gathering by index avoids string work per person. Same result as
    `unique_nirs(sex, birth_year, birth_month, places.gather(place_index))`, and as
    `nirs_indexed(..., order=order_numbers_indexed(...))` (the two halves, for when the order numbers
    are computed over the whole population in one place and the NIRs built chunk by chunk elsewhere).
    """
    encoded = _indexed_places(sex, birth_year, birth_month, place_index, places)
    return _assemble(*encoded[1:], _ranks(*encoded[1:]))


def _indexed_places(sex, birth_year, birth_month, place_index, places):
    index = _as_int64("place_index", place_index)
    sex, year, month = _checked_traits(sex, birth_year, birth_month, place_index=index)
    _check_range("place_index", index, 0, places.len() - 1)
    vocab_num, vocab_corsica = _vocabulary_numbers(places)
    place_num, keep_letters, _ = _apply_corsica_rule(vocab_num[index], vocab_corsica[index], year)
    return index, sex, year, month, place_num, keep_letters


_VOCABULARY: list = []  # [(places, numbers)]: the last birthplace vocabulary checked and encoded


def _vocabulary_numbers(places: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """`_place_numbers` of a vocabulary after `_check_place_codes`, kept for the next call with the same Series
    (generators pass one vocabulary per run, chunk after chunk)."""
    if _VOCABULARY and _VOCABULARY[0][0] is places:
        return _VOCABULARY[0][1]
    _check_place_codes(places)
    numbers = _place_numbers(places)
    _VOCABULARY[:] = [(places, numbers)]
    return numbers


def order_numbers_indexed(
    sex: np.ndarray,
    birth_year: np.ndarray,
    birth_month: np.ndarray,
    place_index: np.ndarray,
    places: pl.Series,
) -> np.ndarray:
    """The order number (1..999, uint16) of each person: their rank, in input order, among the people
    sharing sex, yy, mm and encoded birthplace, shifted as `safe_order_numbers` does. Run it over the whole
    population."""
    encoded = _indexed_places(sex, birth_year, birth_month, place_index, places)
    return _ranks(*encoded[1:]).astype(np.uint16)


def nir_buckets_indexed(
    sex: np.ndarray,
    birth_year: np.ndarray,
    birth_month: np.ndarray,
    place_index: np.ndarray,
    places: pl.Series,
) -> np.ndarray:
    """`nir_bucket` (int64 array) for birthplaces given as indices into `places`. Computed chunk by chunk
    where the traits are drawn, so that ranking everyone is one `order_numbers` over the concatenated buckets:
    `order_numbers(pl.Series(buckets))` equals `order_numbers_indexed(...)` over the same people."""
    encoded = _indexed_places(sex, birth_year, birth_month, place_index, places)
    return _bucket(*encoded[1:])


def nirs_indexed(
    sex: np.ndarray,
    birth_year: np.ndarray,
    birth_month: np.ndarray,
    place_index: np.ndarray,
    places: pl.Series,
    order: np.ndarray,
) -> pl.Series:
    """The NIRs of these people given their order numbers (from `order_numbers_indexed` over everyone)."""
    encoded = _indexed_places(sex, birth_year, birth_month, place_index, places)
    order = _as_int64("order", order)
    _check_lengths(sex=encoded[1], order=order)
    _check_range("order", order, 1, MAX_ORDER)
    return _assemble(*encoded[1:], order)


def _ranks(sex, year, month, place_num, keep_letters) -> np.ndarray:
    """Order numbers of people given their encoded traits (`_indexed_places` without the index): the safe ones."""
    return safe_order_numbers(pl.Series("nir_bucket", _bucket(sex, year, month, place_num, keep_letters)))


def _bucket(
    sex: np.ndarray, year: np.ndarray, month: np.ndarray, place_num: np.ndarray, keep_letters: np.ndarray
) -> np.ndarray:
    # Post-1976 2A/2B must not collide with départements 19/18: move them out of 0..99999.
    place6 = np.where(
        keep_letters,
        np.where(place_num // 1000 == 19, 100_000, 200_000) + place_num % 1000,
        place_num,
    )
    return ((sex * 100 + year % 100) * 100 + month) * 1_000_000 + place6


def nir_bucket(
    sex: np.ndarray,
    birth_year: np.ndarray,
    birth_month: np.ndarray,
    place_code: pl.Series,
) -> pl.Series:
    """Int64 key of the NIR's first 10 characters (sex, yy, mm, encoded birthplace).

    Two people share a bucket exactly when their NIRs can only differ by the order number:
    years 100 apart share a bucket, and so do 2A/2B communes with the same number before 1976.
    Feed it to `order_numbers`.
    """
    sex = _as_int64("sex", sex)
    year = _as_int64("birth_year", birth_year)
    month = _as_int64("birth_month", birth_month)
    _check_lengths(sex=sex, birth_year=year, birth_month=month, place_code=place_code)
    _check_place_codes(place_code)
    place_num, keep_letters, _ = _encoded_place(place_code, year)
    return pl.Series("nir_bucket", _bucket(sex, year, month, place_num, keep_letters))


def order_numbers(bucket: pl.Series) -> np.ndarray:
    """1-based rank of each row within its bucket, in input order (int64 array).

    Use `nir_bucket(...)` as the bucket over the whole population (not per chunk) so that
    `build_nir(..., order=order_numbers(bucket))` gives unique NIRs by construction.
    Raises ValueError if a bucket holds more than 999 people, or if a bucket is null.
    """
    return _ranks_and_sizes(bucket)[0]


def safe_order_numbers(bucket: pl.Series) -> np.ndarray:
    """Order numbers that a real person with the same NIR prefix is not expected to hold (int64 array).

    A real person's order number is the rank of their birth record in the register of their birth commune for
    the month, 1 up to that month's births. Where the bucket's birthplace is a commune, each person's rank is
    shifted above the commune's plausible monthly births (`births.real_order_ceiling`, from its population, a
    conservative birth rate and a margin); where the shift would push the bucket past 999 (large communes,
    crowded buckets), or the birthplace is abroad, the plain rank is kept. Same uniqueness as `order_numbers`:
    a bucket's shift is one number. Limits: the estimate (births where the maternity is, communes smaller or
    larger than when people were born) and the TEST OID, which a CSV export leaves behind: see
    docs/guide/identities.md.
    """
    ranks, sizes = _ranks_and_sizes(bucket, with_sizes=True)
    return ranks + _offsets(bucket, sizes)


def order_number_offsets(bucket: pl.Series) -> np.ndarray:
    """The shift `safe_order_numbers` adds to each row's rank (0 where the plain rank is kept)."""
    return _offsets(bucket, _ranks_and_sizes(bucket, with_sizes=True)[1])


def _offsets(bucket: pl.Series, sizes: np.ndarray) -> np.ndarray:
    place = bucket.to_numpy().astype(np.int64, copy=False) % 1_000_000
    ceiling = real_order_ceiling()[np.minimum(place, PLACE_SLOTS - 1)]
    return np.where(ceiling + sizes <= MAX_ORDER, ceiling, 0)


def _ranks_and_sizes(bucket: pl.Series, *, with_sizes: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Each row's 1-based rank in its bucket and (with_sizes) its bucket's size; sizes are ones without it."""
    if bucket.null_count():
        raise ValueError(f"bucket has {bucket.null_count()} null values")
    keys = bucket.to_numpy().astype(np.int64, copy=False)
    n = keys.size
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    # Dense bucket ids, then one unstable (SIMD) sort of (id, row) packed in an int64: the same
    # order as a stable argsort of the keys, several times faster.
    row_bits = max(int(n - 1).bit_length(), 1)
    low = int(keys.min())
    if low < 0 or int(keys.max()).bit_length() + row_bits > 62:
        keys = np.unique(keys, return_inverse=True)[1].astype(np.int64)
    packed = np.sort((keys << row_bits) | np.arange(n, dtype=np.int64))
    ordered = packed >> row_bits
    row = (1 << row_bits) - 1
    # Most people are alone in their bucket (rank 1): only the repeats, the sorted positions p whose key equals
    # the one before, get a rank, p - (the first repeat of their run) + 2, scattered back to their rows. A third
    # of the time of ranking every position.
    repeat = np.flatnonzero(ordered[1:] == ordered[:-1]) + 1
    ranks = np.ones(n, dtype=np.int64)
    sizes = np.ones(n, dtype=np.int64)
    if repeat.size:
        first = np.ones(repeat.size, dtype=bool)
        first[1:] = repeat[1:] != repeat[:-1] + 1
        run_first = np.maximum.accumulate(np.where(first, repeat, 0))
        ranks[packed[repeat] & row] = repeat - run_first + 2
        if with_sizes:  # a run's size is its last rank, given to its repeats and to the row before them
            last = np.ones(repeat.size, dtype=bool)
            last[:-1] = first[1:]
            run_size = (repeat - run_first + 2)[last]
            sizes[packed[repeat] & row] = run_size[np.cumsum(first) - 1]
            sizes[packed[repeat[first] - 1] & row] = run_size
    if ranks.size and ranks.max() > MAX_ORDER:
        _raise_full(bucket)
    return ranks, sizes


def _raise_full(bucket: pl.Series) -> None:
    full = (
        pl.DataFrame({"bucket": bucket})
        .group_by("bucket")
        .len()
        .filter(pl.col("len") > MAX_ORDER)
        .sort("len", descending=True)
    )
    examples = ", ".join(f"{b} ({k} people)" for b, k in full.head(5).iter_rows())
    raise ValueError(
        f"{full.height} NIR bucket(s) are full (more than {MAX_ORDER} people share sex, "
        f"birth year-month and birthplace): {examples}"
    )


def nir_key(first13: pl.Expr) -> pl.Expr:
    """Expected key (Int64, 1..97) of the first 13 characters; 2A -> 19, 2B -> 18; null if not numeric."""
    digits = first13.str.replace(r"^(.{5})2A", "${1}19").str.replace(r"^(.{5})2B", "${1}18")
    # The cast alone would accept "+123": insist on 13 ASCII digits.
    n = pl.when(digits.str.contains(r"^[0-9]{13}$")).then(digits.cast(pl.Int64, strict=False))
    return (97 - n % 97).alias("nir_key")


def is_valid_nir(col: pl.Expr) -> pl.Expr:
    """True where the value is a well-formed NIR/NIA with the right key; never null."""
    key = col.str.slice(13, 2).cast(pl.Int64, strict=False)
    return (
        (col.str.contains(NIR_PATTERN) & (key == nir_key(col.str.slice(0, 13))))
        .fill_null(False)
        .alias("is_valid_nir")
    )


def nir_is_valid(s: str) -> bool:
    """Scalar convenience around `is_valid_nir`."""
    return bool(pl.select(is_valid_nir(pl.lit(s, dtype=pl.String))).item())


def nir_matches_person(nir: pl.Expr, sex: pl.Expr, birth_date: pl.Expr, birth_place_code: pl.Expr) -> pl.Expr:
    """True where the NIR's sex, yy, mm and birthplace agree with the person; never null.

    sex is 'M'/'F'; birth_date a Date/Datetime; birth_place_code the 5-char INSEE code. A pseudo-month (20-42,
    50-99: civil status incomplete or provisional) agrees with any month of birth.
    Corsica: a 2A/2B birthplace reads `20` + commune before 1976, the 2A/2B code from 1976.
    """
    sex_digit = (
        pl.when(sex.cast(pl.String) == "M")
        .then(pl.lit("1"))
        .when(sex.cast(pl.String) == "F")
        .then(pl.lit("2"))
    )
    year = birth_date.dt.year().cast(pl.Int64)
    place = birth_place_code.cast(pl.String)
    expected_place = (
        pl.when(place.str.contains(r"^2[AB]") & (year < CORSICA_SPLIT_YEAR))
        .then(pl.concat_str([pl.lit("20"), place.str.slice(2)]))
        .otherwise(place)
    )
    return (
        (
            (nir.str.slice(0, 1) == sex_digit)
            & (nir.str.slice(1, 2) == (year % 100).cast(pl.String).str.zfill(2))
            & (
                (nir.str.slice(3, 2) == birth_date.dt.month().cast(pl.String).str.zfill(2))
                | nir.str.slice(3, 2).is_in(PSEUDO_MONTHS)
            )
            & (nir.str.slice(5, 5) == expected_place)
            & (place.str.len_chars() == 5)
        )
        .fill_null(False)
        .alias("nir_matches_person")
    )
