"""Benchmark 4: growth. The hybrid feed's latency on datasets of several sizes, loaded side by side in
the same Neo4j, at a modest fixed rate (latency, not queueing), every size in every run: a feed read
touches the viewer's timeline, their celebrities' pull lists and one page of posts, so its cost should
not grow with the network.

Two API servers side by side, each read path measured on every size in every run: ``served``, the
production setting, where a page nothing on which changed is served from the API process's page memo
after a check of its cards and flags in Redis (feed/page_memo.py); and ``made``, the same server with
the memo off (FEEDGRAPH_FEED_PAGE_MEMO_PAGES=0), where every read makes its page afresh from the
timeline, the pull lists, the cards and the viewer's state. Each path's ratio to the smallest size is
taken within a run."""

from __future__ import annotations

import contextlib
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

# The read paths compared (see the module's docstring) and the settings of each path's server.
PATHS: dict[str, dict[str, str]] = {"served": {}, "made": {"FEEDGRAPH_FEED_PAGE_MEMO_PAGES": "0"}}


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
    threshold = SIZES[max(tokens, key=lambda s: SIZES[s].users)].celebrity_threshold
    with contextlib.ExitStack() as servers:
        urls = {
            path: servers.enter_context(
                api_server(workers=2, celebrity_threshold=threshold, settings=settings)
            ).url
            for path, settings in PATHS.items()
        }
        for url in urls.values():
            for size_tokens in tokens.values():
                warm_up(url, size_tokens, [FEED_PATH])
        for index in range(runs):
            figures: dict[str, dict[str, Any]] = {path: {} for path in PATHS}
            for size, size_tokens in tokens.items():
                for path, url in urls.items():
                    wait_until_quiet()
                    pace = pace_ms()
                    rounds = top_up(url, size_tokens, FEED_PATH) if path == "served" else 0
                    memo_before = memo_counts()
                    measured = summary(generate(LoadSpec(url, [FEED_PATH], size_tokens, seconds, 32, rate)))
                    measured.update(memo_since(memo_before), pace_ms=pace, top_up_rounds=rounds)
                    figures[path][size] = measured
                    console.print(f"run {index + 1} {size} {path}: {measured}")
            per_run.append(figures)
    smallest = min(tokens, key=lambda s: SIZES[s].users)

    def medians(path: str, size: str) -> dict[str, Any]:
        runs_of = [r[path] for r in per_run]
        return {
            "p50_ms": median([r[size]["p50_ms"] for r in runs_of]),
            "p99_ms": median([r[size]["p99_ms"] for r in runs_of]),
            "pace_ms": median([r[size]["pace_ms"] for r in runs_of]),  # bench/common.py pace_ms
            "pages_made": median([r[size]["pages_made"] for r in runs_of]),
            "p50_ratio_to_smallest": round(
                median([r[size]["p50_ms"] / (r[smallest]["p50_ms"] or 1e-9) for r in runs_of]), 2
            ),
        }

    # The served path's figures at the top level of each size (the production setting, and the shape of
    # earlier rounds' results), the made path's under "made".
    result: dict[str, Any] = {
        size: {"users": SIZES[size].users, **medians("served", size), "made": medians("made", size)}
        for size in tokens
    }
    print_table(
        f"growth: hybrid feed at {rate:g} req/s offered (medians of {runs} runs); pages served from the "
        "memo / made afresh",
        [
            "size",
            "users",
            "p50 ms",
            "p99 ms",
            f"p50 / {smallest}",
            "made: p50 ms",
            "p99 ms",
            f"p50 / {smallest}",
        ],
        [
            (
                s,
                r["users"],
                r["p50_ms"],
                r["p99_ms"],
                r["p50_ratio_to_smallest"],
                r["made"]["p50_ms"],
                r["made"]["p99_ms"],
                r["made"]["p50_ratio_to_smallest"],
            )
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
