from __future__ import annotations

import pytest

from core.cursor import decode_cursor, encode_cursor
from core.errors import Invalid


def test_cursor_round_trips_its_keys() -> None:
    assert decode_cursor(encode_cursor(1_700_000_000_000, 2**62), 2) == (1_700_000_000_000, 2**62)


@pytest.mark.parametrize("bad", ["", "%%%", "bm9wZQ", encode_cursor(1, 2), "Mjox"])
def test_malformed_or_foreign_cursors_are_client_errors(bad: str) -> None:
    with pytest.raises(Invalid):
        decode_cursor(bad, 1 if bad != encode_cursor(1, 2) else 3)
