"""One Redis connection shared by every concurrent request of a process: commands are written as they
come, replies are matched to their callers in order (Redis answers a connection's commands in the
order it read them).

The feed read's two exchanges (the home page script, then the cards and the viewer's flags) run on
every request. Through a pooled connection each costs a pool checkout and release, a timeout scope
around each write and read, the stream reader's buffering and a write system call of its own; and
Redis, which reads and answers each connection separately, pays its read and write system calls per
command. Here a request's commands are appended to the connection's output, the output of every
request that reached Redis in one turn of the event loop leaves in one write, and one read hands back
whatever replies arrived, to whoever waits for them.

aioredis 1.x worked this way; it is unmaintained (its successor is redis-py, which pools instead), so
this module does the multiplexing itself and leaves the protocol to hiredis (its C reply parser, as
redis-py's) and the error classes to redis-py.

Failure: a lost connection fails every caller waiting on it with ``ConnectionError`` and the next call
connects again. When the oldest unanswered command has waited longer than the timeout and Redis has
sent nothing for as long (a socket timeout's rule), every waiting caller gets ``TimeoutError`` and
the connection is dropped (later replies could no longer be matched to anyone). A caller that gives
up (cancelled) keeps its place in the queue: its replies are read and dropped, so the connection
stays in step. Standalone Redis only: a cluster routes per command."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence
from typing import Any

import hiredis
from redis._parsers.base import BaseParser
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError


class _Request:
    """One caller's commands in the queue: how many replies it waits for, and those read so far."""

    __slots__ = ("deadline", "expected", "future", "replies")

    def __init__(self, future: asyncio.Future[list[Any]], expected: int, deadline: float) -> None:
        self.future = future
        self.expected = expected
        self.replies: list[Any] = []
        self.deadline = deadline


class _Protocol(asyncio.Protocol):
    """The connection's side of the exchange: output gathered per loop turn, replies handed out in order."""

    def __init__(self, timeout: float) -> None:
        self.loop = asyncio.get_running_loop()
        self._timeout = timeout
        # Error replies become redis-py's exception classes (NOSCRIPT -> NoScriptError, ...): returned
        # as values, raised to their caller only.
        self._reader = hiredis.Reader(replyError=BaseParser.parse_error)
        self._queue: deque[_Request] = deque()
        self._output: list[bytes] = []
        self._transport: asyncio.Transport | None = None
        self._watchdog: asyncio.TimerHandle | None = None
        self._last_data = self.loop.time()
        self.lost: BaseException | None = None
        self.ready: asyncio.Future[None] = self.loop.create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]  # uvloop's is no asyncio.Transport subclass
        self.ready.set_result(None)

    def send(self, packed: Sequence[bytes], expected: int) -> asyncio.Future[list[Any]]:
        if self.lost is not None or self._transport is None:
            raise RedisConnectionError(f"Redis connection lost: {self.lost}")
        future: asyncio.Future[list[Any]] = self.loop.create_future()
        self._queue.append(_Request(future, expected, self.loop.time() + self._timeout))
        if not self._output:
            self.loop.call_soon(self._flush)
        self._output.extend(packed)
        if self._watchdog is None:
            self._watchdog = self.loop.call_at(self._queue[0].deadline, self._check_deadline)
        return future

    def _flush(self) -> None:
        if self._transport is not None and self._output:
            self._transport.write(b"".join(self._output))
        self._output.clear()

    def data_received(self, data: bytes) -> None:
        reader, queue = self._reader, self._queue
        self._last_data = self.loop.time()
        reader.feed(data)
        while (reply := reader.gets()) is not False:
            if not queue:  # a reply nobody asked for: the stream is out of step
                self._abort(RedisConnectionError("Redis sent a reply nobody was waiting for"))
                return
            request = queue[0]
            request.replies.append(reply)
            if len(request.replies) == request.expected:
                queue.popleft()
                if not request.future.done():  # a cancelled caller's replies are dropped
                    request.future.set_result(request.replies)

    def _check_deadline(self) -> None:
        self._watchdog = None
        if not self._queue:
            return
        # Replies still arriving (a long queue, a loop busy with other work) are no dead server: as a
        # socket timeout, it takes a timeout's silence after the last data as well.
        due = max(self._queue[0].deadline, self._last_data + self._timeout)
        if due <= self.loop.time():
            self._abort(RedisTimeoutError(f"no reply from Redis within {self._timeout:g} s"))
        else:
            self._watchdog = self.loop.call_at(due, self._check_deadline)

    def _abort(self, error: BaseException) -> None:
        self._fail_all(error)
        if self._transport is not None:
            self._transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail_all(RedisConnectionError(f"Redis connection lost: {exc or 'closed'}"))
        self._transport = None
        if not self.ready.done():
            self.ready.set_exception(RedisConnectionError("Redis closed the connection"))

    def _fail_all(self, error: BaseException) -> None:
        if self.lost is None:
            self.lost = error
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        while self._queue:
            request = self._queue.popleft()
            if not request.future.done():
                request.future.set_exception(error)

    def close(self) -> None:
        if self._transport is not None and not self.loop.is_closed():
            self._transport.close()


class Multiplexed:
    """A process's shared connection to a standalone Redis (connected on first use and after a loss)."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        db: int = 0,
        username: str | None = None,
        password: str | None = None,
        timeout: float,
    ) -> None:
        self._address = (host, port)
        self._setup = _setup_commands(db, username, password)
        self._timeout = timeout
        self._protocol: _Protocol | None = None
        self._connecting: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def execute(self, packed: Sequence[bytes], expected: int) -> list[Any]:
        """The ``expected`` replies to the commands ``packed`` (RESP, as ``hiredis.pack_command`` makes
        them), error replies among them as exception instances, not raised. No blocking commands: every
        caller after one would wait for it."""
        if expected <= 0:  # nothing to wait for: a request without replies would take the next one's
            return []
        protocol = self._protocol
        if protocol is None or protocol.lost is not None or protocol.loop is not asyncio.get_running_loop():
            protocol = await self._connect()
        return await protocol.send(packed, expected)

    async def _connect(self) -> _Protocol:
        loop = asyncio.get_running_loop()
        if self._connecting is None or self._loop is not loop:
            # A connection belongs to its event loop: in another (a test's, a CLI command's) start over.
            self._connecting, self._loop, self._protocol = asyncio.Lock(), loop, None
        async with self._connecting:
            current = self._protocol
            if current is not None and current.lost is None:
                return current  # another caller connected meanwhile
            timeout = self._timeout
            try:
                _, protocol = await asyncio.wait_for(
                    loop.create_connection(lambda: _Protocol(timeout), *self._address), timeout
                )
                await protocol.ready
            except (TimeoutError, OSError) as exc:
                raise RedisConnectionError(f"cannot connect to Redis at {self._address}: {exc!r}") from exc
            if self._setup:  # before anyone's commands: the others wait for the lock
                packed = [hiredis.pack_command(command) for command in self._setup]
                for reply in await protocol.send(packed, len(packed)):
                    if isinstance(reply, Exception):
                        protocol.close()
                        raise reply
            self._protocol = protocol
            return protocol

    def close(self) -> None:
        if self._protocol is not None:
            self._protocol.close()
            self._protocol = None


def _setup_commands(db: int, username: str | None, password: str | None) -> list[tuple[Any, ...]]:
    commands: list[tuple[Any, ...]] = []
    if password:
        commands.append(("AUTH", username, password) if username else ("AUTH", password))
    if db:
        commands.append(("SELECT", db))
    return commands
