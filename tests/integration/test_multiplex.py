"""The shared multiplexed Redis connection (cache/multiplex.py) against the real Redis: many concurrent
callers on one connection each get their own replies; an error reply reaches its caller only; a
connection that stops answering or is dropped fails the callers waiting on it and is replaced; the
database is selected on connect; each event loop gets its own connection.

(The behaviour shared with the pooled path, through cache/exchange.py, is in test_exchange.py.)"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any
from urllib.parse import urlsplit

import hiredis
import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from cache.multiplex import Multiplexed
from core.settings import Settings


def _multiplexed(settings: Settings, *, timeout: float = 5.0, db: int | None = None) -> Multiplexed:
    url = urlsplit(settings.redis_url)
    database = int(url.path.strip("/") or 0) if db is None else db
    return Multiplexed(host=url.hostname or "127.0.0.1", port=url.port or 6379, db=database, timeout=timeout)


async def _run(mux: Multiplexed, *commands: tuple[Any, ...]) -> list[Any]:
    return await mux.execute([hiredis.pack_command(c) for c in commands], len(commands))


def test_concurrent_callers_share_one_connection_and_each_gets_its_own_replies(settings: Settings) -> None:
    key = f"test:mux:{uuid.uuid4().hex}"
    callers = 300

    async def go() -> list[list[Any]]:
        mux = _multiplexed(settings)
        try:
            return await asyncio.gather(
                *(_run(mux, ("ECHO", f"caller {i}"), ("INCR", key), ("CLIENT", "ID")) for i in range(callers))
            )
        finally:
            await _run(mux, ("DEL", key))
            mux.close()

    replies = asyncio.run(go())
    assert [r[0] for r in replies] == [f"caller {i}".encode() for i in range(callers)]
    assert sorted(r[1] for r in replies) == list(range(1, callers + 1))  # each INCR seen by one caller
    assert len({r[2] for r in replies}) == 1  # all on one connection


def test_a_request_without_commands_takes_no_ones_replies(settings: Settings) -> None:
    async def go() -> list[list[Any]]:
        mux = _multiplexed(settings)
        try:
            return list(
                await asyncio.gather(_run(mux), _run(mux, ("ECHO", "a")), _run(mux), _run(mux, ("ECHO", "b")))
            )
        finally:
            mux.close()

    assert asyncio.run(go()) == [[], [b"a"], [], [b"b"]]


def test_an_error_reply_reaches_its_caller_only(settings: Settings) -> None:
    key = f"test:mux:{uuid.uuid4().hex}"

    async def go() -> tuple[list[Any], list[Any], list[Any]]:
        mux = _multiplexed(settings)
        try:
            await _run(mux, ("SET", key, "text"))
            before, failing, after = await asyncio.gather(
                _run(mux, ("ECHO", "before")),
                _run(mux, ("HGET", key, "f"), ("EVALSHA", "0" * 40, 0), ("ECHO", "same caller")),
                _run(mux, ("ECHO", "after")),
            )
            return before, failing, after
        finally:
            await _run(mux, ("DEL", key))
            mux.close()

    before, failing, after = asyncio.run(go())
    assert before == [b"before"] and after == [b"after"]
    wrong_type, no_script, echoed = failing
    assert isinstance(wrong_type, ResponseError) and "WRONGTYPE" in str(wrong_type)
    assert isinstance(no_script, NoScriptError)  # redis-py's class: cache/scripts.py loads on it
    assert echoed == b"same caller"


def test_no_reply_within_the_timeout_fails_the_waiting_callers_and_the_next_call_reconnects(
    settings: Settings,
) -> None:
    key = f"test:mux:{uuid.uuid4().hex}"

    async def go() -> tuple[tuple[BaseException | list[Any], ...], int, int]:
        mux = _multiplexed(settings, timeout=0.3)
        try:
            (first_id,) = await _run(mux, ("CLIENT", "ID"))
            # A command Redis holds for 2 s, and one queued behind it.
            waited = await asyncio.gather(
                _run(mux, ("BLPOP", key, 2)), _run(mux, ("ECHO", "behind")), return_exceptions=True
            )
            (second_id,) = await _run(mux, ("CLIENT", "ID"))
            return waited, first_id, second_id
        finally:
            mux.close()

    waited, first_id, second_id = asyncio.run(go())
    assert all(isinstance(w, RedisTimeoutError) for w in waited), waited
    assert second_id != first_id


def test_a_dropped_connection_fails_its_waiting_callers_and_is_replaced(settings: Settings) -> None:
    key = f"test:mux:{uuid.uuid4().hex}"

    async def go() -> tuple[BaseException | list[Any], int, int]:
        mux = _multiplexed(settings)
        other = Redis.from_url(settings.redis_url)
        try:
            (first_id,) = await _run(mux, ("CLIENT", "ID"))
            waiting = asyncio.ensure_future(_run(mux, ("BLPOP", key, 5)))
            await asyncio.sleep(0.2)
            await other.client_kill_filter(_id=first_id)  # as a restart would
            outcome = (await asyncio.gather(waiting, return_exceptions=True))[0]
            (second_id,) = await _run(mux, ("CLIENT", "ID"))
            return outcome, first_id, second_id
        finally:
            mux.close()
            await other.aclose()

    outcome, first_id, second_id = asyncio.run(go())
    assert isinstance(outcome, RedisConnectionError)
    assert second_id != first_id


def test_the_database_is_selected_on_connect(settings: Settings) -> None:
    key = f"test:mux:{uuid.uuid4().hex}"
    url = urlsplit(settings.redis_url)
    database = int(url.path.strip("/") or 0)
    other_db = 14 if database != 14 else 13

    async def go() -> tuple[bytes | str | None, bytes | str | None]:
        mux = _multiplexed(settings, db=other_db)
        plain = Redis.from_url(settings.redis_url)
        chosen = Redis.from_url(settings.redis_url.rsplit("/", 1)[0] + f"/{other_db}")
        try:
            await _run(mux, ("SET", key, "here", "EX", 60))
            return await plain.get(key), await chosen.get(key)
        finally:
            await chosen.delete(key)
            mux.close()
            await plain.aclose()
            await chosen.aclose()

    in_settings_db, in_chosen_db = asyncio.run(go())
    assert in_settings_db is None and in_chosen_db == b"here"


def test_a_failed_setup_command_is_raised_and_leaves_no_connection(settings: Settings) -> None:
    url = urlsplit(settings.redis_url)
    mux = Multiplexed(host=url.hostname or "127.0.0.1", port=url.port or 6379, db=100_000, timeout=5)

    async def go() -> None:
        try:
            with pytest.raises(ResponseError):  # no such database
                await _run(mux, ("PING",))
            with pytest.raises(ResponseError):  # tried again, not used half set up
                await _run(mux, ("PING",))
        finally:
            mux.close()

    asyncio.run(go())


def test_each_event_loop_gets_its_own_connection(settings: Settings) -> None:
    mux = _multiplexed(settings)
    try:
        first = asyncio.run(_run(mux, ("ECHO", "first loop")))
        second = asyncio.run(_run(mux, ("ECHO", "second loop")))
    finally:
        mux.close()
    assert (first, second) == ([b"first loop"], [b"second loop"])
