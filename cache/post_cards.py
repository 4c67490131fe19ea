"""The post cache: what every viewer sees alike of a post (content, counts, media) and of a profile.

A feed page needs the per-viewer part (may they see it, did they like or share it) from the graph, which
is cheap; the shared part is the expensive projection, and the same for everyone, so it is kept here as
one JSON value per post (``pc:{id}``) and per user (``uc:{id}``), filled from the graph on a miss.

Writes that change a card *forget* it: the key is overwritten with an empty tombstone for
``HOLD_OFF_MS``, and fills only happen with ``NX``. A reader that read the graph before the write and
fills after it therefore cannot put the old card back (the race that plain delete-then-fill has); the
TTL bounds what a lost invalidation (a crash right after the commit) can leave stale.

Counts are the exception: they change all the time (a viral post's likes), and forgetting the card on
each change would send every reader of a hot post to the graph. Instead each write records the counts
it committed in ``pn:{id}`` with the post's ``counts_version`` (bumped under the post's lock by every
transaction that may change a count), a script keeps only the highest version, and a read takes the
counts of whichever is newer, the card or that record.

Refresh ahead: every card's JSON starts with a freshness stamp, ``{"_fresh_until": <ms>,``, set at the
fill to the start of the last tenth of the value's lifetime (``REFRESH_SHARE``); a field rather than a
prefix outside the JSON so that processes of the previous release, during a rolling deploy, still read
the values (renderers pick their fields), and cards cached by them read as due for a refresh here. A
reader that meets a card past its stamp still uses it, and hands its id and stamp to ``on_stale``
(feed/cache_refresh.py reads such cards from the graph in the background, in batches, and puts them back
with :meth:`refresh`). So a card that is read keeps being replaced before it expires, and the cards of
many readers filled at once (a cold start, a benchmark's warm-up) do not all expire together an hour
later and send those readers to the graph in the same second, which stalled feed reads for hundreds of
milliseconds. The TTL still bounds what a lost invalidation leaves: a refresh is a fresh graph read,
and it only replaces the very value that was seen stale (a forget's tombstone, or a newer fill, has
another stamp or none)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import orjson
from redis.asyncio import Redis, RedisCluster

from cache.cluster_reads import get_many
from cache.scripts import LuaScript, with_scripts
from core.clock import now_ms
from core.expiry import spread_ttl

# Longer than a fill's graph read can take, short enough that a viral post's card (forgotten on every
# batch of likes) is still cached most of the time.
HOLD_OFF_MS = 2000

# The last tenth of a card's lifetime: a reader meeting it then asks for a refresh in the background.
REFRESH_SHARE = 0.1

Card = dict[str, Any]
# Keys of cards read past their stamp -> the stamp each was seen with (the value up to the stamp's
# comma, or the whole value of one cached without a stamp).
Stale = dict[str, bytes]
# Called by the reader that met them, inside its event loop.
OnStale = Callable[[Stale], None]

_RECORD_COUNTS = LuaScript("post_counts")
_REFRESH = LuaScript("card_refresh")
_STAMP_FIELD = "_fresh_until"
_STAMP_HEAD = b'{"_fresh_until":'
_COUNT_FIELDS = ("like_count", "comment_count", "share_count")
_POST_PREFIX, _USER_PREFIX, _COUNTS_PREFIX = "pc:", "uc:", "pn:"
# A post's counts as a page shows them: likes, comments, shares.
Counts = tuple[int, int, int]


class PostCards:
    def __init__(self, redis: Redis | RedisCluster, *, ttl_seconds: int) -> None:
        self._redis = redis
        self._ttl = ttl_seconds
        # Set once at assembly (feed/service.py: the refresher needs these cards, so it comes after);
        # None: stale cards are only used.
        self.on_stale: OnStale | None = None

    @staticmethod
    def post_key(post_id: int) -> str:
        return f"{_POST_PREFIX}{post_id}"

    @staticmethod
    def user_key(user_id: int) -> str:
        return f"{_USER_PREFIX}{user_id}"

    @staticmethod
    def is_post_key(key: str) -> bool:
        return key.startswith(_POST_PREFIX)

    @staticmethod
    def id_of_post_key(key: str) -> int:
        return int(key.removeprefix(_POST_PREFIX))

    @staticmethod
    def id_of_user_key(key: str) -> int:
        return int(key.removeprefix(_USER_PREFIX))

    @staticmethod
    def counts_key(post_id: int) -> str:
        return f"{_COUNTS_PREFIX}{post_id}"

    async def get(self, post_ids: list[int], user_ids: list[int]) -> tuple[dict[int, Card], dict[int, Card]]:
        """The cached cards among these ids, in one round trip (post cards with their latest recorded
        counts); a missing id is a miss."""
        keys = self.keys(post_ids, user_ids)
        if not keys:
            return {}, {}
        # One MGET, not a pipeline of GETs: redis-py spends ~15 µs of Python per command.
        if isinstance(self._redis, RedisCluster):
            values: list[bytes | str | None] = list(await get_many(self._redis, keys))  # one call per master
        else:
            values = await self._redis.mget(keys)
        return self.parse(post_ids, user_ids, values)

    def keys(self, post_ids: list[int], user_ids: list[int]) -> list[str]:
        """The keys :meth:`get` reads, in the order :meth:`parse` expects their values."""
        return (
            [self.post_key(p) for p in post_ids]
            + [self.counts_key(p) for p in post_ids]
            + [self.user_key(u) for u in user_ids]
        )

    def parse(
        self, post_ids: list[int], user_ids: list[int], values: Sequence[bytes | str | None]
    ) -> tuple[dict[int, Card], dict[int, Card]]:
        """The cards among the values of :meth:`keys` (read by :meth:`get`, or in a caller's pipeline);
        those past their freshness stamp go to ``on_stale`` as well."""
        n = len(post_ids)
        now = now_ms()
        stale: Stale = {}
        posts = _decoded(post_ids, values[:n], now, stale, self.post_key)
        for post_id, raw in zip(post_ids, values[n : 2 * n], strict=True):
            if raw and post_id in posts:
                posts[post_id] = _with_counts(posts[post_id], raw)
        users = _decoded(user_ids, values[2 * n :], now, stale, self.user_key)
        if stale and self.on_stale is not None:
            self.on_stale(stale)
        return posts, users

    async def record_counts(self, post_id: int, counts: Card) -> None:
        """The counts a write committed (with ``counts_version``); older ones never overwrite newer."""
        args = [counts["counts_version"], *(counts[f] for f in _COUNT_FIELDS), self._ttl]
        key = self.counts_key(post_id)
        await with_scripts(
            self._redis, (_RECORD_COUNTS,), lambda: self._redis.evalsha(_RECORD_COUNTS.sha, 1, key, *args)
        )

    async def fill(self, posts: Iterable[Card], users: Iterable[Card]) -> None:
        """Cache cards read from the graph, unless a write forgot them meanwhile (NX on the tombstone)."""
        items = [(self.post_key(c["id"]), c) for c in posts] + [(self.user_key(c["id"]), c) for c in users]
        if not items:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for key, card in items:
                ttl = spread_ttl(self._ttl)
                pipe.set(key, _stamped(card, ttl), ex=ttl, nx=True)
            await pipe.execute()

    async def refresh(self, items: Iterable[tuple[str, bytes, Card]]) -> int:
        """Put back cards read afresh from the graph, each ``(key, stamp seen stale, card)``, where the
        value is still the one seen stale; returns how many were replaced. A forget since (tombstone),
        an expiry, or another process's refresh or fill leaves the key as it is."""
        items = list(items)
        if not items:
            return 0

        async def call() -> list[Any]:
            # One key per call: a script touches one hash slot (cluster), and this runs in the background.
            async with self._redis.pipeline(transaction=False) as pipe:
                for key, stamp, card in items:
                    ttl = spread_ttl(self._ttl)
                    # execute_command: a cluster pipeline refuses pipe.evalsha but routes EVALSHA by its key.
                    pipe.execute_command("EVALSHA", _REFRESH.sha, 1, key, stamp, _stamped(card, ttl), ttl)
                return await pipe.execute()

        return sum(int(r) for r in await with_scripts(self._redis, (_REFRESH,), call))

    def notice_stale(self, values: Sequence[bytes | str | None], keys: Callable[[], Sequence[str]]) -> None:
        """Hand the cards among ``values`` (read from ``keys()``, as :meth:`keys` lists them) that are past
        their stamp to ``on_stale``, as :meth:`parse` does, without decoding them: for a page served from
        a memo (feed/page_memo.py). The keys are asked for only if a card is stale (a kept question
        recovers them from its digest)."""
        if self.on_stale is None:
            return
        now = now_ms()
        stale_at: list[tuple[int, bytes]] = []
        for position, value in enumerate(values):
            raw = value.encode() if isinstance(value, str) else value
            if not raw or raw[:1] != b"{":  # a miss, a tombstone, or counts ("version,likes,...")
                continue
            comma = raw.find(b",", len(_STAMP_HEAD))
            if not raw.startswith(_STAMP_HEAD) or comma < 0 or int(raw[len(_STAMP_HEAD) : comma]) < now:
                stale_at.append((position, _seen(raw)))
        if stale_at:
            names = keys()
            self.on_stale({names[position]: seen for position, seen in stale_at})

    @staticmethod
    def counts_changes(
        keys: Sequence[str], before: Sequence[bytes | str | None], now: Sequence[bytes | str | None]
    ) -> dict[int, Counts] | None:
        """If two reads of ``keys`` (as :meth:`keys` lists them) differ in counts records and stamps alone,
        the posts whose shown counts differ, each with its counts now; else None (a card changed, or a
        changed record's card is missing: that page was not made from the cache alone). ``before`` holds
        the values unstamped (PageRead.content), ``now`` as read."""
        first = next((i for i, key in enumerate(keys) if key.startswith(_COUNTS_PREFIX)), len(keys))
        changes: dict[int, Counts] = {}
        for position, (key, old, new) in enumerate(zip(keys, before, now, strict=True)):
            if old == new or (not key.startswith(_COUNTS_PREFIX) and old == unstamped(new)):
                continue
            raw_card = now[position - first] if key.startswith(_COUNTS_PREFIX) else None
            if not raw_card:
                return None  # a card changed, or a changed record's card is missing
            card = orjson.loads(raw_card)  # the cards come first, in the same order as their counts
            was = _with_counts(card, old) if old else card
            shown = _with_counts(card, new) if new else card
            counts = (shown["like_count"], shown["comment_count"], shown["share_count"])
            if counts != (was["like_count"], was["comment_count"], was["share_count"]):
                changes[int(card["id"])] = counts
        return changes

    async def forget(self, post_ids: Iterable[int] = (), user_ids: Iterable[int] = ()) -> None:
        """After a write changed these posts or profiles: readers go to the graph until the hold-off ends."""
        keys = [self.post_key(p) for p in post_ids] + [self.user_key(u) for u in user_ids]
        if not keys:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.set(key, b"", px=HOLD_OFF_MS)
            await pipe.execute()


def unstamped(value: Any) -> Any:
    """A cached value as readers get it: a card's without its freshness stamp (:func:`_decoded` pops
    it), any other value (counts, a tombstone, a card cached without a stamp) as it is. A refresh
    that reads the same card from the graph changes only the stamp, so this is how a page memo tells
    a refreshed card from a changed one (cache/page_state.py PageRead.content)."""
    if isinstance(value, bytes) and value.startswith(_STAMP_HEAD):
        comma = value.find(b",", len(_STAMP_HEAD))
        if comma > 0:
            return value[comma + 1 :]
    return value


def _seen(raw: bytes) -> bytes:
    """The stamp as a refresh compares it (the value up to the stamp's comma, comma included); a value
    without one is seen whole."""
    return raw[: raw.index(b",") + 1] if raw.startswith(_STAMP_HEAD) else raw


def _with_counts(card: Card, raw: bytes | str) -> Card:
    """The card with the recorded counts if they are newer than the card's own."""
    text = raw.decode() if isinstance(raw, bytes) else raw
    version, likes, comments, shares = (int(v) for v in text.split(","))
    if version <= (card.get("counts_version") or 0):
        return card
    return {
        **card,
        "like_count": likes,
        "comment_count": comments,
        "share_count": shares,
        "counts_version": version,
    }


def _stamped(card: Card, ttl_seconds: int) -> bytes:
    """The stored value: the card's JSON with the freshness stamp as its first field."""
    fresh_until = now_ms() + int(ttl_seconds * 1000 * (1 - REFRESH_SHARE))
    return orjson.dumps({_STAMP_FIELD: fresh_until, **{k: v for k, v in card.items() if k != _STAMP_FIELD}})


def _decoded(
    ids: list[int], values: Sequence[bytes | str | None], now: int, stale: Stale, key: Callable[[int], str]
) -> dict[int, Card]:
    """Hits only: an absent key or a tombstone (empty value) is a miss. Cards past their stamp (``now``
    in ms) are hits, and noted in ``stale`` (by ``key``) with the stamp they were seen with."""
    cards: dict[int, Card] = {}
    for card_id, value in zip(ids, values, strict=True):
        if not value:
            continue
        card = cards[card_id] = orjson.loads(value)
        fresh_until = card.pop(_STAMP_FIELD, None)  # callers get the card as it was filled
        if fresh_until is None or fresh_until < now:
            raw = value.encode() if isinstance(value, str) else value
            # The stamp as written, comma included; without one, the whole value is what was seen.
            stale[key(card_id)] = _seen(raw)
    return cards
