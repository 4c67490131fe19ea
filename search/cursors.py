"""Opaque cursors for search pages: OpenSearch ``search_after`` sort values, floats (scores) carried as
their exact bit pattern so that the next page starts exactly after the last hit."""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence

from core.cursor import decode_cursor, encode_cursor
from core.errors import Invalid

_MAX_LONG = 2**63 - 1


def _float_bits(value: float) -> int:
    bits: int = struct.unpack(">q", struct.pack(">d", value))[0]
    return bits


def _bits_float(bits: int) -> float:
    value: float = struct.unpack(">d", struct.pack(">q", bits))[0]
    return value


def encode_sort(values: Sequence[int | float], shape: str) -> str:
    """The sort values of the last hit; ``shape`` as in :func:`decode_sort`."""
    return encode_cursor(
        *(_float_bits(float(v)) if kind == "f" else int(v) for kind, v in zip(shape, values, strict=True))
    )


def decode_sort(cursor: str, shape: str) -> list[int | float]:
    """``shape`` names each value: ``f`` a float (a score), ``i`` an integer. Anything else is a 400."""
    raw = decode_cursor(cursor, len(shape))
    values: list[int | float] = []
    for kind, value in zip(shape, raw, strict=True):
        if not -_MAX_LONG <= value <= _MAX_LONG:
            raise _invalid()
        if kind == "f":
            number = _bits_float(value)
            if not math.isfinite(number):
                raise _invalid()
            values.append(number)
        else:
            values.append(value)
    return values


def _invalid() -> Invalid:
    return Invalid("the cursor is not valid; use next_cursor from a previous page", code="invalid_cursor")
