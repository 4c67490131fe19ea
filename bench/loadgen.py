"""HTTP load generation for the benchmarks: the Go client in bench/loadgen_go, built on first use and run
in a process of its own (never in the server's).

Why a Go program: on a 2-core machine shared with the server, Neo4j and Redis, every CPU cycle the
client spends is taken from what is measured. The asyncio client it replaced cost ~140 µs of CPU per
request; at the hybrid feed's saturation that was a fifth of the machine, at the pure-pull baseline's
about nothing, so it pulled the ratio between the two down (docs/BENCHMARKS.md, eleventh round, has the
two clients side by side). Go's standard library builds it without downloading anything, and Go is
already what `make services` builds the S3 server with.

Two shapes of load (bench/loadgen_go/main.go):
- ``fixed``: open loop at an offered rate. Latency counts from each request's *scheduled* time, so a
  server that falls behind is charged for the queue it causes (no coordinated omission).
- ``saturate``: closed loop, ``concurrency`` clients each sending the next request as soon as the last
  one answered: the throughput the server sustains."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# Requests still unanswered this long after the run's end are counted as failed.
DRAIN_SECONDS = 5.0

SOURCE_DIR = Path(__file__).parent / "loadgen_go"


@dataclass
class LoadSpec:
    url: str  # base, e.g. http://127.0.0.1:8123
    paths: list[str]  # cycled through
    tokens: list[str]  # cycled through alongside the paths
    seconds: float
    concurrency: int
    rate: float | None = None  # requests/s offered; None = saturate
    method: str = "GET"
    body: bytes = b""
    once: bool = False  # stop after one request per token (each viewer acts once: likes)


@dataclass
class LoadResult:
    ok: int = 0
    failed: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    starts: list[float] = field(default_factory=list)  # each latency's request, seconds into the phase
    elapsed: float = 0.0


class LoadGeneratorError(RuntimeError):
    """The load generator could not be built or did not run to its end."""


def binary() -> Path:
    """The built load generator, built now if its sources changed since (one binary per source hash,
    renamed into place, so concurrent callers never run a half-written file)."""
    sources = sorted(p for p in SOURCE_DIR.iterdir() if p.suffix in {".go", ".mod"})
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in sources)).hexdigest()[:12]
    target = SOURCE_DIR / "target" / f"loadgen-{digest}"
    if target.exists():
        return target
    go = shutil.which("go")  # on PATH, as `make services` needs it for the S3 server
    if go is None:
        raise LoadGeneratorError(
            "'go' is not on PATH: the benchmarks' load generator is built with Go >= 1.22"
        )
    target.parent.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as work:
        built = Path(work) / "loadgen"
        done = subprocess.run(
            [go, "build", "-trimpath", "-o", str(built), "."],
            cwd=SOURCE_DIR,
            capture_output=True,
            text=True,
            env={**os.environ, "CGO_ENABLED": "0"},
        )
        if done.returncode != 0:
            raise LoadGeneratorError(f"go build of {SOURCE_DIR} failed:\n{done.stderr}")
        os.replace(built, target)
    return target


def generate(spec: LoadSpec, drain_seconds: float = DRAIN_SECONDS) -> LoadResult:
    """Run ``spec`` in the load generator and return what it measured."""
    payload = asdict(spec) | {"body": spec.body.decode(), "drain_seconds": drain_seconds}
    done = subprocess.run(
        [str(binary())],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=spec.seconds + drain_seconds + 60,
    )
    if done.returncode != 0:
        raise LoadGeneratorError(f"load generator exited with {done.returncode}: {done.stderr.strip()}")
    out = json.loads(done.stdout)
    return LoadResult(
        ok=out["ok"],
        failed=out["failed"],
        statuses={int(status): count for status, count in out["statuses"].items()},
        latencies=out["latencies"],
        starts=out["starts"],
        elapsed=out["elapsed"],
    )


def summary(result: LoadResult) -> dict[str, Any]:
    from bench.common import latency_summary, tail_spells

    spells = tail_spells(result.starts, result.latencies)
    return {
        "ok": result.ok,
        "failed": result.failed,
        "rps": round(result.ok / result.elapsed, 1) if result.elapsed else 0.0,
        **latency_summary(result.latencies),
        "statuses": {str(k): v for k, v in sorted(result.statuses.items())},
        # When the slowest 1 % were sent (bench/common.py tail_spells): the spell count, the largest few.
        "tail_spells": len(spells),
        "largest_tail_spells": spells[:3],
    }
