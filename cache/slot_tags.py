"""A hash tag for every Redis Cluster slot, for keys that must live in a given slot.

A script may only touch keys of one slot; a per-slot key (such as a timeline prefix's newest-id
mark) therefore needs a name that hashes to exactly that slot. The tag of slot ``s`` is the
smallest decimal number whose CRC16 lands in ``s`` (the table takes ~0.1 s to build, once)."""

from __future__ import annotations

from functools import cache

from redis.crc import REDIS_CLUSTER_HASH_SLOTS, key_slot


@cache
def _tags() -> tuple[int, ...]:
    tags: dict[int, int] = {}
    candidate = 0
    while len(tags) < REDIS_CLUSTER_HASH_SLOTS:
        tags.setdefault(key_slot(str(candidate).encode()), candidate)
        candidate += 1
    return tuple(tags[slot] for slot in range(REDIS_CLUSTER_HASH_SLOTS))


def tag_for_slot(slot: int) -> str:
    """A string that, used as a ``{hash tag}``, puts a key in ``slot``."""
    return str(_tags()[slot])
