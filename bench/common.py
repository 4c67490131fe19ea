"""What every benchmark shares: its settings, the API server it starts, statistics, the result table
and the JSON result file under bench/results/."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from cache.client import connect_redis, local_cache_redis_url
from core.settings import Settings, get_settings

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(os.environ.get("FEEDGRAPH_BENCH_RESULTS", ROOT / "bench" / "results"))
# Bench processes use their own Redis database: their timelines, event stream and consumer groups never
# mix with the dev app's (db 0) or the tests' (db 15), and no other worker steals their events.
BENCH_REDIS_DB = 14
BENCH_INDEX_PREFIX = "feedgraph-bench"
# Where each bench API process publishes its page memo's counters (bench/app.py), and their names.
MEMO_COUNTS_KEY = "bench:page-memo"
# Each API process publishes them in this order (bench/app.py); memo_restamped: of the hits, pages whose
# cards had been refreshed ahead of expiry (same cards, new stamps); memo_recounted: of the hits, pages
# served with new counts written in (only counts had changed).
MEMO_COUNTS = ("memo_hits", "memo_misses", "pages_made", "memo_restamped", "memo_recounted")
MEMO_PUBLISH_SECONDS = 0.2
console = Console()


def bench_env(celebrity_threshold: int | None = None) -> dict[str, str]:
    """Environment overrides of every process a benchmark starts (API server, worker)."""
    settings = get_settings()
    # A Redis Cluster has one database: there the bench's keys live beside others' (ids are unique).
    redis_url = (
        settings.redis_url
        if settings.redis_cluster
        else f"{settings.redis_url.rsplit('/', 1)[0]}/{BENCH_REDIS_DB}"
    )
    env = {
        "FEEDGRAPH_REDIS_URL": redis_url,
        "FEEDGRAPH_OPENSEARCH_INDEX_PREFIX": BENCH_INDEX_PREFIX,
        # Viral and fan-out runs write far faster than one person can: the limiter is not under test.
        "FEEDGRAPH_WRITE_RATE_LIMIT_PER_MINUTE": "100000000",
        "FEEDGRAPH_LOG_LEVEL": "WARNING",
    }
    if (cache_url := bench_cache_redis_url(settings)) is not None:
        env["FEEDGRAPH_CACHE_REDIS_URL"] = cache_url
    if celebrity_threshold is not None:
        env["FEEDGRAPH_CELEBRITY_THRESHOLD"] = str(celebrity_threshold)
    return env


def bench_cache_redis_url(settings: Settings) -> str | None:
    """The caches' Redis of the bench processes (database 14): the configured one, else the local one
    without persistence that `make services` starts, as `make run` uses; on a cluster, the configured
    one or none (the caches then share the cluster)."""
    if settings.redis_cluster:
        return settings.cache_redis_url
    url = settings.cache_redis_url or local_cache_redis_url()
    return f"{url.rsplit('/', 1)[0]}/{BENCH_REDIS_DB}"


def bench_timelines_redis_url() -> str:
    """Where the bench processes' timelines live: the caches' Redis, or the one Redis."""
    settings = bench_settings()
    return settings.cache_redis_url or settings.redis_url


def bench_settings(celebrity_threshold: int | None = None) -> Settings:
    """The settings the bench processes run with, for in-process clients of the same servers."""
    overrides = {key.removeprefix("FEEDGRAPH_").lower(): value for key, value in bench_env().items()}
    if celebrity_threshold is not None:
        overrides["celebrity_threshold"] = str(celebrity_threshold)
    return Settings(**overrides)  # type: ignore[arg-type]  # validated (str -> int) like the environment


def memo_counts() -> dict[str, int]:
    """The page memo counters of every bench API process so far, summed (MEMO_COUNTS, feed/page_memo.py),
    read once every request answered until now is published (bench/app.py publishes every
    MEMO_PUBLISH_SECONDS)."""

    async def published() -> dict[bytes | str, bytes | str]:
        redis = connect_redis(bench_settings())
        try:
            return dict(await redis.hgetall(MEMO_COUNTS_KEY))
        finally:
            await redis.aclose()

    time.sleep(2 * MEMO_PUBLISH_SECONDS)
    totals = dict.fromkeys(MEMO_COUNTS, 0)
    for value in asyncio.run(published()).values():
        text = value.decode() if isinstance(value, bytes) else value
        # Fields of processes gone stay, and those of a release before memo_restamped have fewer counts.
        for name, count in zip(MEMO_COUNTS, text.split(), strict=False):
            totals[name] += int(count)
    return totals


def memo_since(before: dict[str, int]) -> dict[str, int]:
    """The page memo counters added since ``before`` (memo_counts())."""
    after = memo_counts()
    return {name: after[name] - before[name] for name in MEMO_COUNTS}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]


@contextmanager
def api_server(
    *,
    workers: int = 2,
    celebrity_threshold: int | None = None,
    with_worker: bool = False,
    settings: dict[str, str] | None = None,
) -> Iterator[Server]:
    """Start the bench API (bench/app.py: the production app plus the bench-only baseline route) with
    uvicorn in a process of its own, wait until it is ready, and stop it (and its worker) afterwards.
    ``settings``: further FEEDGRAPH_ variables for its processes."""
    port = free_port()
    env = {**os.environ, **bench_env(celebrity_threshold), **(settings or {})}
    command = [sys.executable, "-m", "bench.serve", "--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    worker: subprocess.Popen[bytes] | None = None
    if with_worker:
        worker = subprocess.Popen([sys.executable, "-m", "cli.main", "worker"], env=env, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process)
        yield Server(url, process)
    finally:
        for proc in (worker, process):
            if proc is not None and proc.poll() is None:
                proc.terminate()
        for proc in (worker, process):
            if proc is not None:
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def _wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the bench API exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/bench/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the bench API at {url} was not ready within {timeout:.0f}s")


def wait_until_quiet(max_seconds: float = 30.0, busy_below: float = 0.25) -> float:
    """Wait until the machine's CPUs are mostly idle (``busy_below`` of all cores, sampled over half a
    second from /proc/stat), at most ``max_seconds``; returns the seconds waited. Called before each
    measured phase: work left by the previous phase (the pure-pull baseline's Neo4j queries finishing,
    the JVM collecting after them) would otherwise be charged to the next one. Without /proc (not
    Linux), returns at once."""
    started = time.monotonic()
    while time.monotonic() - started < max_seconds:
        try:
            before = _cpu_times()
            time.sleep(0.5)
            after = _cpu_times()
        except OSError:
            return 0.0
        if busy_fraction(before, after) < busy_below:
            break
    return time.monotonic() - started


def pace_ms(loops: int = 1_000_000) -> float:
    """How fast one core runs Python now: milliseconds for a fixed loop of ``loops`` additions, the
    median of three. The host's other tenants slow these two cores by half or more for minutes at a
    time without the guest seeing any steal (docs/BENCHMARKS.md, "Machine"); a figure recorded with its
    pace says which spell it was measured in (lower is faster)."""
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for i in range(loops):
            total += i
        timings.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(timings), 1)


def busy_fraction(before: Sequence[int], after: Sequence[int]) -> float:
    """The share of all CPUs' time that was busy between two /proc/stat "cpu" rows (user, nice,
    system, idle, iowait, irq, softirq, steal, ...): idle and iowait count as not busy."""
    total = sum(after) - sum(before)
    idle = (after[3] + after[4]) - (before[3] + before[4])
    return (total - idle) / total if total > 0 else 0.0


def steal_fraction(before: Sequence[int], after: Sequence[int]) -> float:
    """The share of all CPUs' time the hypervisor gave to other guests between two /proc/stat "cpu"
    rows (the 8th field, steal): the shared machine's slow spells, recorded beside each phase."""
    total = sum(after) - sum(before)
    return (after[7] - before[7]) / total if total > 0 and len(after) > 7 else 0.0


