"""`feedgraph jobs schedule`: run the registered jobs on cron schedules (APScheduler 3, UTC).

Schedules come from ``FEEDGRAPH_JOB_SCHEDULES``. Within one scheduler a job never overlaps itself
(``max_instances=1``); across scheduler replicas the job's Redis lock (jobs/lock.py) lets one run and
the others log a skip. Missed firings (the process was down) are coalesced into one run."""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from api.services import Services
from core.settings import Settings
from jobs.registry import JOBS
from jobs.runner import run_job

log = logging.getLogger(__name__)

# A firing missed by up to this long (a busy loop, a short restart) still runs.
MISFIRE_GRACE_SECONDS = 300


def active_schedules(settings: Settings) -> dict[str, CronTrigger]:
    """The cron trigger of every scheduled job; raises ValueError on an unknown job or a bad expression."""
    triggers: dict[str, CronTrigger] = {}
    for name, expression in settings.job_schedules.items():
        if not expression.strip():
            continue
        if name not in JOBS:
            raise ValueError(
                f"FEEDGRAPH_JOB_SCHEDULES names an unknown job {name!r} (known: {', '.join(JOBS)})"
            )
        try:
            triggers[name] = CronTrigger.from_crontab(expression, timezone=UTC)
        except ValueError as exc:
            raise ValueError(f"bad cron expression for job {name!r}: {expression!r} ({exc})") from exc
    return triggers


async def run_scheduler(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    triggers = active_schedules(settings)  # fail fast, before connecting anything
    services = Services.build(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    scheduler = AsyncIOScheduler(timezone=UTC)
    for name, trigger in triggers.items():
        scheduler.add_job(
            run_job,
            trigger,
            args=[services, name],
            id=name,
            name=name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=MISFIRE_GRACE_SECONDS,
        )
    try:
        scheduler.start()
        for job in scheduler.get_jobs():
            log.info("scheduled %s: %s (next run %s)", job.id, job.trigger, job.next_run_time)
        if not triggers:
            log.warning("no job is scheduled (FEEDGRAPH_JOB_SCHEDULES is empty)")
        await stop.wait()
    finally:
        scheduler.shutdown(wait=False)
        # Runs in progress are cancelled: their locks are released, and a resumable job (friend
        # suggestions) continues from its checkpoint at its next run.
        running = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        await services.close()
        log.info("scheduler stopped")
