"""The real `feedgraph worker` process: killed mid-batch, restarted, every post delivered exactly once."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from core.settings import Settings
from tests.conftest import Account, app_services, create_post, run, settings_env

MakeUser = Callable[..., Account]
_WAIT_SECONDS = 120


def _start_worker(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    """Start `feedgraph worker` and wait until it says it started (its signal handlers are then set)."""
    env = settings_env(settings.model_copy(update={"event_reclaim_idle_ms": 1000}))
    with log.open("wb") as sink:
        process = subprocess.Popen([sys.executable, "-m", "cli.main", "worker"], env=env, stderr=sink)
    deadline = time.monotonic() + _WAIT_SECONDS
    while "worker" not in log.read_text() or " started" not in log.read_text():
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "the worker did not start"
        time.sleep(0.05)
    return process


def test_a_worker_killed_mid_batch_then_restarted_delivers_every_post_exactly_once(
    client: TestClient, settings: Settings, make_user: MakeUser, tmp_path: Path
) -> None:
    author = make_user()
    readers = [make_user() for _ in range(12)]
    for reader in readers:
        client.post(f"/api/v1/users/{author.user_id}/follow", headers=reader.headers)
        client.get("/api/v1/feed", headers=reader.headers)
    posts = {int(create_post(client, author, f"burst {i}")) for i in range(150)}
    home = app_services(client).feed.home

    def delivered() -> list[list[int]]:
        async def read() -> list[list[int]]:
            return [(await home.page(int(r.user_id), None, 1000)).entries for r in readers]

        return run(client, read)

    worker = _start_worker(settings, tmp_path / "first.log")
    deadline = time.monotonic() + _WAIT_SECONDS
    while time.monotonic() < deadline and not any(delivered()):
        time.sleep(0.02)
    worker.send_signal(signal.SIGKILL)  # no chance to acknowledge its batch
    worker.wait(timeout=30)
    stream = app_services(client).feed.stream
    killed = f"{socket.gethostname()}-{worker.pid}"
    left = run(client, lambda: stream.pending_of("fanout", killed))
    assert left > 0, "the kill should land before the batch was acknowledged"

    restarted = _start_worker(settings, tmp_path / "second.log")
    try:
        while time.monotonic() < deadline and any(len(set(t) & posts) < len(posts) for t in delivered()):
            time.sleep(0.2)
    finally:
        restarted.send_signal(signal.SIGTERM)
        assert restarted.wait(timeout=30) == 0  # a clean stop on SIGTERM
    for entries in delivered():
        mine = [e for e in entries if e in posts]
        assert sorted(mine, reverse=True) == sorted(posts, reverse=True)  # each post exactly once, in order
