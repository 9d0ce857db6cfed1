"""Access events as a frame: their columns, and their string columns carried as one-byte codes until sorted."""

from __future__ import annotations

import numpy as np
import polars as pl

from dmpdata.generators.sampling import decoded
from dmpdata.schemas import code_dtypes

EVENT_COLUMNS = [
    "event_id",
    "occurred_at",
    "patient_id",
    "document_id",
    "actor_kind",
    "actor_professional_id",
    "target_professional_id",
    "action",
    "access_mode",
    "channel",
    "auth_mode",
    "outcome",
]
_SCHEMA = {
    "occurred_at": pl.Int64,
    "patient_id": pl.Int64,
    "document_id": pl.Int64,
    "actor_kind": pl.String,
    "actor_professional_id": pl.Int64,
    "target_professional_id": pl.Int64,
    "action": pl.String,
    "access_mode": pl.String,
    "channel": pl.String,
    "auth_mode": pl.String,
    "outcome": pl.String,
}


class Codes:
    """The string columns of a chunk's events as UInt8 codes (255: null) into vocabularies grown as values come, so
    that the events' sort moves one byte per value instead of a string; `decode` gathers the strings once sorted.

    A string column of `event_frame` is given as a string (every row), a (vocabulary, codes into it) pair, or a polars
    Series of strings."""

    NULL = 255

    def __init__(self):
        self.words: dict[str, dict[str, int]] = {
            name: {} for name, dtype in _SCHEMA.items() if dtype == pl.String
        }

    def _code(self, name: str, word: str) -> int:
        words = self.words[name]
        if word not in words:
            if len(words) == self.NULL:  # pragma: no cover - the schemas' code sets hold a few values each
                raise ValueError(f"access_events.{name}: more than {self.NULL} distinct values")
            words[word] = len(words)
        return words[word]

    def encode(self, name: str, value, n: int) -> np.ndarray:
        if value is None:
            return np.full(n, self.NULL, dtype=np.uint8)
        if isinstance(value, str):
            return np.full(n, self._code(name, value), dtype=np.uint8)
        if isinstance(value, tuple):
            vocabulary, codes = value
            lookup = np.array([self._code(name, w) for w in vocabulary], dtype=np.uint8)
            return lookup[np.asarray(codes, dtype=np.int64)]
        words = value.drop_nulls().unique().sort().to_list()
        lookup = np.array([self._code(name, w) for w in words] + [self.NULL], dtype=np.uint8)
        return lookup[value.cast(pl.Enum(words)).to_physical().fill_null(len(words)).to_numpy()]

    def decode(self, name: str) -> pl.Expr:
        words = list(self.words[name])
        return decoded(
            words + [None] * (self.NULL + 1 - len(words)), name, code_dtypes("access_events")[name]
        ).alias(name)


def event_frame(codes: Codes, **columns) -> pl.DataFrame:
    """A frame of events with every column of _SCHEMA (missing ones null), times in µs, strings as `codes`."""
    n = next(
        len(v[1]) if isinstance(v, tuple) else len(v) for v in columns.values() if not isinstance(v, str)
    )
    data = {}
    for name, dtype in _SCHEMA.items():
        value = columns.get(name)
        if dtype == pl.String:
            data[name] = codes.encode(name, value, n)
        elif value is None:
            data[name] = pl.repeat(None, n, dtype=dtype, eager=True).alias(name)
        else:
            data[name] = pl.Series(name, value).cast(dtype)
    return pl.DataFrame(data)
