"""Opaque pagination cursors: the sort key of the last item, versioned and base64url-encoded."""

from __future__ import annotations

import base64
import binascii

from core.errors import Invalid

_VERSION = "1"


def encode_cursor(*keys: int) -> str:
    raw = ":".join([_VERSION, *(str(k) for k in keys)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, parts: int) -> tuple[int, ...]:
    """Decode a cursor made by :func:`encode_cursor` with ``parts`` keys; anything else is a 400."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        version, *keys = raw.split(":")
        if version != _VERSION or len(keys) != parts:
            raise ValueError(raw)
        return tuple(int(k) for k in keys)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise Invalid(
            "the cursor is not valid; use next_cursor from a previous page", code="invalid_cursor"
        ) from exc
