"""Benchmark 5: a viral post. Many distinct users like one post over HTTP as fast as the API takes
it (closed loop, each liker once), then the post's like count is checked against the number of likes
the API accepted: it must be exact (the like query re-derives the count under the post's lock)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from bench.common import api_server, bench_settings, console, median, print_table, write_result
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


def run(
    *, likers: int, runs: int, seconds: float, concurrency: int, client_processes: int = 1
) -> dict[str, Any]:
    author_id, pool = asyncio.run(_likers(likers))
    tokens = Tokens(bench_settings())
    liker_tokens = [tokens.issue(uid).token for uid in pool]
    author_headers = {"Authorization": f"Bearer {tokens.issue(author_id).token}"}
    per_run: list[dict[str, Any]] = []
    with api_server(workers=2) as server, httpx.Client(base_url=server.url, timeout=60) as client:
        for index in range(runs):
            created = client.post(
                "/api/v1/posts", json={"content": f"viral run {index}"}, headers=author_headers
            )
            created.raise_for_status()
            post_id = created.json()["post_id"]
            spec = LoadSpec(
                server.url,
                [f"/api/v1/posts/{post_id}/like"],
                liker_tokens,
                seconds,
                concurrency,
                None,
                method="POST",
                once=True,
            )
            figures = summary(generate(spec, client_processes))
            final = client.get(f"/api/v1/posts/{post_id}", headers=author_headers).json()["like_count"]
            figures["final_like_count"] = final
            figures["exact"] = final == figures["ok"]
            per_run.append(figures)
            console.print(f"run {index + 1}: {figures}")
    result = {
        "likes_per_second": median([r["rps"] for r in per_run]),
        "p50_ms": median([r["p50_ms"] for r in per_run]),
        "p99_ms": median([r["p99_ms"] for r in per_run]),
        "all_exact": all(r["exact"] for r in per_run),
        "runs": per_run,
    }
    print_table(
        f"viral post: {likers:,} distinct likers, {concurrency} concurrent (medians of {runs} runs)",
        ["likes/s", "p50 ms", "p99 ms", "count exact in every run"],
        [(result["likes_per_second"], result["p50_ms"], result["p99_ms"], result["all_exact"])],
    )
    write_result(
        "viral", {"likers": likers, "runs": runs, "seconds": seconds, "concurrency": concurrency}, result
    )
    return result
