"""The benchmarks' HTTP client (bench/loadgen.py) against a real local socket server that answers in
awkward pieces: a head split mid-line, a body split, no Content-Length, then a dropped connection."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
import uvloop

from bench.loadgen import _Connection, _status_and_length


async def _exchange() -> list[int | str]:
    answers = [
        [b"HTTP/1.1 200 OK\r\nContent-Le", b"ngth: 11\r\n\r\nhello", b" world"],
        [b"HTTP/1.1 204 No Content\r\nX-A: b\r\n\r\n"],
        [b"HTTP/1.1 404 Not Found\r\ncontent-length: 2\r\n\r\n{}"],
        [],  # the server hangs up instead of answering
    ]

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for pieces in answers:
            await reader.readuntil(b"\r\n\r\n")
            if not pieces:
                break
            for piece in pieces:
                writer.write(piece)
                await writer.drain()
                await asyncio.sleep(0.01)  # separate packets
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    connection = _Connection("127.0.0.1", port)
    seen: list[int | str] = []
    try:
        for _ in answers:
            try:
                seen.append(await asyncio.wait_for(connection.request("GET", "/x", "t", b""), 10))
            except OSError as exc:
                seen.append(type(exc).__name__)
    finally:
        connection.close()
        server.close()
        await server.wait_closed()
    return seen


@pytest.mark.parametrize("run", [asyncio.run, uvloop.run], ids=["asyncio", "uvloop"])
def test_responses_in_pieces_keep_alive_and_a_hang_up(run: Callable[[Any], list[int | str]]) -> None:
    seen = run(_exchange())  # the benchmarks run it on uvloop
    assert seen[:3] == [200, 204, 404]
    assert isinstance(seen[3], str)  # the hang-up is an error for that request, not a hang


@pytest.mark.parametrize("head", [b"garbage", b"HTTP/1.1 2x0 OK"])
def test_a_head_that_is_not_http_is_an_error(head: bytes) -> None:
    with pytest.raises(ValueError):
        _status_and_length(head)
