"""HTTP load generation for the benchmarks, run in processes of their own (never in the server's).

A minimal keep-alive HTTP/1.1 client on asyncio streams: on a 2-core machine shared with the server,
Neo4j and Redis, every CPU cycle the client spends is taken from what is measured, and a general client
(httpx) costs several times more per request than these few lines.

Two shapes of load:
- ``fixed``: open loop at an offered rate. Latency counts from each request's *scheduled* time, so a
  server that falls behind is charged for the queue it causes (no coordinated omission).
- ``saturate``: closed loop, ``concurrency`` clients each sending the next request as soon as the last
  one answered: the throughput the server sustains."""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import time
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import urlsplit

import uvloop

# Requests still unanswered this long after the run's end are counted as failed.
DRAIN_SECONDS = 5.0


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
    elapsed: float = 0.0

    def merge(self, other: LoadResult) -> None:
        self.ok += other.ok
        self.failed += other.failed
        for status, count in other.statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + count
        self.latencies.extend(other.latencies)
        self.elapsed = max(self.elapsed, other.elapsed)


class _Response(asyncio.Protocol):
    """One keep-alive connection's side of the exchange: bytes in, one (status, body length) answer
    out per request. A protocol rather than asyncio streams: readuntil/readexactly cost the client
    ~50 µs per request, taken from the server it measures."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._waiter: asyncio.Future[int] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not an asyncio.Transport subclass

    def expect(self) -> asyncio.Future[int]:
        self._waiter = asyncio.get_running_loop().create_future()
        return self._waiter

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0 or self._waiter is None:
            return
        try:
            status, length = _status_and_length(bytes(self._buffer[:end]))
        except ValueError as exc:  # not HTTP: fail this request, drop the connection
            self._fail(exc)
            return
        if len(self._buffer) < end + 4 + length:
            return  # the body is still coming
        del self._buffer[: end + 4 + length]
        waiter, self._waiter = self._waiter, None
        if not waiter.done():
            waiter.set_result(status)

    def _fail(self, exc: Exception) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(exc)
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(exc or ConnectionResetError("connection closed"))


def _status_and_length(head: bytes) -> tuple[int, int]:
    """The status code and Content-Length of a response head (no body: length 0)."""
    status = int(head[9:12])
    lowered = head.lower()
    at = lowered.find(b"\r\ncontent-length:")
    if at < 0:
        return status, 0
    stop = lowered.find(b"\r\n", at + 2)
    return status, int(lowered[at + 17 : stop if stop >= 0 else len(lowered)])


class _Connection:
    def __init__(self, host: str, port: int) -> None:
        self._host, self._port = host, port
        self._protocol: _Response | None = None

    async def open(self) -> None:
        """Connect now if not connected (a dropped connection is reopened by the next request)."""
        if self._protocol is None or self._protocol.transport is None:
            _, self._protocol = await asyncio.get_running_loop().create_connection(
                _Response, self._host, self._port
            )

    async def request(self, method: str, path: str, token: str, body: bytes) -> int:
        await self.open()
        protocol = self._protocol
        assert protocol is not None
        assert protocol.transport is not None
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self._host}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        answer = protocol.expect()
        try:
            protocol.transport.write(head.encode() + body)
            return await answer
        except (OSError, ValueError):
            self.close()
            raise

    def close(self) -> None:
        if self._protocol is not None and self._protocol.transport is not None:
            self._protocol.transport.close()
        self._protocol = None


async def _run(spec: LoadSpec) -> LoadResult:
    parts = urlsplit(spec.url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    result = LoadResult()
    counter = 0

    def next_request() -> tuple[str, str] | None:
        nonlocal counter
        if spec.once and counter >= len(spec.tokens):
            return None
        counter += 1
        return spec.paths[counter % len(spec.paths)], spec.tokens[counter % len(spec.tokens)]

    async def one(conn: _Connection, scheduled: float) -> bool:
        """One request; False once there is nothing left to send."""
        request = next_request()
        if request is None:
            return False
        path, token = request
        try:
            status = await conn.request(spec.method, path, token, spec.body)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            result.failed += 1
            return True
        result.statuses[status] = result.statuses.get(status, 0) + 1
        if 200 <= status < 300:
            result.ok += 1
            result.latencies.append(time.perf_counter() - scheduled)
        else:
            result.failed += 1
        return True

    # Every connection is open before the clock starts, as a client fleet's keep-alive connections are:
    # opened during the phase, 64 connections in its first 64 ms were charged to its first requests.
    # One that fails to open is tried again by its first request (and counted there if it fails).
    connections = [_Connection(host, port) for _ in range(spec.concurrency)]
    await asyncio.gather(*(conn.open() for conn in connections), return_exceptions=True)
    start = time.perf_counter()
    deadline = start + spec.seconds
    if spec.rate is None:

        async def closed_loop(conn: _Connection) -> None:
            while time.perf_counter() < deadline and await one(conn, time.perf_counter()):
                pass
            conn.close()

        await asyncio.gather(*(closed_loop(conn) for conn in connections))
    else:
        queue: asyncio.Queue[float] = asyncio.Queue()
        interval = 1.0 / spec.rate

        async def open_loop_client(conn: _Connection) -> None:
            while (scheduled := await queue.get()) >= 0:
                await one(conn, scheduled)
            conn.close()

        clients = [asyncio.create_task(open_loop_client(conn)) for conn in connections]
        sent = 0
        while (now := time.perf_counter()) < deadline:
            due = int((now - start) / interval) + 1
            for i in range(sent, due):
                queue.put_nowait(start + i * interval)
            sent = due
            await asyncio.sleep(min(interval, 0.002))
        for _ in clients:
            queue.put_nowait(-1.0)
        _, pending = await asyncio.wait(clients, timeout=DRAIN_SECONDS)
        for task in pending:
            task.cancel()
        result.failed += queue.qsize()  # scheduled, never sent
    result.elapsed = time.perf_counter() - start
    return result


def _run_in_process(spec: LoadSpec) -> LoadResult:
    # A spawned client process starts by importing its parent's main module (for `feedgraph bench`,
    # the CLI and the app behind it): ~100k objects that a full collection walked in ~40 ms, a stall
    # charged to every request in flight (measured: one at ~3 s into each 8 s phase, the client's own
    # event loop late by 33-51 ms). Frozen, they are out of the collector's reach.
    gc.collect()
    gc.freeze()
    return uvloop.run(_run(spec))


def generate(spec: LoadSpec, processes: int = 1) -> LoadResult:
    """Run ``spec`` split over ``processes`` client processes (rate and concurrency divided among them)."""
    processes = max(1, processes)
    parts = [
        LoadSpec(
            spec.url,
            spec.paths[i::processes] or spec.paths,
            spec.tokens[i::processes] or spec.tokens,
            spec.seconds,
            max(1, spec.concurrency // processes),
            None if spec.rate is None else spec.rate / processes,
            spec.method,
            spec.body,
            spec.once,
        )
        for i in range(processes)
    ]
    context = multiprocessing.get_context("spawn")  # no fork of a parent holding clients and loops
    with context.Pool(processes) as pool:
        results = pool.map(_run_in_process, parts)
    merged = LoadResult()
    for part in results:
        merged.merge(part)
    return merged


def summary(result: LoadResult) -> dict[str, Any]:
    from bench.common import latency_summary

    return {
        "ok": result.ok,
        "failed": result.failed,
        "rps": round(result.ok / result.elapsed, 1) if result.elapsed else 0.0,
        **latency_summary(result.latencies),
        "statuses": {str(k): v for k, v in sorted(result.statuses.items())},
    }
