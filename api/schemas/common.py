"""Shared pieces: strict request bodies, string ids, page envelopes."""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Annotated

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from core.errors import Invalid


class StrictBody(BaseModel):
    """Request bodies reject unknown fields: a typo is an error, not a silently ignored field."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


@lru_cache(maxsize=1 << 16)
def iso_utc(ms: int) -> str:
    """Unix milliseconds as ISO-8601 UTC ("2024-01-01T12:00:00.123Z"). Remembered: every feed page shows
    twenty post times, mostly ones other pages showed moments ago."""
    seconds, millis = divmod(ms, 1000)
    return f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(seconds))}.{millis:03d}Z"


# 64-bit ids exceed JavaScript's 2^53 integers: JSON carries them as strings. (The builtin, not a
# lambda: a feed page serializes about a hundred ids.)
IdStr = Annotated[int, PlainSerializer(str, return_type=str, when_used="json")]
# Times are stored as Unix milliseconds and shown as ISO-8601 UTC.
Timestamp = Annotated[int, PlainSerializer(iso_utc, return_type=str, when_used="json")]

PAGE_SIZE_MIN, PAGE_SIZE_MAX, PAGE_SIZE_DEFAULT = 1, 100, 20
Limit = Annotated[
    int, Field(ge=PAGE_SIZE_MIN, le=PAGE_SIZE_MAX, description=f"page size, {PAGE_SIZE_MIN}-{PAGE_SIZE_MAX}")
]
# The opaque `before` of every list; the bound keeps absurd input out of the decoder.
CURSOR_MAX_LENGTH = 512
Cursor = Annotated[
    str | None, Query(max_length=CURSOR_MAX_LENGTH, description="next_cursor of the previous page")
]


def parse_id(value: str, what: str = "id") -> int:
    """A path id: decimal digits of a positive 64-bit integer, else 400 (never a 500 on bad input)."""
    if not value.isdigit() or len(value) > 19 or int(value) >= 2**63:
        raise Invalid(f"{what} must be a decimal 64-bit id", code="invalid_id")
    return int(value)
