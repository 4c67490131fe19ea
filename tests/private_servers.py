"""Servers of a test's own, for tests that stop, restart or isolate one: free ports, waiting for a port
to open, an ASGI app under a real uvicorn (as `feedgraph serve` runs it), and a private redis-server
(the binary `make services` installs)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from api.serving import CoalescingHttpToolsProtocol


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, process: subprocess.Popen[bytes], seconds: float, what: str) -> None:
    """Until ``process`` listens on ``port``; an error if it exits first or the time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not open port {port} within {seconds:.0f}s")


@contextmanager
def uvicorn_serving(app: Any, seconds: float = 30, **config: Any) -> Iterator[int]:
    """``app`` served by uvicorn in a thread on a free port, with the protocol `feedgraph serve` uses
    (api/serving.py); yields the port once the server has started, and stops it afterwards."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, http=CoalescingHttpToolsProtocol, log_level="warning", **config
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + seconds
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(seconds)


class PrivateRedis:
    """A real redis-server of the test's own, so that stopping it does not disturb the rest of the
    suite. With ``workdir`` it keeps an append-only file there, so a restart brings its data back;
    without, nothing is persisted."""

    def __init__(self, workdir: Path | None = None) -> None:
        self.port = free_port()
        self._workdir = workdir
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is installed by `make services`"
        persistence = ["--appendonly", "no"]
        if self._workdir is not None:
            persistence = ["--appendonly", "yes", "--dir", str(self._workdir)]
        command = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", *persistence]
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        wait_for_port(self.port, self._process, 20, "private redis-server")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=20)
            self._process = None
