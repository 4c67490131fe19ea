"""``feedgraph bench load``: write a generated dataset into Neo4j with batched UNWIND queries.

Ids are minted here (core/ids.py) in ``created_at`` order, so sorting by id still sorts by time; every
user is active (read their feed at load time), so fan-out and feeds treat them as a live network."""

from __future__ import annotations

import time
from array import array
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from bench.common import console, print_table, write_result
from bench.dataset import POST_WINDOW_DAYS, Dataset, generate
from bench.dataset import SIZES as SIZES
from core.clock import now_ms
from core.ids import new_id
from core.passwords import Passwords
from core.settings import Settings
from graph.driver import Graph
from graph.queries import load_queries
from graph.repositories import bench as bench_graph

BENCH_PASSWORD = "bench-password"
# Rows per UNWIND transaction: large enough to amortise the round trip and commit, small enough to keep
# each transaction's memory well inside the local Neo4j's 512 MiB heap.
BATCH = {
    "users": 5_000,
    "follows": 10_000,
    "posts": 5_000,
    "likes": 10_000,
    "finalize": 2_000,
    "counters": 5_000,
}
_DAY_MS = 86_400_000
R = TypeVar("R")


async def dataset_users(graph: Graph, prefix: str, limit: int = 10_000_000) -> list[dict[str, Any]]:
    return await bench_graph.list_users(graph, prefix, limit)


async def load(settings: Settings, size: str, seed: int, *, fresh: bool = False) -> dict[str, Any]:
    """Load (or find already loaded) the dataset; returns what was loaded and the rates."""
    load_queries()
    dataset = generate(SIZES[size], seed)
    graph = Graph.connect(settings)
    try:
        await graph.apply_schema()
        if fresh:
            await delete(graph, dataset.prefix)
        marker = await bench_graph.loaded_shape(graph, dataset.prefix)
        if marker is not None and all(marker[k] == v for k, v in dataset.counts().items()):
            console.print(
                f"dataset {dataset.prefix} already loaded ({dataset.size.users:,} users); --fresh reloads it"
            )
            result = {"dataset": dataset.prefix, "skipped": True, **dataset.shape()}
            write_result(f"load-{size}", {"size": size, "seed": seed}, result)
            return result
        if await bench_graph.list_users(graph, dataset.prefix, 1):
            # No marker: an earlier load stopped part-way (its last step writes the marker).
            console.print(f"removing a partial load of {dataset.prefix}")
            await delete(graph, dataset.prefix)
        result = await _load(graph, dataset, Passwords(settings).hash(BENCH_PASSWORD))
        await bench_graph.mark_loaded(graph, dataset.prefix, dataset.counts(), now_ms())
        return result
    finally:
        await graph.close()


async def delete(graph: Graph, prefix: str) -> int:
    await bench_graph.unmark(graph, prefix)  # first: a dataset half deleted is not loaded
    deleted = 0
    while batch := await bench_graph.delete_dataset_batch(graph, prefix, 1_000):
        deleted += batch
    return deleted


async def _load(graph: Graph, dataset: Dataset, password_hash: str) -> dict[str, Any]:
    now = now_ms()
    size = dataset.size
    # Ids in int64 columns and rows made a chunk at a time: L's rows as Python tuples would not fit.
    user_ids = array("q", (new_id() for _ in range(size.users)))
    followed_at = now - POST_WINDOW_DAYS * _DAY_MS
    # Posts in time order get ids in that order: newest post, largest id.
    ages = dataset.posts.second
    order = array("i", sorted(range(len(dataset.posts)), key=lambda i: -ages[i]))
    post_ids = array("q", bytes(8 * len(dataset.posts)))
    for position in order:
        post_ids[position] = new_id()

    def user_rows(start: int, end: int) -> list[dict[str, Any]]:
        return [
            {
                "id": user_ids[i],
                "username": dataset.username(i),
                "created_at": now - 2 * POST_WINDOW_DAYS * _DAY_MS,
                "last_feed_read_ms": now,
            }
            for i in range(start, end)
        ]

    def follow_rows(start: int, end: int) -> list[tuple[int, int, int]]:
        return [(user_ids[a], user_ids[b], followed_at) for a, b in dataset.follows[start:end]]

    def post_rows(start: int, end: int) -> list[tuple[int, int, int, str]]:
        rows = []
        for position in order[start:end]:
            author, age_ms = dataset.posts[position]
            rows.append((post_ids[position], user_ids[author], now - age_ms, f"bench post {position}"))
        return rows

    def like_rows(start: int, end: int) -> list[tuple[int, int, int]]:
        return [(user_ids[u], post_ids[p], now) for u, p in dataset.likes[start:end]]

    liked = sorted({post_ids[p] for p in dataset.likes.second})

    steps: dict[str, float] = {}
    started = time.perf_counter()
    with Progress(
        TextColumn("{task.description:>9}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
        console=console,
    ) as progress:

        async def step(
            name: str,
            total: int,
            rows: Callable[[int, int], list[R]],
            write: Callable[[list[R]], Awaitable[int]],
        ) -> None:
            task = progress.add_task(name, total=total, rate="")
            t0 = time.perf_counter()
            for start in range(0, total, BATCH[name]):
                end = min(total, start + BATCH[name])
                await write(rows(start, end))
                progress.update(task, completed=end, rate=f"{end / (time.perf_counter() - t0):,.0f}/s")
            steps[name] = time.perf_counter() - t0

        await step(
            "users", size.users, user_rows, lambda c: bench_graph.create_users(graph, c, password_hash)
        )
        await step(
            "follows", len(dataset.follows), follow_rows, lambda c: bench_graph.create_follows(graph, c)
        )
        await step("posts", len(dataset.posts), post_rows, lambda c: bench_graph.create_posts(graph, c))
        await step("likes", len(dataset.likes), like_rows, lambda c: bench_graph.create_likes(graph, c))
        celebrities = 0

        async def finalize_users(chunk: list[int]) -> int:
            nonlocal celebrities
            celebrities += await bench_graph.finalize_users(graph, chunk, size.celebrity_threshold, now)
            return len(chunk)

        await step("finalize", size.users, lambda a, b: list(user_ids[a:b]), finalize_users)
        await step(
            "counters", len(liked), lambda a, b: liked[a:b], lambda c: bench_graph.finalize_posts(graph, c)
        )
    elapsed = time.perf_counter() - started
    counts = dataset.counts()
    rows = [
        (name, counts.get(name, 0), seconds, counts.get(name, 0) / seconds if name in counts else 0.0)
        for name, seconds in steps.items()
    ]
    total = sum(counts.values())
    rows.append(("total", total, elapsed, total / elapsed))
    print_table(
        f"bench load {size.name} seed {dataset.seed} ({dataset.prefix})",
        ["step", "rows", "seconds", "rows/s"],
        rows,
    )
    result = {
        "dataset": dataset.prefix,
        "skipped": False,
        **dataset.shape(),
        "celebrities_flagged": celebrities,
        "seconds": round(elapsed, 2),
        "rows_per_second": round(total / elapsed),
        "steps": {name: {"rows": counts.get(name, 0), "seconds": round(s, 2)} for name, s in steps.items()},
    }
    write_result(f"load-{size.name}", {"size": size.name, "seed": dataset.seed, "batch": BATCH}, result)
    return result
