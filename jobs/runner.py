"""Running one job: under its lock, timed, logged, and its outcome kept in Redis for `jobs list`."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Literal

import orjson

from api.services import Services
from core.clock import now_ms
from jobs.lock import run_exclusively
from jobs.registry import JOBS, Job

log = logging.getLogger(__name__)

LAST_RUN_PREFIX = "fg:jobs:last:"
Status = Literal["ok", "skipped", "failed"]


@dataclass(frozen=True)
class RunOutcome:
    job: str
    status: Status
    count: int | None  # items the job handled (ok only)
    seconds: float
    error: str | None = None
    finished_at: int = 0

    def summary(self) -> str:
        if self.status == "ok":
            return f"{self.job}: ok, {self.count} in {self.seconds:.1f}s"
        if self.status == "skipped":
            return f"{self.job}: skipped, another run holds the lock"
        return f"{self.job}: failed after {self.seconds:.1f}s: {self.error}"


async def run_job(services: Services, name: str, jobs: dict[str, Job] | None = None) -> RunOutcome:
    """Run job ``name`` unless another run of it holds the lock. Never raises for the job's own failure
    (the outcome says it), so a scheduler keeps going; an unknown name raises KeyError."""
    job = (jobs or JOBS)[name]
    function = job.load()
    started = time.monotonic()
    try:
        ran, count = await run_exclusively(
            services.redis, name, services.settings.job_lock_ttl_seconds, lambda: function(services)
        )
    except Exception as exc:
        outcome = RunOutcome(name, "failed", None, time.monotonic() - started, repr(exc), now_ms())
        log.exception("job %s", outcome.summary())
    else:
        status: Status = "ok" if ran else "skipped"
        outcome = RunOutcome(name, status, count, time.monotonic() - started, None, now_ms())
        (log.info if ran else log.warning)("job %s", outcome.summary())
    if outcome.status != "skipped":  # a skip says nothing new about the job itself
        await _record(services, outcome)
    return outcome


async def _record(services: Services, outcome: RunOutcome) -> None:
    try:
        await services.redis.set(
            f"{LAST_RUN_PREFIX}{outcome.job}",
            orjson.dumps(
                {
                    "status": outcome.status,
                    "count": outcome.count,
                    "seconds": round(outcome.seconds, 3),
                    "error": outcome.error,
                    "finished_at": outcome.finished_at,
                }
            ),
        )
    except Exception as exc:  # the run's outcome is logged already; Redis may be what failed
        log.warning("could not record the outcome of job %s (%r)", outcome.job, exc)


async def last_outcome(services: Services, name: str) -> dict[str, object] | None:
    raw = await services.redis.get(f"{LAST_RUN_PREFIX}{name}")
    if raw is None:
        return None
    data: dict[str, object] = orjson.loads(raw)
    return data
