"""One run of a job at a time, across every process and machine, through a Redis lock.

The lock is redis-py's: ``SET key token NX PX ttl`` to take it, and Lua scripts that renew or delete
it only while the key still holds our token, so a run can never release (or extend) a lock that
expired and was taken by another run. While the job runs, the lock is renewed every third of its TTL;
if the process crashes, the renewals stop and the lock expires within one TTL, so a crashed run never
blocks the job for longer than that. If a renewal finds the lock gone (Redis lost it, or the process
was frozen longer than the TTL), the job is cancelled rather than left running next to another run.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.asyncio import Redis, RedisCluster
from redis.asyncio.lock import Lock
from redis.exceptions import LockError, LockNotOwnedError, RedisError

log = logging.getLogger(__name__)

T = TypeVar("T")

LOCK_PREFIX = "fg:jobs:lock:"


class LockLost(RuntimeError):
    """The lock expired or was taken while the job ran; the job was cancelled."""


def lock_key(job: str) -> str:
    return f"{LOCK_PREFIX}{job}"


async def run_exclusively(
    redis: Redis | RedisCluster, job: str, ttl_seconds: float, work: Callable[[], Awaitable[T]]
) -> tuple[bool, T | None]:
    """Run ``work`` under the job's lock. Returns ``(False, None)`` without running it when another run
    holds the lock, else ``(True, result)``. Raises :class:`LockLost` if the lock is lost mid-run."""
    lock = redis.lock(lock_key(job), timeout=ttl_seconds, blocking=False, thread_local=False)
    if not await lock.acquire():
        return False, None
    task: asyncio.Task[T] = asyncio.ensure_future(work())
    lost = asyncio.Event()
    renewer = asyncio.create_task(_renew(lock, ttl_seconds, task, lost), name=f"renew-lock-{job}")
    try:
        try:
            result = await task
        except asyncio.CancelledError:
            if lost.is_set():
                raise LockLost(f"the lock of job {job} was lost; the run was stopped") from None
            raise
        return True, result
    finally:
        renewer.cancel()
        task.cancel()  # when we are cancelled ourselves, so is the work
        await asyncio.gather(renewer, task, return_exceptions=True)
        try:
            await lock.release()
        except LockError:  # already expired (and maybe taken by another run): not ours to delete
            log.warning("job %s: the lock had expired before release", job)
        except RedisError as exc:  # Redis down: the TTL frees it
            log.warning("job %s: could not release the lock (%r); it expires by itself", job, exc)


async def _renew(lock: Lock, ttl_seconds: float, task: asyncio.Task[T], lost: asyncio.Event) -> None:
    while not task.done():
        await asyncio.sleep(ttl_seconds / 3)
        try:
            await lock.reacquire()
        except LockNotOwnedError:
            log.error("job lock %s lost while running; cancelling the run", lock.name)
            lost.set()
            task.cancel()
            return
        except RedisError as exc:  # a blip: the lock may still hold; try again next tick
            log.warning("could not renew job lock %s (%r)", lock.name, exc)
