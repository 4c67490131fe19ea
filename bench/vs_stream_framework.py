"""Benchmark 6: Stream-Framework 1.4.0 (Redis backend) beside FeedGraph, the same workload in one run.

Workload: one author's activities fanned out to F followers' feeds (capped at 800), then R reads of a
follower's first page of 20, one client, sequentially. Stream-Framework runs in a venv of its own
(``.feedgraph/bench/sf-venv``, created here): it needs redis-py 2.10.6 (later versions dropped
``BasePipeline``) and cannot share the app's venv. Both write to the bench database of the Redis that
holds FeedGraph's timelines (the caches' one, without persistence, where there is one).

The read sides differ in what they return, and the table says so: Stream-Framework's page is its
activities (serialized in Redis); FeedGraph's is the feed page the API serves (timeline from Redis,
posts hydrated with the viewer's likes, shares, visibility, blocks and mutes — from the post cache and
the viewer's cached state, both warmed by one read per viewer first, as Stream-Framework's side is
precomputed too), measured in process without HTTP, as Stream-Framework's is."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from api.services import Services
from bench.common import (
    BENCH_REDIS_DB,
    ROOT,
    bench_settings,
    bench_timelines_redis_url,
    console,
    latency_summary,
    median,
    print_table,
    write_result,
)
from bench.fanout import PUSH_EVERYTHING_THRESHOLD, _prepare_followers, _raw_inserts, ensure_authors

VENV = ROOT / ".feedgraph" / "bench" / "sf-venv"
REQUIREMENTS = ["stream-framework==1.4.0", "redis==2.10.6"]
RUNNER = Path(__file__).with_name("sf_runner.py")


def ensure_venv() -> Path:
    """The venv's python, created and installed on first use."""
    python = VENV / "bin" / "python"
    if not python.exists():
        console.print(f"creating {VENV.relative_to(ROOT)} with {', '.join(REQUIREMENTS)}")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *REQUIREMENTS], check=True)
    return python


def _stream_framework(followers: int, activities: int, reads: int) -> dict[str, Any]:
    python = ensure_venv()
    port = urlsplit(bench_timelines_redis_url()).port or 6379
    done = subprocess.run(
        [str(python), str(RUNNER), *(str(v) for v in (followers, activities, reads, BENCH_REDIS_DB, port))],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if done.returncode != 0:
        raise RuntimeError(f"Stream-Framework runner failed ({done.returncode}):\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


async def _feedgraph_reads(followers: int, reads: int) -> dict[str, Any]:
    services = Services.build(bench_settings(PUSH_EVERYTHING_THRESHOLD))
    try:
        services.start_preparing()
        await services.prepared.wait()
        author_id, pool = (await ensure_authors(services.graph, services.settings, [followers]))[followers]
        await _prepare_followers(services.graph, services.feed.home, author_id, pool)
        reader = services.feed.reader
        viewers = [pool[(index * 7919) % len(pool)] for index in range(reads)]
        # One read per viewer first, as in a live system (Stream-Framework's side is precomputed too):
        # the activity mark's first graph write of the hour, the viewer's cached state, the post cards.
        gate = asyncio.Semaphore(16)

        async def warm(viewer: int) -> None:
            async with gate:
                await reader.read(viewer, None, 20)

        await asyncio.gather(*(warm(v) for v in dict.fromkeys(viewers)))
        latencies = []
        for viewer in viewers:
            started = time.perf_counter()
            await reader.read(viewer, None, 20)
            latencies.append(time.perf_counter() - started)
    finally:
        await services.close()
    return {"reads_per_second": reads / sum(latencies), **latency_summary(latencies)}


def run(*, followers: int, activities: int, reads: int, runs: int) -> dict[str, Any]:
    per_run = []
    for index in range(runs):
        sf = _stream_framework(followers, activities, reads)
        ours_fanout = asyncio.run(_raw_inserts(followers, activities, bench_timelines_redis_url()))
        ours_reads = asyncio.run(_feedgraph_reads(followers, reads))
        figures = {
            "sf_inserts_per_second": sf["inserts_per_second"],
            # Stream-Framework fans its activities out one after another: compare the same.
            "fg_inserts_per_second": ours_fanout["in_order"]["inserts_per_second"],
            "sf_reads_per_second": sf["reads_per_second"],
            "fg_reads_per_second": ours_reads["reads_per_second"],
            "sf_read_p50_ms": sf["read_p50_ms"],
            "fg_read_p50_ms": ours_reads["p50_ms"],
            "sf_read_p99_ms": sf["read_p99_ms"],
            "fg_read_p99_ms": ours_reads["p99_ms"],
        }
        figures["fanout_ratio_fg_over_sf"] = (
            figures["fg_inserts_per_second"] / figures["sf_inserts_per_second"]
        )
        figures["read_ratio_fg_over_sf"] = figures["fg_reads_per_second"] / figures["sf_reads_per_second"]
        per_run.append(figures)
        console.print(f"run {index + 1}: {figures}")
    result = {key: round(median([r[key] for r in per_run]), 2) for key in per_run[0]}
    print_table(
        f"Stream-Framework 1.4.0 vs FeedGraph: {followers:,} followers x {activities} activities, "
        f"{reads:,} reads (medians of {runs} runs; one client, sequential)",
        ["measure", "Stream-Framework", "FeedGraph", "FeedGraph / SF"],
        [
            (
                "fan-out inserts/s",
                result["sf_inserts_per_second"],
                result["fg_inserts_per_second"],
                result["fanout_ratio_fg_over_sf"],
            ),
            (
                "reads/s (SF: activities; FG: hydrated API page)",
                result["sf_reads_per_second"],
                result["fg_reads_per_second"],
                result["read_ratio_fg_over_sf"],
            ),
            ("read p50 ms", result["sf_read_p50_ms"], result["fg_read_p50_ms"], ""),
            ("read p99 ms", result["sf_read_p99_ms"], result["fg_read_p99_ms"], ""),
        ],
    )
    write_result(
        "stream-framework",
        {
            "followers": followers,
            "activities": activities,
            "reads": reads,
            "runs": runs,
            "requirements": REQUIREMENTS,
        },
        {"median": result, "runs": per_run},
    )
    return result
