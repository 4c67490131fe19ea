"""How uvicorn writes responses: one socket write per response instead of one for the head and one for
the body.

uvicorn's HTTP protocol writes a response's status line and headers as soon as the app sends
``http.response.start``, and the body on ``http.response.body``: two ``send`` calls, two TCP segments,
and for the client two wake-ups, for every feed page (py-spy on a worker at saturation: the two writes
~11 % of its samples, the first one 8.6 %). The app sends both messages in the same step of its task, so
holding what is written until the end of the event loop's current iteration joins them without waiting
on anything. Streams (server-sent events) still go out chunk by chunk, each at most one loop iteration
later; a close sends what is held first."""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class _CoalescingTransport:
    """A transport whose writes within one event loop iteration leave as one; everything else is the
    wrapped transport's."""

    __slots__ = ("_loop", "_pending", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(bytes(data))  # a caller may reuse its buffer

    def writelines(self, chunks: Any) -> None:
        for chunk in chunks:
            self.write(chunk)

    def _flush(self) -> None:
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        if not self._transport.is_closing():
            self._transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def abort(self) -> None:
        self._pending = []
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol writing each response in one piece (``uvicorn.run(http=...)``)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_CoalescingTransport(transport, self.loop))  # type: ignore[arg-type]
