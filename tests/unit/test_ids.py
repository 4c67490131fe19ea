from __future__ import annotations

import time

from core.ids import IdGenerator, id_to_ms, min_id_for_ms


def test_ids_are_unique_and_increasing_within_one_millisecond_burst() -> None:
    generator = IdGenerator(worker_id=7)
    ids = [generator.next_id() for _ in range(20_000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_creation_time_is_recoverable_from_the_id() -> None:
    before = time.time_ns() // 1_000_000
    value = IdGenerator(worker_id=1).next_id()
    after = time.time_ns() // 1_000_000
    assert before <= id_to_ms(value) <= after


def test_ids_fit_in_a_signed_64_bit_integer() -> None:
    assert 0 < IdGenerator().next_id() < 2**63


def test_min_id_for_ms_orders_before_every_id_of_that_millisecond() -> None:
    value = IdGenerator(worker_id=1023).next_id()
    assert min_id_for_ms(id_to_ms(value)) <= value < min_id_for_ms(id_to_ms(value) + 1)


def test_workers_never_collide_in_the_same_millisecond() -> None:
    a, b = IdGenerator(worker_id=1), IdGenerator(worker_id=2)
    assert not {a.next_id() for _ in range(1000)} & {b.next_id() for _ in range(1000)}
