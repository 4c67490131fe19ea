"""Turning one extra fetched row into ``has_more`` and an opaque ``next_cursor``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from core.cursor import decode_cursor, encode_cursor

R = TypeVar("R")


def page(
    rows: Sequence[R], limit: int, key: Callable[[R], tuple[int, ...]]
) -> tuple[list[R], str | None, bool]:
    """``rows`` were fetched with ``limit + 1``: the extra row only says that more exist."""
    has_more = len(rows) > limit
    items = list(rows[:limit])
    next_cursor = encode_cursor(*key(items[-1])) if has_more and items else None
    return items, next_cursor, has_more


def cursor_one(cursor: str | None) -> int | None:
    return decode_cursor(cursor, 1)[0] if cursor else None


def cursor_two(cursor: str | None) -> tuple[int, int] | None:
    if not cursor:
        return None
    first, second = decode_cursor(cursor, 2)
    return first, second
