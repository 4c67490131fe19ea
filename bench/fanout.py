"""Benchmark 2: fan-out.

- Raw timeline inserts/s: ``Timelines.push`` (the production pipelined Lua push) of new entries into
  many existing synthetic timelines, from one process: posts one after another, and two at a time;
  then into full timelines (an active user's steady state), lazily trimmed and, as the baseline in
  the same run, trimmed on every insert.
- End to end: ``POST /api/v1/posts`` by an author with N active followers, through the real path
  (graph write + outbox, event stream, a worker process's fan-out), until the post is at the head of
  every follower's home timeline, polled in Redis. The bench API and worker run with the celebrity
  threshold above N, so even the largest author is pushed: that is the cost being measured (in
  production an author at or above FEEDGRAPH_CELEBRITY_THRESHOLD is pulled instead: one LPUSH).

Fan-out users are their own dataset (``bench_fo_``): one author per size with a disjoint pool of
followers who follow nobody else, so each follower's complete timeline is that author's posts."""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import subprocess
import time
from typing import Any

import httpx
from redis.asyncio import RedisCluster

from bench.common import (
    ROOT,
    api_server,
    bench_settings,
    bench_timelines_redis_url,
    console,
    median,
    print_table,
    write_result,
)
from bench.load import BENCH_PASSWORD
from cache.client import connect_cache_redis, connect_redis
from cache.events import STREAM
from cache.timeline import _PUSH as _PUSH_SCRIPT
from cache.timeline import PUSH_BATCH, Timelines
from core.clock import now_ms
from core.ids import min_id_for_ms, new_id
from core.passwords import Passwords
from core.tokens import Tokens
from feed.service import FeedService
from graph.driver import Graph
from graph.queries import load_queries
from graph.repositories import bench as bench_graph
from graph.repositories import feed as feed_graph

FANOUT_PREFIX = "bench_fo_"
RAW_PREFIX = "bench:fo"
# Far above any author here: the bench worker pushes every post (see the module docstring).
PUSH_EVERYTHING_THRESHOLD = 1_000_000_000
# The full-timeline runs: a fifth of the timelines (a full one is ~8 KB), four times the pushes (so
# that each timeline meets a few lazy trims; 66 pushes apart at the default cap).
AT_CAP_SHARE = 5
AT_CAP_PUSH_FACTOR = 4
POLL_SECONDS = 0.005
POLL_CHUNK = 2_000
TIMEOUT_SECONDS = 60.0


def author_name(followers: int) -> str:
    # The trailing "_" keeps one author's name from being a prefix of another's (deletion is by prefix).
    return f"{FANOUT_PREFIX}a{followers}_"


async def ensure_authors(graph: Graph, settings: Any, sizes: list[int]) -> dict[int, tuple[int, list[int]]]:
    """Each author and their follower ids, loaded once (batched UNWIND, like the dataset)."""
    found = {u["username"]: u for u in await bench_graph.list_users(graph, FANOUT_PREFIX, 10_000_000)}
    password_hash: str | None = None
    authors: dict[int, tuple[int, list[int]]] = {}
    for n in sizes:
        pool_prefix = f"{FANOUT_PREFIX}f{n}_"
        name = author_name(n)
        pool = [u["id"] for u in await bench_graph.list_users(graph, pool_prefix, n + 1)]
        if name not in found or len(pool) != n:
            await _delete(graph, pool_prefix)
            await _delete(graph, name)
            password_hash = password_hash or Passwords(settings).hash(BENCH_PASSWORD)
            now = now_ms()
            author_id = new_id()
            pool = [new_id() for _ in range(n)]
            rows = [{"id": author_id, "username": name, "created_at": now, "last_feed_read_ms": now}]
            rows += [
                {"id": uid, "username": f"{pool_prefix}{i:07d}", "created_at": now, "last_feed_read_ms": now}
                for i, uid in enumerate(pool)
            ]
            for start in range(0, len(rows), 5_000):
                await bench_graph.create_users(graph, rows[start : start + 5_000], password_hash)
            follows = [(uid, author_id, now) for uid in pool]
            for start in range(0, len(follows), 10_000):
                await bench_graph.create_follows(graph, follows[start : start + 10_000])
            await bench_graph.finalize_users(graph, [author_id], PUSH_EVERYTHING_THRESHOLD, now)
            console.print(f"loaded fan-out author {name} with {n:,} followers")
        else:
            author_id = found[name]["id"]
        authors[n] = (author_id, pool)
    return authors


