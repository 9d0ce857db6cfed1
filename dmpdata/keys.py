"""Integer keys, shared by generation and validation: consecutive ids found without a join, several key columns
packed into 64-bit words so that one integer column stands for them (sorting, as-of lookups)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

__all__ = ["dense_start", "packed_words"]


def dense_start(keys: pl.Series) -> int | None:
    """The first key when `keys` are consecutive integers in row order (k, k + 1, ...), else None: then the row of
    key v is v - k, no join needed."""
    if not keys.dtype.is_integer() or keys.len() == 0 or keys.null_count():
        return None
    values = keys.to_numpy()
    first = int(values[0])
    return first if values[-1] - first == values.size - 1 and bool((np.diff(values) == 1).all()) else None


def packed_words(columns: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Integer columns (most significant first) packed into as few UInt64 words as their value ranges allow, whose
    order (word by word) is the columns' lexicographic order.

    Each column is shifted to start at 0 and takes the bits of its range (a chunk's patient ids 15, five years of
    microseconds 48); a column of one value adds nothing. Empty columns or all-constant ones give no word.
    """
    words: list[np.ndarray] = []
    word, used = None, 0
    for column in columns:
        values = np.asarray(column).astype(np.int64, copy=False)
        if values.size == 0:
            return []
        lo, hi = int(values.min()), int(values.max())
        bits = (hi - lo).bit_length()
        if bits == 0:
            continue
        offset = (values - np.int64(lo)).view(np.uint64)  # wraps modulo 2**64: exact, as hi - lo < 2**64
        if word is None or used + bits > 64:
            if word is not None:
                words.append(word)
            word, used = offset, bits
        else:
            word, used = (word << np.uint64(bits)) | offset, used + bits
    return words if word is None else [*words, word]
