"""Benchmark 4: growth. The hybrid feed's latency on datasets of several sizes, loaded side by side in
the same Neo4j, at a modest fixed rate (latency, not queueing), in one server and one run per round:
a feed read touches the viewer's timeline, their celebrities' pull lists and one page of posts, so
its cost should not grow with the network."""

from __future__ import annotations

from typing import Any

from bench.common import (
    api_server,
    console,
    median,
    memo_counts,
    memo_since,
    pace_ms,
    print_table,
    wait_until_quiet,
    write_result,
)
from bench.dataset import SIZES
from bench.feed_read import FEED_PATH, top_up, viewer_tokens, warm_up
from bench.loadgen import LoadSpec, generate, summary


def run(
    *, sizes: list[str], seed: int, runs: int, seconds: float, rate: float, viewers: int
) -> dict[str, Any]:
    tokens: dict[str, list[str]] = {}
    for size in sizes:
        try:
            tokens[size] = viewer_tokens(size, seed, viewers)
        except SystemExit as missing:
            console.print(f"skipping {size}: {missing}")
    if not tokens:
        raise SystemExit("no dataset loaded: run `feedgraph bench load` first")
    per_run: list[dict[str, Any]] = []
    # The largest loaded size's threshold: it only matters for new posts, none are made here.
    with api_server(
        workers=2, celebrity_threshold=SIZES[max(tokens, key=lambda s: SIZES[s].users)].celebrity_threshold
    ) as server:
        for size_tokens in tokens.values():
            warm_up(server.url, size_tokens, [FEED_PATH])
        for index in range(runs):
            figures = {}
            for size, size_tokens in tokens.items():
                wait_until_quiet()
                pace = pace_ms()
                rounds = top_up(server.url, size_tokens, FEED_PATH)
                memo_before = memo_counts()
                figures[size] = summary(
                    generate(LoadSpec(server.url, [FEED_PATH], size_tokens, seconds, 32, rate))
                )
                figures[size].update(memo_since(memo_before), pace_ms=pace, top_up_rounds=rounds)
                console.print(f"run {index + 1} {size}: {figures[size]}")
            per_run.append(figures)
    smallest = min(tokens, key=lambda s: SIZES[s].users)
    result: dict[str, Any] = {}
    for size in tokens:
        p50 = median([r[size]["p50_ms"] for r in per_run])
        result[size] = {
            "users": SIZES[size].users,
            "p50_ms": p50,
            "p99_ms": median([r[size]["p99_ms"] for r in per_run]),
            "pace_ms": median([r[size]["pace_ms"] for r in per_run]),  # bench/common.py pace_ms
            "p50_ratio_to_smallest": round(
                median([r[size]["p50_ms"] / (r[smallest]["p50_ms"] or 1e-9) for r in per_run]), 2
            ),
        }
    print_table(
        f"growth: hybrid feed at {rate:g} req/s offered (medians of {runs} runs)",
        ["size", "users", "p50 ms", "p99 ms", f"p50 / {smallest} p50", "pace ms"],
        [
            (s, r["users"], r["p50_ms"], r["p99_ms"], r["p50_ratio_to_smallest"], r["pace_ms"])
            for s, r in result.items()
        ],
    )
    write_result(
        "growth",
        {
            "sizes": list(tokens),
            "seed": seed,
            "runs": runs,
            "seconds": seconds,
            "rate": rate,
            "viewers": viewers,
        },
        {"median": result, "runs": per_run},
    )
    return result
