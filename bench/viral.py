"""Benchmark 5: a viral post. Many distinct users like one post over HTTP, each liker once, then the
post's like count is checked against the number of likes the API accepted: it must be exact (the like
query re-derives the count under the post's lock). Two phases per run, each on a post of its own:

- saturation: a closed loop of ``concurrency`` clients, each sending the next like as soon as the last
  was answered: the most the API takes this way (bound by latency as much as by capacity: the clients
  come back together, so the likes arrive in waves);
- fixed rate: an open loop offering ``rate`` likes/s for ``fixed_seconds``, latency counted from each
  like's scheduled time (as the feed benchmark's fixed phase): whether that rate is sustained, and at
  what latency, by likers who do not wait for each other, as a real viral post's do."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx

from bench.common import (
    api_server,
    bench_settings,
    console,
    cpu_sample,
    median,
    print_table,
    steal_since,
    wait_until_quiet,
    write_result,
)
from bench.fanout import ensure_authors
from bench.loadgen import LoadSpec, generate, summary
from core.tokens import Tokens
from graph.driver import Graph
from graph.queries import load_queries


async def _likers(count: int) -> tuple[int, list[int]]:
    """The fan-out pool of ``count`` users (loaded once) and their author, who posts the viral post."""
    load_queries()
    settings = bench_settings()
    graph = Graph.connect(settings)
    try:
        author_id, pool = (await ensure_authors(graph, settings, [count]))[count]
    finally:
        await graph.close()
    return author_id, pool


# Open-loop connections: enough for the offered rate at the latencies seen (2,000/s x 50 ms = 100 in flight).
FIXED_CONNECTIONS = 256


def run(
    *,
    likers: int,
    runs: int,
    seconds: float,
    concurrency: int,
    rate: float = 2000.0,
    fixed_seconds: float = 4.0,
) -> dict[str, Any]:
    author_id, pool = asyncio.run(_likers(likers))
    tokens = Tokens(bench_settings())
    liker_tokens = [tokens.issue(uid).token for uid in pool]
    author_headers = {"Authorization": f"Bearer {tokens.issue(author_id).token}"}
    # Each liker likes once per post: the fixed phase must not run out of likers.
    fixed_seconds = min(fixed_seconds, len(liker_tokens) / rate)
    per_run: list[dict[str, Any]] = []
    fixed_runs: list[dict[str, Any]] = []
    with api_server(workers=2) as server, httpx.Client(base_url=server.url, timeout=60) as client:

        def phase(index: int, name: str, spec_for: Callable[[str], LoadSpec]) -> dict[str, Any]:
            created = client.post(
                "/api/v1/posts", json={"content": f"viral run {index} {name}"}, headers=author_headers
            )
            created.raise_for_status()
            post_id = created.json()["post_id"]
            sample = cpu_sample()
            figures = summary(generate(spec_for(f"/api/v1/posts/{post_id}/like")))
            figures["steal_pct"] = steal_since(sample)
            final = client.get(f"/api/v1/posts/{post_id}", headers=author_headers).json()["like_count"]
            figures["final_like_count"] = final
            figures["exact"] = final == figures["ok"]
            console.print(f"run {index + 1} {name}: {figures}")
            return figures

        for index in range(runs):
            per_run.append(
                phase(
                    index,
                    "saturate",
                    lambda path: LoadSpec(
                        server.url, [path], liker_tokens, seconds, concurrency, None, method="POST", once=True
                    ),
                )
            )
            wait_until_quiet()
            fixed_runs.append(
                {
                    "offered_rps": rate,
                    **phase(
                        index,
                        "fixed",
                        lambda path: LoadSpec(
                            server.url,
                            [path],
                            liker_tokens,
                            fixed_seconds,
                            FIXED_CONNECTIONS,
                            rate,
                            method="POST",
                            once=True,
                        ),
                    ),
                }
            )
            wait_until_quiet()
    fixed: dict[str, Any] = {
        "offered_rps": rate,
        "likes_per_second": median([r["rps"] for r in fixed_runs]),
        "p50_ms": median([r["p50_ms"] for r in fixed_runs]),
        "p99_ms": median([r["p99_ms"] for r in fixed_runs]),
        "failed": median([r["failed"] for r in fixed_runs]),
        "runs": fixed_runs,
    }
    result: dict[str, Any] = {
        "likes_per_second": median([r["rps"] for r in per_run]),
        "p50_ms": median([r["p50_ms"] for r in per_run]),
        "p99_ms": median([r["p99_ms"] for r in per_run]),
        "all_exact": all(r["exact"] for r in per_run + fixed_runs),
        "runs": per_run,
        "fixed": fixed,
    }
    print_table(
        f"viral post: {likers:,} distinct likers (medians of {runs} runs)",
        ["phase", "offered/s", "likes/s", "p50 ms", "p99 ms", "failed", "count exact in every run"],
        [
            (
                f"saturate ({concurrency} clients)",
                "max",
                result["likes_per_second"],
                result["p50_ms"],
                result["p99_ms"],
                0,
                result["all_exact"],
            ),
            (
                "fixed rate",
                rate,
                fixed["likes_per_second"],
                fixed["p50_ms"],
                fixed["p99_ms"],
                fixed["failed"],
                result["all_exact"],
            ),
        ],
    )
    write_result(
        "viral",
        {
            "likers": likers,
            "runs": runs,
            "seconds": seconds,
            "concurrency": concurrency,
            "rate": rate,
            "fixed_seconds": fixed_seconds,
            "fixed_connections": FIXED_CONNECTIONS,
        },
        result,
    )
    return result
