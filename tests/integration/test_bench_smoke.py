"""Every benchmark command runs end to end on a tiny dataset (``make bench-smoke``), so the benchmark
code cannot rot. Only outcomes are asserted (exit status, result files, exact like counts): never
timings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.feed_read import TOP_UP_ROUNDS

ROOT = Path(__file__).resolve().parents[2]
SMOKE_COMMANDS: dict[str, list[str]] = {
    "load-XS": ["load", "--size", "XS", "--seed", "5"],
    "feed-XS": [
        "feed",
        "--size",
        "XS",
        "--seed",
        "5",
        "--runs",
        "1",
        "--seconds",
        "1",
        "--rate",
        "20",
        "--viewers",
        "10",
        "--concurrency",
        "4",
        "--workers",
        "1",
        "--like-rate",
        "10",
    ],
    "growth": [
        "growth",
        "--sizes",
        "XS",
        "--seed",
        "5",
        "--runs",
        "1",
        "--seconds",
        "1",
        "--rate",
        "20",
        "--viewers",
        "10",
    ],
    "fanout": [
        "fanout",
        "--followers",
        "30",
        "--runs",
        "1",
        "--timelines",
        "200",
        "--entries",
        "2",
        "--cluster-timelines",
        "200",
    ],
    "memory": ["memory", "--timelines", "2"],
    "viral": ["viral", "--likers", "40", "--runs", "1", "--concurrency", "4", "--rates", "10,20"],
    "stream-framework": [
        "stream-framework",
        "--followers",
        "30",
        "--activities",
        "2",
        "--reads",
        "20",
        "--runs",
        "1",
    ],
}


@pytest.fixture(scope="module")
def results_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bench-results")


def _bench(results_dir: Path, args: list[str]) -> dict[str, object]:
    env = {**os.environ, "FEEDGRAPH_BENCH_RESULTS": str(results_dir)}
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "bench", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return {"stdout": done.stdout}


@pytest.mark.parametrize("name", list(SMOKE_COMMANDS))
def test_bench_command_runs_and_writes_its_result(results_dir: Path, name: str) -> None:
    if name != "load-XS":  # every benchmark but the load needs the dataset
        _bench(results_dir, SMOKE_COMMANDS["load-XS"])
    _bench(results_dir, SMOKE_COMMANDS[name])
    document = json.loads((results_dir / f"{name}-latest.json").read_text())
    assert document["benchmark"] == name
    assert document["results"]
    if name == "viral":
        assert document["results"]["all_exact"] is True
        assert document["results"]["runs"][0]["final_like_count"] == 40
        for fixed_rate in document["results"]["fixed"]:  # 10 then 20 likes/s, at most 40 / 20 s each
            fixed = fixed_rate["runs"][0]
            assert fixed["failed"] == 0 and fixed["ok"] == fixed["final_like_count"] > 0
    if name == "fanout":  # the timelines' Redis (no persistence) beside the durable one, same run
        raw = document["results"]["raw"]
        assert raw["redis"] == "caches (no persistence)" and raw["runs"][0]["in_order"]["inserts"] > 0
        assert document["results"]["raw_durable"]["runs"][0]["in_order"]["inserts"] > 0
    if name == "feed-XS":
        median = document["results"]["median"]
        assert median["hybrid_saturate"]["failed"] == 0 and median["pull_saturate"]["failed"] == 0
        assert median["hybrid_saturate"]["rps"] > 0
        churn = median["hybrid_churn"]  # the hybrid feed saturated again while viewers like posts
        assert churn["failed"] == 0 and churn["likes_failed"] == 0 and churn["likes_rps"] > 0
        assert median["pace_ms"] > 0  # the spell the run was measured in (bench/common.py pace_ms)
        # Every hybrid read was served from the page memo or made, as the API processes published
        # (bench/app.py); the first phase follows a top-up, so some were served from the memo.
        run = document["results"]["runs"][0]
        for phase in ("hybrid_fixed", "hybrid_saturate", "hybrid_churn"):
            assert run[phase]["memo_hits"] + run[phase]["pages_made"] == run[phase]["ok"] > 0
        assert run["hybrid_fixed"]["memo_hits"] > 0
        assert 1 <= run["hybrid_fixed"]["top_up_rounds"] <= TOP_UP_ROUNDS
        # When the slowest 1 % of the saturation's requests were sent (bench/common.py tail_spells).
        spells = run["hybrid_saturate"]["largest_tail_spells"]
        assert run["hybrid_saturate"]["tail_spells"] >= len(spells) >= 1
    if name == "growth":
        assert document["results"]["median"]["XS"]["pace_ms"] > 0
        assert document["results"]["median"]["XS"]["made"]["pace_ms"] > 0
        served, made = (document["results"]["runs"][0][path]["XS"] for path in ("served", "made"))
        assert served["memo_hits"] + served["pages_made"] == served["ok"] > 0
        # The second server keeps no page: every read made its page afresh.
        assert made["pages_made"] == made["ok"] > 0 and made["memo_hits"] == 0