async def _delete(graph: Graph, prefix: str) -> None:
    while await bench_graph.delete_dataset_batch(graph, prefix, 1_000):
        pass


async def _prepare_followers(graph: Graph, home: Timelines, author_id: int, followers: list[int]) -> None:
    """Make every follower active (graph) with an existing, complete timeline (Redis), as a live user
    who read their feed recently has."""
    for start in range(0, len(followers), 5_000):
        await bench_graph.touch_users(graph, followers[start : start + 5_000], now_ms())
    recent = await feed_graph.author_recent_entries(graph, author_id, home.cap)

    async def load() -> list[int]:
        return recent

    gate = asyncio.Semaphore(64)

    async def ensure(uid: int) -> None:
        async with gate:
            if not await home.exists(uid):
                await home.rebuild(uid, load)

    await asyncio.gather(*(ensure(uid) for uid in followers))


async def _raw_inserts(timelines: int, entries: int, redis_url: str) -> dict[str, Any]:
    """Inserts/s of ``entries`` posts pushed one after another into timelines holding one entry (each
    post's batches skip reading heads: the newest-id mark), then of the same number pushed two at a
    time (the older post of each pair reads every head, as under concurrent fan-outs); then into full
    timelines, the steady state of an active user's, with lazy trimming and with a trim per insert
    (the previous release's rule) side by side. On the Redis at ``redis_url``."""
    settings = bench_settings()
    redis = connect_redis(settings, redis_url)
    home = Timelines(redis, prefix=RAW_PREFIX, cap=settings.timeline_cap, ttl_seconds=3600)
    owners = list(range(timelines))
    full_owners = owners[: max(1, timelines // AT_CAP_SHARE)]
    full_pushes = entries * AT_CAP_PUSH_FACTOR

    async def in_order(pushed: list[int], count: int) -> int:
        return sum([await home.push(new_id(), pushed) for _ in range(count)])

    async def two_at_once(pushed: list[int], count: int) -> int:
        inserted = 0
        for _ in range(0, count, 2):
            older, newer = new_id(), new_id()
            inserted += sum(await asyncio.gather(home.push(newer, pushed), home.push(older, pushed)))
        return inserted

    # name: (timelines, how they start, pushes, the longest a timeline gets before a trim)
    scenarios = {
        "in_order": (owners, "one", in_order, entries, home.trim_at),
        "two_at_once": (owners, "one", two_at_once, entries, home.trim_at),
        "at_cap": (full_owners, "full", in_order, full_pushes, home.trim_at),
        "at_cap_trim_every_insert": (full_owners, "full", in_order, full_pushes, home.cap),
    }
    measured: dict[str, Any] = {}
    try:
        for name, (pushed, starts_as, pushes, count, trim_at) in scenarios.items():
            fill = _fill_one if starts_as == "one" else _fill_full
            seed = await fill(redis, home, pushed)
            # Built behind the scripts' back, so set the prefix's newest-id mark as they would have:
            # no timeline under it holds anything newer than the seed. (Production timelines come from
            # rebuild.)
            await redis.set(f"{RAW_PREFIX}:newest", seed)
            home.trim_at = trim_at
            started = time.perf_counter()
            inserted = await pushes(pushed, count)
            elapsed = time.perf_counter() - started
            measured[name] = {
                "timelines": len(pushed),
                "pushes": count,
                "inserts": inserted,
                "seconds": round(elapsed, 3),
                "inserts_per_second": round(inserted / elapsed),
            }
        for start in range(0, timelines, 10_000):
            await redis.delete(*(home.key(o) for o in owners[start : start + 10_000]))
    finally:
        await redis.aclose()
    return measured


async def _cluster_inserts(timelines: int, entries: int) -> dict[str, Any]:
    """Inserts/s of ``entries`` posts pushed one after another into timelines holding one entry on the
    local 3-master Redis Cluster (see :func:`_start_cluster`): ``Timelines.push`` (one call per master
    and batch) against one call per hash slot (the previous release), alternated post by post, with
    the Redis CPU (all masters, ``INFO cpu``) and this process's CPU per insert."""
    port = os.environ.get("FEEDGRAPH_REDIS_CLUSTER_PORTS", "7001").split()[0]
    settings = bench_settings().model_copy(
        update={"redis_cluster": True, "redis_url": f"redis://127.0.0.1:{port}/0"}
    )
    redis = connect_redis(settings)
    assert isinstance(redis, RedisCluster)
    home = Timelines(redis, prefix=RAW_PREFIX, cap=settings.timeline_cap, ttl_seconds=3600)
    owners = list(range(timelines))
    groups = list(home._slot_groups(owners).values())

    async def per_slot(entry_id: int) -> int:
        """The previous release's cluster push: one script call per slot, batches as in push."""
        inserted = 0
        attempt = secrets.token_hex(4)
        for start in range(0, len(groups), PUSH_BATCH):
            args = (entry_id, home.cap, min_id_for_ms(now_ms() + 2_000), attempt, home.trim_at)
            calls = [(group, args) for group in groups[start : start + PUSH_BATCH]]
            inserted += sum(int(r) for r in await home._run_many(_PUSH_SCRIPT, calls))
        return inserted

    async def per_node(entry_id: int) -> int:
        return await home.push(entry_id, owners)

    spent = {"per_node": [0, 0.0, 0.0, 0.0], "per_slot": [0, 0.0, 0.0, 0.0]}  # inserts, s, Redis s, client s
    try:
        await _fill_one(redis, home, owners)
        async with redis.pipeline(transaction=False) as pipe:  # every slot's mark, as rebuilds leave it
            for group in groups:
                pipe.set(group[0], "1")
            await pipe.execute()
        for _ in range(entries):
            for name, push in (("per_node", per_node), ("per_slot", per_slot)):
                redis_cpu, client_cpu, started = (
                    await _cluster_cpu(redis),
                    time.process_time(),
                    time.perf_counter(),
                )
                inserted = await push(new_id())
                totals = spent[name]
                totals[0] += inserted
                totals[1] += time.perf_counter() - started
                totals[2] += await _cluster_cpu(redis) - redis_cpu
                totals[3] += time.process_time() - client_cpu
        async with redis.pipeline(transaction=False) as pipe:
            for owner in owners:
                pipe.delete(home.key(owner))
            await pipe.execute()
    finally:
        await redis.aclose()
    return {
        name: {
            "timelines": timelines,
            "slots": len(groups),
            "inserts": int(inserted),
            "seconds": round(seconds, 3),
            "inserts_per_second": round(inserted / seconds),
            "redis_cpu_us_per_insert": round(redis_s / inserted * 1e6, 2),
            "client_cpu_us_per_insert": round(client_s / inserted * 1e6, 2),
        }
        for name, (inserted, seconds, redis_s, client_s) in spent.items()
    }


def _start_cluster() -> None:
    """The local 3-master cluster the tests use (idempotent: started and created only when needed)."""
    subprocess.run(["bash", str(ROOT / "infra/services.sh"), "cluster-start"], check=True, timeout=300)


async def _cluster_cpu(redis: RedisCluster) -> float:
    """CPU seconds used so far by every master of the cluster."""
    total = 0.0
    for node in redis.get_primaries():
        info = await redis.info("cpu", target_nodes=node)
        total += float(info["used_cpu_sys"]) + float(info["used_cpu_user"])
    return total


async def _fill_one(redis: Any, home: Timelines, owners: list[int]) -> str:
    """Every timeline holds one older entry; returns it."""
    seed = str(new_id())
    for start in range(0, len(owners), 10_000):
        async with redis.pipeline(transaction=False) as pipe:
            for owner in owners[start : start + 10_000]:
                pipe.delete(home.key(owner))
                pipe.rpush(home.key(owner), seed)
            await pipe.execute()
    return seed


async def _fill_full(redis: Any, home: Timelines, owners: list[int]) -> str:
    """Every timeline full, as in the steady state of lazy trimming: between the cap and the most a
    list holds before a trim, spread evenly (a seeded draw), so that a run of pushes meets as many
    trims as a long life would. One template list is copied (a COPY and an LTRIM per timeline go to
    the AOF, not hundreds of thousands of entries); returns its newest entry."""
    template = f"{RAW_PREFIX}:template"
    ids = sorted((new_id() for _ in range(home.trim_at)), reverse=True)
    await redis.delete(template)
    for start in range(0, len(ids), 500):
        await redis.rpush(template, *ids[start : start + 500])
    draw = random.Random(len(owners))
    for start in range(0, len(owners), 5_000):
        async with redis.pipeline(transaction=False) as pipe:
            for owner in owners[start : start + 5_000]:
                pipe.copy(template, home.key(owner), replace=True)
                pipe.ltrim(home.key(owner), 0, draw.randint(home.cap, home.trim_at) - 1)
            await pipe.execute()
    await redis.delete(template)
    return str(ids[0])


async def _deliveries(url: str, sizes: list[int], runs: int) -> dict[int, list[dict[str, float]]]:
    load_queries()
    settings = bench_settings(PUSH_EVERYTHING_THRESHOLD)
    graph = Graph.connect(settings)
    redis = connect_redis(settings)  # the event stream's
    caches = connect_cache_redis(settings) or redis  # the timelines'
    home = FeedService.build(settings, graph, redis, caches).home
    tokens = Tokens(settings)
    measured: dict[int, list[dict[str, float]]] = {n: [] for n in sizes}
    try:
        authors = await ensure_authors(graph, settings, sizes)
        await _worker_caught_up(redis)
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:

            async def post_and_wait(author_id: int, followers: list[int], content: str) -> dict[str, float]:
                headers = {"Authorization": f"Bearer {tokens.issue(author_id).token}"}
                started = time.perf_counter()
                response = await client.post("/api/v1/posts", json={"content": content}, headers=headers)
                response.raise_for_status()
                accepted = time.perf_counter() - started
                post_id = response.json()["post_id"]
                first, last = await _wait_everywhere(caches, home, followers, post_id, started)
                return {"post_accepted_s": accepted, "first_follower_s": first, "all_followers_s": last}

            # One post not measured first: a live API and worker have their connections open and
            # their scripts loaded; the first post of fresh processes took ~1 s more for that alone.
            smallest = min(sizes)
            await _prepare_followers(graph, home, *authors[smallest])
            await post_and_wait(*authors[smallest], "fan-out warm-up")
            for n in sizes:
                author_id, followers = authors[n]
                await _prepare_followers(graph, home, author_id, followers)
                for index in range(runs):
                    figures = await post_and_wait(author_id, followers, f"fan-out run {index}")
                    measured[n].append(figures)
                    console.print(
                        f"{n:,} followers, run {index + 1}: all timelines after "
                        f"{figures['all_followers_s'] * 1000:,.0f} ms"
                    )
    finally:
        await redis.aclose()
        if caches is not redis:
            await caches.aclose()
        await graph.close()
    return measured


async def _worker_caught_up(redis: Any, max_seconds: float = 600.0) -> None:
    """Wait until every consumer group of the bench's event stream has handled everything in it. Other
    benchmarks leave events behind (the viral one's ~10,000 likes per run, with no worker running); a
    delivery measured behind that backlog would measure the backlog."""
    started = time.monotonic()
    with console.status("waiting for the worker to catch up with the event stream") as status:
        while (behind := await _events_behind(redis)) > 0:
            if time.monotonic() - started > max_seconds:
                raise RuntimeError(
                    f"the bench worker is still {behind:,} events behind after {max_seconds:.0f}s"
                )
            status.update(
                f"waiting for the worker to catch up with the event stream: {behind:,} events behind"
            )
            await asyncio.sleep(0.5)


async def _events_behind(redis: Any) -> int:
    """Events of the stream some consumer group has not handled (delivered and acknowledged); 0 when
    the stream does not exist yet."""
    if not await redis.exists(STREAM):
        return 0
    last = (await redis.xinfo_stream(STREAM))["last-generated-id"]
    behind = 0
    for group in await redis.xinfo_groups(STREAM):
        behind += group["pending"]
        if group["last-delivered-id"] != last:
            behind += group.get("lag") or 1  # Redis 7's lag can be unknown (None) after trimming
    return behind


async def _wait_everywhere(
    redis: Any, home: Timelines, followers: list[int], post_id: str, started: float
) -> tuple[float, float]:
    """Poll the head of every follower's timeline until all show the post; (first, last) seconds.

    Timelines are checked in ascending follower id, the order the fan-out reaches them, a chunk at a
    time by a script (one command per chunk), moving on without a pause once a chunk is complete.
    Re-reading all heads per poll (50k LINDEX through the client: over a second) took a core from
    the worker and Redis being measured and made the figure late by a whole pass. Each follower is
    still confirmed individually; a timeline that has the post keeps it at the head (nobody else
    posts to these followers), so it is not read again."""
    waiting = sorted(followers)
    first = 0.0
    missing_heads = redis.register_script(_MISSING_HEADS)
    while waiting:
        if time.perf_counter() - started > TIMEOUT_SECONDS:
            raise RuntimeError(f"{len(waiting)} timelines still lack post {post_id} after {TIMEOUT_SECONDS}s")
        chunk, rest = waiting[:POLL_CHUNK], waiting[POLL_CHUNK:]
        positions = await missing_heads(keys=[home.key(uid) for uid in chunk], args=[post_id])
        missing = [chunk[int(i) - 1] for i in positions]
        if len(missing) < len(chunk) and not first:
            first = time.perf_counter() - started
        waiting = missing + rest
        if missing:
            await asyncio.sleep(POLL_SECONDS)
    return first, time.perf_counter() - started


# The positions (1-based) of the KEYS whose timeline does not start with ARGV[1].
_MISSING_HEADS = """
local missing = {}
for i, key in ipairs(KEYS) do
  if redis.call('LINDEX', key, 0) ~= ARGV[1] then missing[#missing + 1] = i end
end
return missing
"""


def run(
    *, followers: list[int], runs: int, timelines: int, entries: int, cluster_timelines: int
) -> dict[str, Any]:
    # The timelines' Redis (no persistence) and, where it is another server, the durable one (AOF:
    # where timelines lived before), alternated run by run so that a slow spell hits both.
    caches_url, durable_url = bench_timelines_redis_url(), bench_settings().redis_url
    raw: list[dict[str, Any]] = []
    raw_durable: list[dict[str, Any]] = []
    for _ in range(runs):
        raw.append(asyncio.run(_raw_inserts(timelines, entries, caches_url)))
        if caches_url != durable_url:
            raw_durable.append(asyncio.run(_raw_inserts(timelines, entries, durable_url)))
    _start_cluster()
    clustered = [asyncio.run(_cluster_inserts(cluster_timelines, entries)) for _ in range(runs)]
    inserts_per_second = median([r["in_order"]["inserts_per_second"] for r in raw])
    contended_per_second = median([r["two_at_once"]["inserts_per_second"] for r in raw])
    at_cap_per_second = median([r["at_cap"]["inserts_per_second"] for r in raw])
    exact_trim_per_second = median([r["at_cap_trim_every_insert"]["inserts_per_second"] for r in raw])
    full = raw[0]["at_cap"]
    with api_server(workers=1, celebrity_threshold=PUSH_EVERYTHING_THRESHOLD, with_worker=True) as server:
        deliveries = asyncio.run(_deliveries(server.url, followers, runs))
    workload = f"{timelines:,} timelines x {entries}"
    full_workload = f"{full['timelines']:,} full x {full['pushes']}"
    rows: list[tuple[Any, ...]] = [
        ("Timelines.push, in id order", workload, inserts_per_second, "", ""),
        ("Timelines.push, two posts at once", workload, contended_per_second, "", ""),
        ("Timelines.push into full timelines", full_workload, at_cap_per_second, "", ""),
        ("  same, trimmed on every insert (baseline)", full_workload, exact_trim_per_second, "", ""),
    ]
    durable_summary: dict[str, Any] = {"runs": raw_durable}
    if raw_durable:
        for scenario, label, workload_of in (
            ("in_order", "in id order", workload),
            ("at_cap", "into full timelines", full_workload),
        ):
            figure = median([r[scenario]["inserts_per_second"] for r in raw_durable])
            durable_summary[f"median_inserts_per_second_{scenario}"] = figure
            rows.append((f"  same, {label}, on the durable Redis (AOF)", workload_of, figure, "", ""))
    cluster_summary: dict[str, Any] = {"runs": clustered}
    for name, label in (("per_node", "one call per master"), ("per_slot", "one call per slot (baseline)")):
        figures = {
            figure: median([run[name][figure] for run in clustered])
            for figure in ("inserts_per_second", "redis_cpu_us_per_insert", "client_cpu_us_per_insert")
        }
        cluster_summary[name] = figures
        rows.append(
            (
                f"3-master cluster, {label}",
                f"{cluster_timelines:,} timelines x {entries}",
                figures["inserts_per_second"],
                f"Redis {figures['redis_cpu_us_per_insert']} us",
                f"client {figures['client_cpu_us_per_insert']} us",
            )
        )
    summary: dict[str, Any] = {
        "raw": {
            "median_inserts_per_second": inserts_per_second,
            "median_inserts_per_second_two_at_once": contended_per_second,
            "median_inserts_per_second_at_cap": at_cap_per_second,
            "median_inserts_per_second_at_cap_trim_every_insert": exact_trim_per_second,
            "redis": "caches (no persistence)" if raw_durable else "durable (AOF)",
            "runs": raw,
        },
        "raw_durable": durable_summary,
        "cluster": cluster_summary,
    }
    for n, samples in deliveries.items():
        all_s = sorted(s["all_followers_s"] for s in samples)
        summary[str(n)] = {
            "median_all_followers_ms": round(median(all_s) * 1000, 1),
            "max_all_followers_ms": round(all_s[-1] * 1000, 1),
            "median_first_follower_ms": round(median([s["first_follower_s"] for s in samples]) * 1000, 1),
            "median_post_accepted_ms": round(median([s["post_accepted_s"] for s in samples]) * 1000, 1),
            "inserts_per_second_end_to_end": round(n / median(all_s)),
            "runs": samples,
        }
        rows.append(
            (
                f"POST -> {n:,} timelines",
                f"{runs} posts",
                summary[str(n)]["inserts_per_second_end_to_end"],
                summary[str(n)]["median_all_followers_ms"],
                summary[str(n)]["max_all_followers_ms"],
            )
        )
    print_table(
        "fan-out (medians; cluster rows: CPU per insert)",
        ["measure", "workload", "inserts/s", "median ms", "max ms"],
        rows,
    )
    parameters = {
        "followers": followers,
        "runs": runs,
        "timelines": timelines,
        "entries": entries,
        "cluster_timelines": cluster_timelines,
    }
    write_result("fanout", parameters, summary)
    return summary
