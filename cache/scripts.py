"""Server-side Lua scripts from ``cache/lua/``, run by EVALSHA.

Every script touches keys of one hash slot only (one key, or keys sharing a hash tag), so it runs
unchanged on a Redis Cluster; the one exception, the timeline push, says why and how it stays safe.
Scripts are loaded on every primary up front (SCRIPT LOAD goes to all primaries of a cluster); should
a server lose its script cache (restart, failover), a NOSCRIPT error reloads them and the call is
retried once."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from redis.asyncio import Redis, RedisCluster
from redis.exceptions import NoScriptError, ResponseError

LUA_DIR = Path(__file__).resolve().parent / "lua"
_PRELUDE = (LUA_DIR / "_compare.lua").read_text(encoding="utf-8")

T = TypeVar("T")


class LuaScript:
    """The script ``cache/lua/<name>.lua`` with the shared helpers prepended (after its shebang line,
    which must stay first: Redis reads a script's flags from it)."""

    def __init__(self, name: str) -> None:
        self.name = name
        text = (LUA_DIR / f"{name}.lua").read_text(encoding="utf-8")
        shebang, body = text.split("\n", 1) if text.startswith("#!") else ("", text)
        self.source = (shebang + "\n" if shebang else "") + _PRELUDE + "\n" + body
        self.sha = hashlib.sha1(self.source.encode()).hexdigest()

    async def load(self, redis: Redis | RedisCluster) -> None:
        await redis.script_load(self.source)


async def with_scripts(
    redis: Redis | RedisCluster, scripts: tuple[LuaScript, ...], call: Callable[[], Awaitable[T]]
) -> T:
    """Run ``call``; if Redis no longer knows a script, load them all and run it once more."""
    try:
        return await call()
    except (NoScriptError, ResponseError) as exc:
        if not isinstance(exc, NoScriptError) and "NOSCRIPT" not in str(exc):
            raise
        for script in scripts:
            await script.load(redis)
        return await call()
