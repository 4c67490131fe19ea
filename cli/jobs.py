"""`feedgraph jobs`: list, run once (cron-friendly), or run on schedule."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import typer
from rich.console import Console
from rich.table import Table

from core.settings import get_settings

app = typer.Typer(help="Scheduled jobs: friend suggestions, feed housekeeping, ...", no_args_is_help=True)


@app.command("list")
def list_jobs() -> None:
    """Every registered job, its schedule and its last run."""
    from api.services import Services
    from jobs.registry import JOBS
    from jobs.runner import last_outcome

    settings = get_settings()

    async def _last() -> dict[str, dict[str, object] | None]:
        services = Services.build(settings)
        try:
            return {name: await last_outcome(services, name) for name in JOBS}
        except Exception:  # Redis down: still list the jobs
            return dict.fromkeys(JOBS)
        finally:
            await services.close()

    last = asyncio.run(_last())
    table = Table("name", "schedule (UTC)", "last run", "description")
    for name, job in JOBS.items():
        table.add_row(name, settings.job_schedules.get(name) or "-", _describe(last[name]), job.description)
    Console().print(table)


def _describe(outcome: dict[str, object] | None) -> str:
    if not outcome:
        return "never"
    finished = datetime.fromtimestamp(int(str(outcome["finished_at"])) / 1000, tz=UTC)
    detail = f"{outcome['count']} items" if outcome["status"] == "ok" else str(outcome["error"])
    return f"{outcome['status']} {finished:%Y-%m-%d %H:%M}Z, {detail}, {outcome['seconds']}s"


@app.command("run")
def run(name: str = typer.Argument(..., help="job name, as `feedgraph jobs list` shows it")) -> None:
    """Run one job now (exit 0 when it ran or another run held the lock, 1 when it failed)."""
    from api.services import Services
    from jobs.registry import JOBS
    from jobs.runner import run_job

    if name not in JOBS:
        typer.echo(f"error: no job {name!r} (known: {', '.join(JOBS)})", err=True)
        raise typer.Exit(2)
    settings = get_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    async def _run() -> str:
        services = Services.build(settings)
        try:
            outcome = await run_job(services, name)
        finally:
            await services.close()
        if outcome.status == "failed":
            raise typer.Exit(1)
        return outcome.summary()

    typer.echo(asyncio.run(_run()))


@app.command("schedule")
def schedule() -> None:
    """Run the jobs on their cron schedules (FEEDGRAPH_JOB_SCHEDULES) until SIGTERM/Ctrl-C."""
    from jobs.scheduler import active_schedules, run_scheduler

    settings = get_settings()
    try:
        active_schedules(settings)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    asyncio.run(run_scheduler(settings))
