"""Single Redis commands of concurrent requests, sent to Redis together.

A request that needs one small command (the rate-limit hit of every write) pays redis-py's whole
per-command path for it: a pool checkout, a write, a wait, a read, a release, ~70-100 µs of Python
here, far more than Redis spends on the command. Under load many requests of one process need such
a command in the same turn of the event loop. Here each of them waits for the end of that turn and
then all of them go in one pipeline: one checkout, one write, one read. Nothing waits for a timer:
a lone command is a pipeline of one, sent in the loop turn it was asked in.

Each caller still gets its own reply, or its own error (a command's error reaches its caller alone;
a lost connection reaches every caller of the pipeline)."""

from __future__ import annotations

import asyncio
from typing import Any

from redis.asyncio import Redis, RedisCluster
from redis.exceptions import NoScriptError

from cache.exchange import exchange_replies
from cache.scripts import LuaScript

# Commands per pipeline: bounds one reply's size and how long Redis runs one batch.
MAX_BATCH = 512

_Call = tuple[tuple[Any, ...], "asyncio.Future[Any]"]


class CoalescedCommands:
    """``await execute(*command)``: the reply of one command, sent in a pipeline with the commands
    other tasks asked for in the same loop turn. ``scripts`` are reloaded when Redis has lost them
    (a restart, a failover) and the commands that met NOSCRIPT are sent once more."""

    def __init__(
        self, redis: Redis | RedisCluster, scripts: tuple[LuaScript, ...] = (), max_batch: int = MAX_BATCH
    ) -> None:
        self._redis = redis
        self._scripts = scripts
        self._max_batch = max_batch
        self._pending: list[_Call] = []
        self._tasks: set[asyncio.Task[None]] = set()  # strong references: the loop keeps weak ones

    async def execute(self, *command: Any) -> Any:
        loop = asyncio.get_running_loop()
        if not self._pending:
            # Runs after every callback already queued for this turn: the requests woken with this one
            # reach their command first and join the batch.
            loop.call_soon(self._flush)
        future: asyncio.Future[Any] = loop.create_future()
        self._pending.append((command, future))
        return await future

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        for start in range(0, len(batch), self._max_batch):
            task = asyncio.create_task(self._send(batch[start : start + self._max_batch]))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _send(self, batch: list[_Call]) -> None:
        try:
            replies = await self._pipeline([command for command, _ in batch])
            lost = [i for i, reply in enumerate(replies) if isinstance(reply, NoScriptError)]
            if lost and self._scripts:
                for script in self._scripts:
                    await script.load(self._redis)
                again = await self._pipeline([batch[i][0] for i in lost])
                for i, reply in zip(lost, again, strict=True):
                    replies[i] = reply
        except Exception as exc:  # the connection failed: every caller of the batch gets the error
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        except BaseException:  # cancelled (shutdown): so are the callers' waits
            for _, future in batch:
                future.cancel()
            raise
        for (_, future), reply in zip(batch, replies, strict=True):
            if future.done():  # its request was cancelled meanwhile
                continue
            if isinstance(reply, Exception):
                future.set_exception(reply)
            else:
                future.set_result(reply)

    async def _pipeline(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        if not isinstance(self._redis, RedisCluster):  # the app's shared connection (cache/exchange.py)
            return await exchange_replies(self._redis, commands)
        async with self._redis.pipeline(transaction=False) as pipe:
            for command in commands:
                pipe.execute_command(*command)
            return list(await pipe.execute(raise_on_error=False))
