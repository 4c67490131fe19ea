"""uvicorn with api/serving.py's protocol, on a real socket: each response leaves in one write, and
nothing about HTTP changes (keep-alive, streams, closing, WebSockets)."""

from __future__ import annotations

import asyncio
import socket
from contextlib import AbstractContextManager
from typing import Any

import pytest
import websockets.sync.client

from api.serving import _CoalescingTransport
from tests.private_servers import uvicorn_serving

Scope = dict[str, Any]


async def _app(scope: Scope, receive: Any, send: Any) -> None:
    if scope["type"] == "websocket":
        await receive()  # connect
        await send({"type": "websocket.accept"})
        message = await receive()
        await send({"type": "websocket.send", "text": f"echo {message['text']}"})
        await send({"type": "websocket.close"})
        return
    if scope["type"] != "http":
        return
    if scope["path"] == "/stream":  # three chunks with a pause between: each goes out by itself
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]}
        )
        for chunk in (b"one ", b"two ", b"three"):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await asyncio.sleep(0.05)
        await send({"type": "http.response.body", "body": b""})
        return
    body = b'{"path":"' + scope["path"].encode() + b'"}'
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _serving() -> AbstractContextManager[int]:
    return uvicorn_serving(_app, seconds=10, lifespan="off")


def _read_response(sock: socket.socket) -> tuple[bytes, bytes]:
    """(head, body) of one Content-Length or chunked response."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, rest = data.split(b"\r\n\r\n", 1)
    lowered = head.lower()
    if b"content-length:" in lowered:
        length = int(lowered.split(b"content-length:")[1].split(b"\r\n")[0])
        while len(rest) < length:
            rest += sock.recv(65536)
        return head, rest
    while not rest.endswith(b"0\r\n\r\n"):
        rest += sock.recv(65536)
    return head, rest


def test_keep_alive_responses_are_whole() -> None:
    with _serving() as port, socket.create_connection(("127.0.0.1", port)) as sock:
        for path in ("/a", "/b"):
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            head, body = _read_response(sock)
            assert head.startswith(b"HTTP/1.1 200 OK")
            assert body == b'{"path":"' + path.encode() + b'"}'


def test_a_stream_goes_out_chunk_by_chunk() -> None:
    with _serving() as port, socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
        first = b""
        while b"one " not in first:  # the first chunk arrives before the others are sent
            first += sock.recv(65536)
        assert b"three" not in first
        head, body = _read_response_rest(sock, first)
        assert b"transfer-encoding: chunked" in head.lower()
        assert b"three" in body and body.endswith(b"0\r\n\r\n")


def _read_response_rest(sock: socket.socket, data: bytes) -> tuple[bytes, bytes]:
    head, rest = data.split(b"\r\n\r\n", 1)
    while not rest.endswith(b"0\r\n\r\n"):
        rest += sock.recv(65536)
    return head, rest


def test_connection_close_sends_the_whole_response_first() -> None:
    with _serving() as port, socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
        assert data.startswith(b"HTTP/1.1 200 OK") and data.endswith(b'{"path":"/last"}')


def test_websockets_work_through_the_transport() -> None:
    with _serving() as port, websockets.sync.client.connect(f"ws://127.0.0.1:{port}/ws") as ws:
        ws.send("hi")
        assert ws.recv(timeout=5) == "echo hi"


class _Recorder(asyncio.Transport):
    """What a transport was asked to do (the socket itself is what the tests above exercise)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, bytes]] = []
        self.closing = False

    def write(self, data: Any) -> None:
        self.calls.append(("write", bytes(data)))

    def close(self) -> None:
        self.calls.append(("close", b""))
        self.closing = True

    def abort(self) -> None:
        self.calls.append(("abort", b""))
        self.closing = True

    def is_closing(self) -> bool:
        return self.closing


@pytest.mark.parametrize("ending", ["iteration", "close", "abort"])
def test_writes_in_one_iteration_leave_as_one(ending: str) -> None:
    async def scenario() -> list[tuple[str, bytes]]:
        recorder = _Recorder()
        transport = _CoalescingTransport(recorder, asyncio.get_running_loop())
        transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
        transport.write(memoryview(b"body"))
        assert recorder.calls == []  # held until the iteration ends
        if ending == "close":
            transport.close()
        elif ending == "abort":
            transport.abort()
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        return recorder.calls

    calls = asyncio.run(scenario())
    expected = {
        "iteration": [("write", b"HTTP/1.1 200 OK\r\n\r\nbody")],
        "close": [("write", b"HTTP/1.1 200 OK\r\n\r\nbody"), ("close", b"")],
        "abort": [("abort", b"")],  # an abort drops what was not sent, as the transport's own does
    }
    assert calls == expected[ending]
