"""Server-side Lua scripts from ``cache/lua/``, each registered once and run by EVALSHA.

Every script touches exactly one key, so it runs unchanged on a Redis Cluster."""

from __future__ import annotations

from pathlib import Path

from redis.asyncio import Redis, RedisCluster
from redis.commands.core import AsyncScript

LUA_DIR = Path(__file__).resolve().parent / "lua"
_PRELUDE = (LUA_DIR / "_compare.lua").read_text(encoding="utf-8")


def load_script(redis: Redis | RedisCluster, name: str) -> AsyncScript:
    """The script ``cache/lua/<name>.lua`` with the shared helpers prepended."""
    body = (LUA_DIR / f"{name}.lua").read_text(encoding="utf-8")
    return redis.register_script(_PRELUDE + "\n" + body)
