"""The job runner against real Redis: one run at a time, a crashed run's lock expires, outcomes are
recorded; feed housekeeping trims only acknowledged events; the `feedgraph jobs` CLI."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.services import Services
from cache.events import Event, EventStream
from cli.main import app as cli_app
from core.clock import now_ms
from core.settings import Settings, get_settings
from graph.repositories import outbox
from jobs.feed_housekeeping import ABANDONED_AFTER_MS, forget_abandoned_events, trim_acknowledged
from jobs.lock import lock_key, run_exclusively
from jobs.registry import JOBS, Job
from jobs.runner import last_outcome, run_job
from tests.conftest import app_services, create_post, register, run, unique_name
from tests.integration.test_analytics import set_cli_env


@dataclass
class Probe:
    """State of the test jobs below (module-level functions, as the registry imports them by name)."""

    calls: int = 0
    started: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)


PROBE = Probe()


async def slow_job(services: Services) -> int:
    PROBE.calls += 1
    PROBE.started.set()
    await PROBE.release.wait()
    return 7


async def failing_job(services: Services) -> int:
    raise RuntimeError("boom")


def registry(name: str, function: str) -> dict[str, Job]:
    return {name: Job(name, "test job", __name__, function)}


def test_two_concurrent_runs_of_a_job_run_it_once(client: TestClient) -> None:
    services = app_services(client)
    name = unique_name("job")
    jobs = registry(name, "slow_job")

    async def scenario() -> tuple[str, str, int]:
        global PROBE
        PROBE = Probe()
        first = asyncio.create_task(run_job(services, name, jobs))
        second = asyncio.create_task(run_job(services, name, jobs))
        await PROBE.started.wait()
        # Whichever took the lock is now waiting; the other has returned or returns right away.
        done, _ = await asyncio.wait([first, second], return_when=asyncio.FIRST_COMPLETED)
        loser = done.pop().result()
        PROBE.release.set()
        outcomes = await asyncio.gather(first, second)
        winner = next(o for o in outcomes if o is not loser)
        return winner.status, loser.status, PROBE.calls

    winner, loser, calls = run(client, scenario)
    assert (winner, loser, calls) == ("ok", "skipped", 1)
    recorded = run(client, lambda: last_outcome(services, name))
    assert recorded is not None and recorded["status"] == "ok" and recorded["count"] == 7
    assert run(client, lambda: services.redis.exists(lock_key(name))) == 0  # released


def test_a_crashed_runs_lock_blocks_until_it_expires(client: TestClient) -> None:
    services = app_services(client)
    name = unique_name("job")
    jobs = registry(name, "slow_job")

    async def scenario() -> tuple[str, int, str]:
        global PROBE
        PROBE = Probe()
        PROBE.release.set()
        # What a crashed run leaves: its token, with the expiry it last renewed.
        await services.redis.set(lock_key(name), "token-of-a-dead-process", px=500)
        blocked = await run_job(services, name, jobs)
        ttl = await services.redis.pttl(lock_key(name))
        while await services.redis.exists(lock_key(name)):  # noqa: ASYNC110 - waiting on Redis expiry
            await asyncio.sleep(0.05)
        after = await run_job(services, name, jobs)
        return blocked.status, ttl, after.status

    blocked, ttl, after = run(client, scenario)
    assert blocked == "skipped" and 0 < ttl <= 500 and after == "ok"


def test_the_lock_is_renewed_while_a_long_job_runs(client: TestClient) -> None:
    services = app_services(client)
    name = unique_name("job")

    async def long_work() -> str:
        await asyncio.sleep(0.9)  # three times the lock's TTL
        # Still ours: a second run must be refused.
        ran, _ = await run_exclusively(services.redis, name, 0.3, _never)
        return "refused" if not ran else "ran twice"

    ran, result = run(client, lambda: run_exclusively(services.redis, name, 0.3, long_work))
    assert ran and result == "refused"


async def _never() -> str:
    raise AssertionError("a second run started while the first held the lock")


def test_a_failing_job_is_reported_and_releases_its_lock(client: TestClient) -> None:
    services = app_services(client)
    name = unique_name("job")
    outcome = run(client, lambda: run_job(services, name, registry(name, "failing_job")))
    assert outcome.status == "failed" and "boom" in (outcome.error or "")
    recorded = run(client, lambda: last_outcome(services, name))
    assert recorded is not None and recorded["status"] == "failed"
    assert run(client, lambda: services.redis.exists(lock_key(name))) == 0


def test_housekeeping_trims_only_what_every_group_acknowledged(client: TestClient) -> None:
    redis = app_services(client).redis
    stream = EventStream(redis, stream=f"fg:test:{unique_name('stream')}")
    events = [Event(id=i, type="post_created", post_id=i, actor_id=1) for i in range(1, 7)]

    async def handled(_: list[Event]) -> None:
        return None

    async def scenario() -> tuple[int, int, int, int]:
        try:
            assert await trim_acknowledged(redis, stream.stream) == 0  # no stream yet
            await stream.publish(events)
            assert await trim_acknowledged(redis, stream.stream) == 0  # no group: nobody has read it
            for group in ("fast", "slow"):
                await stream.ensure_group(group)
            await stream.consume_once("fast", "w", handled, count=6, block_ms=1)  # all 6 acknowledged
            await stream.consume_once("slow", "w", handled, count=3, block_ms=1)  # 3 acknowledged
            await redis.xreadgroup("slow", "w", {stream.stream: ">"}, count=1)  # 4th delivered, pending
            first = await trim_acknowledged(redis, stream.stream)
            left = await redis.xlen(stream.stream)
            await stream.consume_once("slow", "w", handled, count=10, block_ms=1, reclaim_idle_ms=0)
            await stream.consume_once("slow", "w", handled, count=10, block_ms=1)
            second = await trim_acknowledged(redis, stream.stream)
            return first, left, second, await redis.xlen(stream.stream)
        finally:
            await redis.delete(stream.stream)

    first, left, second, final = run(client, scenario)
    assert (first, left) == (3, 3)  # entries 1-3; the pending 4th and the undelivered 5-6 stay
    assert (second, final) == (3, 0)


def test_housekeeping_forgets_published_events_no_sweep_settled_for_an_hour(client: TestClient) -> None:
    """A published event waits for its own stream's sweep (feed/relay.py); one left unsettled for an
    hour belongs to a stream that is gone (a finished test session's private Redis), and the job
    forgets it whatever its stream; a recent one stays."""
    services = app_services(client)
    graph, stream = services.graph, services.feed.stream
    author = register(client)
    old_post, new_post = create_post(client, author, "abandoned"), create_post(client, author, "recent")

    async def scenario() -> set[str]:
        server = await stream.server()
        rows = await outbox.published_events(graph, server.origin, now_ms(), 100_000)
        old = [int(event["id"]) for event, _ in rows if str(event["post_id"]) == old_post]
        assert old and any(str(event["post_id"]) == new_post for event, _ in rows)  # both published
        await outbox.republished(graph, old, now_ms() - ABANDONED_AFTER_MS - 1, "gone")  # an hour ago
        await forget_abandoned_events(graph, now_ms() - ABANDONED_AFTER_MS)
        rows = await outbox.published_events(graph, server.origin, now_ms(), 100_000)
        return {str(event["post_id"]) for event, _ in rows}

    kept = run(client, scenario)
    assert old_post not in kept and new_post in kept


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    set_cli_env(settings, monkeypatch)
    yield CliRunner()
    get_settings.cache_clear()  # the next get_settings() reads the restored environment


def test_jobs_cli(cli: CliRunner) -> None:
    listed = cli.invoke(cli_app, ["jobs", "list"], env={"COLUMNS": "250"})
    assert listed.exit_code == 0, listed.output
    for name in JOBS:
        assert name in listed.output
    unknown = cli.invoke(cli_app, ["jobs", "run", "no-such-job"])
    assert unknown.exit_code == 2 and "no job" in unknown.output
    ran = cli.invoke(cli_app, ["jobs", "run", "feed-housekeeping"])
    assert ran.exit_code == 0, ran.output
    assert "feed-housekeeping: ok" in ran.output


def test_jobs_schedule_refuses_an_unknown_job(cli: CliRunner) -> None:
    result = cli.invoke(
        cli_app, ["jobs", "schedule"], env={"FEEDGRAPH_JOB_SCHEDULES": '{"nope": "* * * * *"}'}
    )
    assert result.exit_code == 2 and "unknown job" in result.output
