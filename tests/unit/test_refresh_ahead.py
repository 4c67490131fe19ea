"""The background refresher's own rules (feed/refresh_ahead.py), with a recording refresh function in
place of the graph and Redis (the real refreshes are tested in tests/integration/test_card_refresh.py):
batches of at most ``batch``, the first value seen kept, a key being refreshed not queued again, the
waiting list bounded, and after a failure notices ignored for the pause and the waiting list dropped."""

from __future__ import annotations

import asyncio

from feed.refresh_ahead import RefreshAhead


class Recorder:
    def __init__(self) -> None:
        self.rounds: list[dict[str, int]] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.fail = False

    async def refresh(self, stale: dict[str, int]) -> None:
        self.rounds.append(dict(stale))
        await self.gate.wait()
        if self.fail:
            raise ConnectionError("graph down")


def test_rounds_are_batched_and_keep_the_first_value_seen() -> None:
    async def scenario() -> None:
        recorder = Recorder()
        refresher = RefreshAhead("test", recorder.refresh, batch=2)
        refresher.notice({"a": 1, "b": 1, "c": 1})
        refresher.notice({"a": 9})  # already waiting: what was seen first is what a refresh compares
        await refresher.idle()
        assert recorder.rounds == [{"a": 1, "b": 1}, {"c": 1}]

    asyncio.run(scenario())


def test_a_key_being_refreshed_is_not_queued_again_and_the_waiting_list_is_bounded() -> None:
    async def scenario() -> None:
        recorder = Recorder()
        recorder.gate.clear()
        refresher = RefreshAhead("test", recorder.refresh, batch=10, max_waiting=2)
        refresher.notice({"a": 1})
        await asyncio.sleep(0)  # the round for "a" is in flight
        refresher.notice({"a": 2, "b": 1, "c": 1, "d": 1})
        recorder.gate.set()
        await refresher.idle()
        assert recorder.rounds == [{"a": 1}, {"b": 1, "c": 1}]

    asyncio.run(scenario())


def test_after_a_failure_notices_are_ignored_for_the_pause() -> None:
    async def scenario() -> None:
        recorder = Recorder()
        recorder.fail = True
        refresher = RefreshAhead("test", recorder.refresh, batch=1, pause_seconds=0.2)
        refresher.notice({"a": 1, "b": 1})
        await refresher.idle()
        assert recorder.rounds == [{"a": 1}]  # "b" was dropped with the failed round's waiting list
        refresher.notice({"c": 1})
        await refresher.idle()
        assert recorder.rounds == [{"a": 1}]  # paused
        await asyncio.sleep(0.25)
        recorder.fail = False
        refresher.notice({"c": 1})
        await refresher.idle()
        assert recorder.rounds == [{"a": 1}, {"c": 1}]
        await refresher.close()

    asyncio.run(scenario())
