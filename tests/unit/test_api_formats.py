"""How responses write ids and times: ids as strings, times as ISO-8601 UTC with milliseconds."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from pydantic import BaseModel

from api.schemas.common import IdStr, Timestamp, iso_utc


def test_iso_utc_matches_datetime_formatting_to_the_millisecond() -> None:
    rng = random.Random(7)
    samples = [0, 1, 999, 1_000, 1_764_500_000_123, -1_500, 4_102_444_800_000]
    samples += [rng.randrange(0, 4_102_444_800_000) for _ in range(2_000)]
    for ms in samples:
        expected = datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="milliseconds")
        assert iso_utc(ms) == expected.replace("+00:00", "Z")


def test_ids_and_times_in_json() -> None:
    class Item(BaseModel):
        id: IdStr
        at: Timestamp

    item = Item(id=2**63 - 1, at=1_704_067_200_005)
    assert item.model_dump_json() == '{"id":"9223372036854775807","at":"2024-01-01T00:00:00.005Z"}'
    assert item.model_dump() == {"id": 2**63 - 1, "at": 1_704_067_200_005}  # Python mode keeps ints
