"""Benchmark 3: Redis bytes per home-timeline entry at the cap, measured with MEMORY USAGE.

Timelines under a bench-only prefix are filled to the cap with real time-ordered ids through the
production merge script (cache/timeline.py), exactly as a rebuild fills them."""

from __future__ import annotations

import asyncio
from typing import Any

from bench.common import bench_settings, console, median, print_table, write_result
from cache.client import connect_redis
from cache.timeline import DEFAULT_CAP, Timelines
from core.ids import new_id

PREFIX = "bench:mem"


async def _measure(timelines: int) -> dict[str, Any]:
    settings = bench_settings()
    redis = connect_redis(settings, settings.cache_redis_url)  # where timelines live
    home = Timelines(redis, prefix=PREFIX, cap=settings.timeline_cap, ttl_seconds=3600)
    try:
        per_entry: list[float] = []
        sizes: list[int] = []
        for owner in range(timelines):
            entries = sorted((new_id() for _ in range(home.cap + 50)), reverse=True)

            async def load(values: list[int] = entries) -> list[int]:
                return values

            await home.rebuild(owner, load)  # more than the cap: the merge trims to exactly the cap
            length = int(await redis.llen(home.key(owner)))
            used = await home.memory_usage(owner)
            sizes.append(used)
            per_entry.append(used / length)
        encoding = await redis.object("encoding", home.key(0))
        config = await redis.config_get("list-max-listpack-size")
        for owner in range(timelines):
            await home.drop(owner)
    finally:
        await redis.aclose()
    return {
        "cap": home.cap,
        "entries_per_timeline": length,
        "bytes_per_timeline_median": median(sizes),
        "bytes_per_entry_median": round(median(per_entry), 2),
        "bytes_per_entry_max": round(max(per_entry), 2),
        "encoding": encoding.decode() if isinstance(encoding, bytes) else str(encoding),
        "list_max_listpack_size": str(next(iter(config.values()), "")),
    }


def run(*, timelines: int) -> dict[str, Any]:
    result = asyncio.run(_measure(timelines))
    print_table(
        f"timeline memory at the cap ({timelines} timelines of {result['entries_per_timeline']} entries)",
        ["measure", "value"],
        [
            ("bytes per timeline (median)", result["bytes_per_timeline_median"]),
            ("bytes per entry (median)", result["bytes_per_entry_median"]),
            ("bytes per entry (max)", result["bytes_per_entry_max"]),
            ("Redis encoding", result["encoding"]),
            ("list-max-listpack-size", result["list_max_listpack_size"]),
            ("target", "<= 16 bytes per entry"),
        ],
    )
    console.print(f"default cap {DEFAULT_CAP}; configured {result['cap']}")
    write_result("memory", {"timelines": timelines}, result)
    return result
