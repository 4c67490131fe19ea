"""64-bit time-ordered ids, Snowflake layout: 41 bits of milliseconds since the FeedGraph epoch,
10 bits of worker id, 12 bits of per-millisecond sequence. Sorting ids sorts by creation time,
which is what lets timelines merge by id alone."""

from __future__ import annotations

import secrets
import threading
import time
from datetime import UTC, datetime

EPOCH_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z: keeps 41 bits good until 2093.
_WORKER_BITS = 10
_SEQUENCE_BITS = 12
_MAX_SEQUENCE = (1 << _SEQUENCE_BITS) - 1
_TIME_SHIFT = _WORKER_BITS + _SEQUENCE_BITS


class IdGenerator:
    """Thread-safe generator; the worker id keeps processes from colliding within a millisecond."""

    def __init__(self, worker_id: int | None = None) -> None:
        if worker_id is None:
            # Random unless configured: a pid would repeat across containers, where every process is pid 1.
            worker_id = secrets.randbelow(1 << _WORKER_BITS)
        self._worker = worker_id & ((1 << _WORKER_BITS) - 1)
        self._lock = threading.Lock()
        self._last_ms = -1
        self._sequence = 0

    def next_id(self) -> int:
        with self._lock:
            now = _now_ms()
            if now < self._last_ms:  # clock stepped back: keep ids monotonic
                now = self._last_ms
            if now == self._last_ms:
                self._sequence = (self._sequence + 1) & _MAX_SEQUENCE
                if self._sequence == 0:
                    while now <= self._last_ms:
                        now = _now_ms()
            else:
                self._sequence = 0
            self._last_ms = now
            return ((now - EPOCH_MS) << _TIME_SHIFT) | (self._worker << _SEQUENCE_BITS) | self._sequence


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def id_to_ms(value: int) -> int:
    """Creation time of an id, in Unix milliseconds."""
    return (value >> _TIME_SHIFT) + EPOCH_MS


def id_to_datetime(value: int) -> datetime:
    return datetime.fromtimestamp(id_to_ms(value) / 1000, tz=UTC)


def min_id_for_ms(unix_ms: int) -> int:
    """Smallest id that can have been created at ``unix_ms`` (for time-range scans by id)."""
    return max(0, unix_ms - EPOCH_MS) << _TIME_SHIFT


_default = IdGenerator()


def configure_worker(worker_id: int | None) -> None:
    """Pin this process's worker bits (FEEDGRAPH_ID_WORKER); None keeps the random ones."""
    global _default
    if worker_id is not None:
        _default = IdGenerator(worker_id)


def new_id() -> int:
    return _default.next_id()