def cpu_sample() -> list[int] | None:
    """The /proc/stat "cpu" row now (None off Linux): pass it to :func:`steal_since` after a phase."""
    try:
        return _cpu_times()
    except OSError:
        return None


def steal_since(before: list[int] | None) -> float | None:
    """Percent of CPU time stolen since ``before`` (:func:`cpu_sample`), or None without /proc."""
    after = cpu_sample()
    if before is None or after is None:
        return None
    return round(100 * steal_fraction(before, after), 1)


def _cpu_times() -> list[int]:
    with open("/proc/stat") as stat:
        return [int(v) for v in stat.readline().split()[1:]]


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values (0 when empty)."""
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def latency_summary(latencies_s: Sequence[float]) -> dict[str, float]:
    values = sorted(latencies_s)
    return {
        "p50_ms": round(percentile(values, 0.50) * 1000, 2),
        "p95_ms": round(percentile(values, 0.95) * 1000, 2),
        "p99_ms": round(percentile(values, 0.99) * 1000, 2),
        "max_ms": round((values[-1] if values else 0.0) * 1000, 2),
    }


def tail_spells(
    starts_s: Sequence[float], latencies_s: Sequence[float], share: float = 0.01, gap_s: float = 0.05
) -> list[dict[str, float]]:
    """When the slowest ``share`` of requests were sent: their scheduled times grouped into spells (a new
    spell after ``gap_s`` without one), the largest first. A few short spells holding the whole tail
    are stalls (the server, or the machine, stopped for that long); many small ones are queueing."""
    count = int(len(latencies_s) * share)
    if count == 0:
        return []
    slowest = sorted(range(len(latencies_s)), key=lambda i: latencies_s[i], reverse=True)[:count]
    spells: list[list[int]] = []
    for i in sorted(slowest, key=lambda i: starts_s[i]):
        if spells and starts_s[i] - starts_s[spells[-1][-1]] <= gap_s:
            spells[-1].append(i)
        else:
            spells.append([i])
    described = [
        {
            "from_s": round(starts_s[spell[0]], 3),
            "to_s": round(starts_s[spell[-1]], 3),
            "requests": len(spell),
            "max_ms": round(max(latencies_s[i] for i in spell) * 1000, 1),
        }
        for spell in spells
    ]
    return sorted(described, key=lambda d: -d["requests"])


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else 0.0


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    table = Table(title=title)
    for column in columns:
        table.add_column(column, justify="right" if column != columns[0] else "left")
    for row in rows:
        table.add_row(*(_cell(v) for v in row))
    console.print(table)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
    }


def write_result(name: str, params: dict[str, Any], results: Any) -> Path:
    """bench/results/<name>-<UTC time>.json, and <name>-latest.json beside it."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    document = {"benchmark": name, "at": stamp, "machine": machine(), "params": params, "results": results}
    text = json.dumps(document, indent=2, default=str)
    path = RESULTS_DIR / f"{name}-{stamp}.json"
    path.write_text(text)
    (RESULTS_DIR / f"{name}-latest.json").write_text(text)
    console.print(f"result written to {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return path
