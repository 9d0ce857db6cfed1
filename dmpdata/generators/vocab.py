"""Name vocabularies taken once from Faker's fr_FR provider, in INS form (upper case, no diacritics)."""

from __future__ import annotations

import unicodedata
from functools import cache

import numpy as np
import polars as pl

__all__ = ["first_names", "first_names_both", "ins_form", "last_names", "sample"]


def ins_form(word: str) -> str:
    """INS traits are written in capitals without diacritics ("Hélène" -> "HELENE")."""
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).upper()


def _unique_ins(words) -> pl.Series:
    return pl.Series(list(dict.fromkeys(ins_form(w) for w in words)), dtype=pl.String)


@cache
def last_names() -> pl.Series:
    from faker.providers.person.fr_FR import Provider

    return _unique_ins(Provider.last_names)


@cache
def first_names(sex: str) -> pl.Series:
    from faker.providers.person.fr_FR import Provider

    words = Provider.first_names_male if sex == "M" else Provider.first_names_female
    return _unique_ins(words)


@cache
def first_names_both() -> pl.Series:
    """Male first names followed by female ones (index with an offset of len(first_names("M")))."""
    return pl.concat([first_names("M"), first_names("F")], rechunk=True)


def sample(vocabulary: pl.Series, rng: np.random.Generator, n: int) -> pl.Series:
    """n words drawn uniformly (with replacement) from a vocabulary, vectorised."""
    return vocabulary.gather(rng.integers(0, vocabulary.len(), n))
