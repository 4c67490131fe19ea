"""``bench load`` against the real Neo4j: a dataset counts as loaded only once its last step recorded
the marker, so a load interrupted at any step is found and loaded again."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

import bench.common
from bench import load as bench_load
from bench.dataset import username_prefix
from core.settings import Settings
from graph.driver import Graph
from graph.queries import load_queries
from graph.repositories import bench as bench_graph

SEED = 6  # an XS dataset of this test's own


def _load(settings: Settings, fresh: bool = False) -> dict[str, Any]:
    return asyncio.run(bench_load.load(settings, "XS", SEED, fresh=fresh))


def _graph_step(settings: Settings, step: str) -> Any:
    async def go() -> Any:
        load_queries()
        graph = Graph.connect(settings)
        try:
            prefix = username_prefix("XS", SEED)
            if step == "unmark":
                return await bench_graph.unmark(graph, prefix)
            if step == "users":
                return len(await bench_graph.list_users(graph, prefix, 1_000))
            if step == "delete":
                return await bench_load.delete(graph, prefix)
            return await bench_graph.loaded_shape(graph, prefix)
        finally:
            await graph.close()

    return asyncio.run(go())


def test_an_interrupted_load_is_found_and_loaded_again(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bench.common, "RESULTS_DIR", tmp_path)
    first = _load(settings, fresh=True)
    assert first["skipped"] is False
    marker = _graph_step(settings, "marker")
    assert marker is not None and marker["users"] == 300 and marker["follows"] == first["follows"]

    assert _load(settings)["skipped"] is True  # complete: left alone

    _graph_step(settings, "unmark")  # as if the load had stopped before its last step
    again = _load(settings)
    assert again["skipped"] is False  # found partial, deleted and loaded again
    assert _graph_step(settings, "users") == 300  # not twice over
    assert _graph_step(settings, "marker") is not None
    assert _load(settings)["skipped"] is True

    _graph_step(settings, "delete")
    assert _graph_step(settings, "marker") is None and _graph_step(settings, "users") == 0
