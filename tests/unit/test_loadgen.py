"""The benchmarks' HTTP client (bench/loadgen_go, run through bench/loadgen.py) against a real local
socket server: answers in awkward pieces, a head that is not HTTP, a dropped connection, an open loop
that is answered and one that is not."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from bench.loadgen import LoadSpec, generate

# (what the server sends back, in separate packets) per request on a connection; [] = hang up.
Script = list[list[bytes]]
Answer = Callable[[socket.socket, bytes, bytearray], bool]


def _read_head(sock: socket.socket, pending: bytearray) -> bytes | None:
    while b"\r\n\r\n" not in pending:
        chunk = sock.recv(4096)
        if not chunk:
            return None
        pending += chunk
    end = pending.index(b"\r\n\r\n") + 4
    head = bytes(pending[:end])
    del pending[:end]
    return head


@contextmanager
def _server(answer: Answer) -> Iterator[tuple[str, list[bytes]]]:
    """A threaded TCP server calling ``answer(sock, request_head, bytes_after_it)`` per request until it
    returns False; yields its URL and the request heads it saw."""
    heads: list[bytes] = []

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            pending = bytearray()
            while (head := _read_head(self.request, pending)) is not None:
                heads.append(head)
                if not answer(self.request, head, pending):
                    return

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", heads
    finally:
        server.shutdown()
        server.server_close()


def _scripted(script: Script) -> Answer:
    answers = iter(script)

    def answer(sock: socket.socket, _: bytes, __: bytearray) -> bool:
        pieces = next(answers, [])
        for piece in pieces:
            sock.sendall(piece)
            time.sleep(0.01)  # separate packets
        return bool(pieces)

    return answer


def test_responses_in_pieces_keep_alive_and_a_hang_up() -> None:
    script = [
        [b"HTTP/1.1 200 OK\r\nContent-Le", b"ngth: 11\r\n\r\nhello", b" world"],
        [b"HTTP/1.1 204 No Content\r\nX-A: b\r\n\r\n"],
        [b"HTTP/1.1 404 Not Found\r\ncontent-length: 2\r\n\r\n{}"],
        [],  # the server hangs up instead of answering
    ]
    with _server(_scripted(script)) as (url, heads):
        result = generate(LoadSpec(url, ["/x"], ["a", "b", "c", "d"], 10, 1, once=True), drain_seconds=1)
    assert result.statuses == {200: 1, 204: 1, 404: 1}
    assert (result.ok, result.failed) == (2, 2)  # the 404 and the hang-up failed
    assert len(result.latencies) == 2
    assert len(heads) == 4  # one keep-alive connection carried all four
    assert [h.split(b"\r\n")[0] for h in heads] == [b"GET /x HTTP/1.1"] * 4
    assert [h.split(b"Authorization: Bearer ")[1].split(b"\r\n")[0] for h in heads] == [
        b"b",
        b"c",
        b"d",
        b"a",
    ]


def test_a_head_that_is_not_http_is_a_failure() -> None:
    with _server(_scripted([[b"garbage\r\n\r\n"], [b"HTTP/1.1 2x0 OK\r\n\r\n"]])) as (url, _):
        result = generate(LoadSpec(url, ["/x"], ["a", "b"], 10, 1, once=True), drain_seconds=1)
    assert (result.ok, result.failed, result.statuses) == (0, 2, {})


def test_a_body_is_sent_with_its_length() -> None:
    bodies: list[bytes] = []

    def answer(sock: socket.socket, head: bytes, pending: bytearray) -> bool:
        while len(pending) < 7:  # the body follows the head
            pending += sock.recv(4096)
        bodies.append(bytes(pending[:7]))
        del pending[:7]
        sock.sendall(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")
        return True

    with _server(answer) as (url, heads):
        spec = LoadSpec(url, ["/p"], ["t"], 10, 1, method="POST", body=b'{"a":1}', once=True)
        result = generate(spec, drain_seconds=1)
    assert (result.ok, result.statuses) == (1, {201: 1})
    assert heads[0].startswith(b"POST /p HTTP/1.1\r\n") and b"Content-Length: 7\r\n" in heads[0]
    assert bodies == [b'{"a":1}']


def _ok(sock: socket.socket, _: bytes, __: bytearray) -> bool:
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
    return True


def test_open_loop_sends_the_offered_rate() -> None:
    with _server(_ok) as (url, _):
        result = generate(LoadSpec(url, ["/x"], ["a"], 1.0, 4, rate=200.0), drain_seconds=1)
    assert result.failed == 0
    # Scheduled from the clock: as many as the second holds, whatever the sleeps' precision.
    assert 150 <= result.ok <= 201
    assert all(latency >= 0 for latency in result.latencies)


def test_open_loop_counts_what_was_never_answered_as_failed() -> None:
    def silent(sock: socket.socket, _: bytes, __: bytearray) -> bool:
        return True  # reads the request, never answers

    with _server(silent) as (url, heads):
        result = generate(LoadSpec(url, ["/x"], ["a"], 0.5, 2, rate=20.0), drain_seconds=0.5)
    assert result.ok == 0 and result.statuses == {}
    assert 8 <= result.failed <= 11  # every scheduled request: 2 in flight at the cut-off, the rest unsent
    assert len(heads) == 2
    assert result.elapsed >= 1.0  # the phase and its drain


def test_closed_loop_keeps_every_connection_busy() -> None:
    with _server(_ok) as (url, heads):
        result = generate(LoadSpec(url, ["/x", "/y"], ["a", "b", "c"], 0.5, 3), drain_seconds=1)
    assert result.failed == 0 and result.ok == len(heads) > 10
    assert {h.split(b" ")[1] for h in heads} == {b"/x", b"/y"}
