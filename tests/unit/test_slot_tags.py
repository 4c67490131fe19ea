"""The per-slot hash tags: each one really lands its key in its slot."""

from __future__ import annotations

from redis.crc import REDIS_CLUSTER_HASH_SLOTS, key_slot

from cache.slot_tags import tag_for_slot


def test_every_slot_has_a_tag_that_hashes_to_it() -> None:
    for slot in range(REDIS_CLUSTER_HASH_SLOTS):
        assert key_slot(f"tl:newest:{{{tag_for_slot(slot)}}}".encode()) == slot


def test_tags_are_stable_and_short() -> None:
    assert tag_for_slot(key_slot(b"0")) == "0"
    assert max(len(tag_for_slot(slot)) for slot in range(REDIS_CLUSTER_HASH_SLOTS)) <= 6
