"""``feedgraph bench``: load the synthetic dataset and run the benchmarks (docs/BENCHMARKS.md).

Every command prints a table and writes a JSON result under bench/results/. The servers are shared:
each run is bounded (seconds per phase, a few runs) and stops the processes it started."""

from __future__ import annotations

import asyncio

import typer

app = typer.Typer(
    help="Benchmarks: dataset load, feed read, fan-out, memory, growth, viral, Stream-Framework.",
    no_args_is_help=True,
)

SizeOpt = typer.Option("S", "--size", help="dataset size: XS (smoke), S 10k, M 100k, L 1M users")
SeedOpt = typer.Option(1, "--seed", help="dataset seed (same seed, same graph shape)")
RunsOpt = typer.Option(3, "--runs", min=1, help="repetitions; figures are their medians")


@app.command("load")
def load(
    size: str = SizeOpt,
    seed: int = SeedOpt,
    fresh: bool = typer.Option(False, "--fresh", help="delete this dataset first and load it again"),
) -> None:
    """Load a reproducible power-law social graph (users `bench_<size><seed>_*`); reports the load rate."""
    from bench.common import bench_settings
    from bench.load import load as load_dataset

    asyncio.run(load_dataset(bench_settings(), size.upper(), seed, fresh=fresh))


@app.command("feed")
def feed(
    size: str = SizeOpt,
    seed: int = SeedOpt,
    runs: int = RunsOpt,
    seconds: float = typer.Option(10.0, help="seconds per phase"),
    rate: float = typer.Option(1000.0, help="offered requests/s of the fixed-rate phase"),
    concurrency: int = typer.Option(64, help="connections (saturation: clients in a closed loop)"),
    viewers: int = typer.Option(1000, help="distinct viewers the requests cycle through"),
    workers: int = typer.Option(2, help="API worker processes"),
    like_rate: float = typer.Option(
        100.0, help="likes/s offered during the hybrid feed's saturation while liking (0: phase skipped)"
    ),
) -> None:
    """Feed read over HTTP: hybrid vs pure pull, fixed rate and saturation, p50/p95/p99; the hybrid
    feed saturated again while viewers like posts on their pages."""
    from bench.feed_read import run

    run(
        size=size.upper(),
        seed=seed,
        runs=runs,
        seconds=seconds,
        rate=rate,
        concurrency=concurrency,
        viewers=viewers,
        workers=workers,
        like_rate=like_rate,
    )


@app.command("growth")
def growth(
    sizes: str = typer.Option("S,M", help="comma-separated loaded sizes to compare"),
    seed: int = SeedOpt,
    runs: int = RunsOpt,
    seconds: float = typer.Option(10.0, help="seconds per size and run"),
    rate: float = typer.Option(
        200.0, help="offered requests/s (well below saturation: latency, not queueing)"
    ),
    viewers: int = typer.Option(1000, help="viewers per size"),
) -> None:
    """Feed p50/p99 of the hybrid feed on several dataset sizes, and their ratio to the smallest."""
    from bench.growth import run

    run(
        sizes=[s.strip().upper() for s in sizes.split(",") if s.strip()],
        seed=seed,
        runs=runs,
        seconds=seconds,
        rate=rate,
        viewers=viewers,
    )


@app.command("fanout")
def fanout(
    followers: str = typer.Option("1000,10000", help="comma-separated follower counts of the test authors"),
    runs: int = RunsOpt,
    timelines: int = typer.Option(100_000, help="synthetic timelines of the raw insert test"),
    entries: int = typer.Option(5, help="entries pushed into each synthetic timeline per run"),
    cluster_timelines: int = typer.Option(
        20_000, help="synthetic timelines of the insert test on the local 3-master Redis Cluster"
    ),
) -> None:
    """Timeline inserts/s (standalone and on a 3-master cluster), and POST /posts to every active
    follower's timeline (1k, 10k, ... followers)."""
    from bench.fanout import run

    run(
        followers=[int(f) for f in followers.split(",") if f.strip()],
        runs=runs,
        timelines=timelines,
        entries=entries,
        cluster_timelines=cluster_timelines,
    )


@app.command("memory")
def memory(
    timelines: int = typer.Option(100, help="timelines filled to the cap"),
) -> None:
    """Redis bytes per timeline entry at the cap (MEMORY USAGE)."""
    from bench.memory import run

    run(timelines=timelines)


@app.command("viral")
def viral(
    likers: int = typer.Option(20_000, help="distinct users who like the post (one like each)"),
    runs: int = RunsOpt,
    seconds: float = typer.Option(10.0, help="seconds per run at most"),
    concurrency: int = typer.Option(64, help="concurrent clients of the saturation phase"),
    rates: str = typer.Option(
        "2000,3000,4000", help="comma-separated likes/s offered in the fixed-rate phases (open loop)"
    ),
    fixed_seconds: float = typer.Option(
        4.0, help="seconds of each fixed-rate phase (at most likers / the highest rate)"
    ),
) -> None:
    """Sustained likes/s on one post over HTTP: at saturation, and the highest of fixed offered rates
    served in full; the final like count must be exact."""
    from bench.viral import run

    run(
        likers=likers,
        runs=runs,
        seconds=seconds,
        concurrency=concurrency,
        rates=tuple(float(r) for r in rates.split(",") if r.strip()),
        fixed_seconds=fixed_seconds,
    )


@app.command("stream-framework")
def stream_framework(
    followers: int = typer.Option(10_000, help="followers of the author (fan-out workload)"),
    activities: int = typer.Option(20, help="activities fanned out per run"),
    reads: int = typer.Option(5_000, help="feed reads per run"),
    runs: int = RunsOpt,
) -> None:
    """The same fan-out and read workload on Stream-Framework 1.4.0 (its own venv) and on FeedGraph."""
    from bench.vs_stream_framework import run

    run(followers=followers, activities=activities, reads=reads, runs=runs)
