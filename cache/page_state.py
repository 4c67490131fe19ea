"""What a warm feed page needs from Redis besides its timeline, in one round trip: the post and profile
cards (cache/post_cards.py) and the viewer's flags (cache/viewer_state.py).

On a standalone Redis both commands go in one exchange (cache/exchange.py): one connection, one write,
one read. Sent as two commands in flight at once they cost ~6 % more of a warm read's CPU (two tasks,
two pool checkouts, two exchanges; an A/B in one process). On a cluster the cards span hash slots, so
the two commands go out at once instead, as before.

A read is a :class:`PageRead`: the :class:`PageQuestion` and Redis's replies as they came. Asking the
same question again and finding the same replies (the same fingerprint) proves that nothing the page
was made from has changed (feed/page_memo.py relies on this)."""

from __future__ import annotations

import asyncio
import pickle
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis, RedisCluster

from cache.cluster_reads import get_many
from cache.exchange import exchange, pack, routed
from cache.post_cards import Card, PostCards, unstamped
from cache.scripts import with_scripts
from cache.viewer_state import SCRIPTS, ViewerFlags, ViewerStates

# The scripts a page's question runs (the viewer's flags): whoever sends its packed exchange loads them
# when Redis has forgotten them (cache/scripts.py with_scripts).
QUESTION_SCRIPTS = SCRIPTS


@dataclass(frozen=True, slots=True)
class PageQuestion:
    """What a page asks Redis: its cards (MGET ``keys``) and the viewer's flags (EVALSHA
    ``flags_command``, on the hash slot of ``marker``)."""

    keys: tuple[str, ...]
    flags_command: tuple[Any, ...]
    marker: str
    packed: tuple[bytes, ...] | None = None  # the standalone exchange, packed once for asking again
    digest: bytes | None = None  # a kept question's keys and command, which it no longer holds (kept())

    def same(self, keys: tuple[str, ...], flags_command: tuple[Any, ...]) -> bool:
        """Whether this is the question of ``keys`` and ``flags_command``."""
        if self.digest is not None:
            return self.digest == _digest(keys, flags_command)
        return self.keys == keys and self.flags_command == flags_command

    def kept(self) -> PageQuestion:
        """This question as a page memo keeps it. On a standalone Redis the packed exchange asks it
        again and a digest of its keys and command answers :meth:`same`: the two tuples (~130 items)
        are dropped, which the collector would otherwise walk once per kept page, in young collections
        that every page made afresh makes longer (feed/page_memo.py). A cluster's question is asked
        key by key, so it is kept whole. A kept question is kept as it is: a page made afresh from the
        replies to its memo's question keeps that question again, and a digest of its emptied tuples
        would name no cards (card_keys) and answer no :meth:`same`."""
        if self.packed is None or self.digest is not None:
            return self
        return PageQuestion((), (), self.marker, self.packed, _digest(self.keys, self.flags_command))

    def card_keys(self) -> tuple[str, ...]:
        """The keys of the cards asked for, in the order of the replies' values; a kept question's are
        recovered from its digest (a pickle of them), which is rare enough not to hold them."""
        if self.digest is not None:
            keys: tuple[str, ...] = pickle.loads(self.digest)[0]
            return keys
        return self.keys

    async def ask(self, redis: Redis | RedisCluster) -> PageRead:
        """This question asked now."""
        return PageRead(self, await _ask(redis, self.keys, self.flags_command, self.marker, self.packed))

    def answered(self, replies: list[Any]) -> PageRead:
        """The read of this question whose ``packed`` exchange another command sent (one round trip
        with the timeline page: feed/reader.py); ``replies`` are that exchange's, in order."""
        return PageRead(self, _split(replies))


def _digest(keys: tuple[str, ...], flags_command: tuple[Any, ...]) -> bytes:
    # A pickle decodes to one value: equal digests are equal questions.
    return pickle.dumps((keys, flags_command), protocol=5)


@dataclass(frozen=True, slots=True)
class PageRead:
    """One read of a page's cards and the viewer's flags: the question, and Redis's replies as they
    came (the card values in key order, the flags script's reply)."""

    question: PageQuestion
    replies: tuple[list[Any], Any]

    def asks(self, keys: tuple[str, ...], flags_command: tuple[Any, ...]) -> bool:
        return self.question.same(keys, flags_command)

    def fingerprint(self) -> bytes:
        """The replies as one bytes object: equal fingerprints are equal replies (a pickle decodes to
        one value), so a memo keeps this instead of the replies' ~70 objects, which the collector
        would have to walk (:meth:`PageQuestion.kept`). Replies are bytes, ints and lists fresh from
        the parser, so equal replies pickle alike and a hit is not missed."""
        return pickle.dumps(self.replies, protocol=5)

    def content(self) -> bytes:
        """:meth:`fingerprint` of the replies as readers see them: the cards without their freshness
        stamps (cache/post_cards.py unstamped). Equal contents make the same page even where the
        fingerprints differ: a card refreshed ahead of its expiry is the same card with a new stamp.
        Slower than :meth:`fingerprint` (a slice per card), so a memo tries it only when the
        fingerprints differ."""
        values, flags = self.replies
        return pickle.dumps(([unstamped(value) for value in values], flags), protocol=5)


def content_replies(content: bytes) -> tuple[list[Any], Any]:
    """The replies a :meth:`PageRead.content` was taken from: the card values unstamped, the flags."""
    replies: tuple[list[Any], Any] = pickle.loads(content)
    return replies


async def cards_and_flags(
    redis: Redis | RedisCluster,
    cards: PostCards,
    states: ViewerStates,
    viewer_id: int,
    card_ids: tuple[list[int], list[int]],
    flag_ids: tuple[list[int], list[int]],
    known: PageRead | None = None,
) -> tuple[tuple[dict[int, Card], dict[int, Card]], ViewerFlags | None, PageRead]:
    """``cards.get(*card_ids)`` (post ids, user ids) and ``states.flags(viewer_id, *flag_ids)``, and the
    read they came from; ``known``, a read made moments ago, answers instead if it asked the same."""
    keys = tuple(cards.keys(*card_ids))
    command = tuple(states.flags_command(viewer_id, *flag_ids))
    if known is not None and known.asks(keys, command):
        read = known
    else:
        marker = states.keys(viewer_id)[0]
        packed = None if isinstance(redis, RedisCluster) else pack(_commands(keys, command))
        read = await PageQuestion(keys, command, marker, packed).ask(redis)
    values, raw = read.replies
    return cards.parse(*card_ids, values), states.parse_flags(raw, *flag_ids), read


def _commands(keys: tuple[str, ...], command: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """The standalone exchange: the cards (if any) and the flags script."""
    return [("MGET", *keys), ("EVALSHA", *command)] if keys else [("EVALSHA", *command)]


async def _ask(
    redis: Redis | RedisCluster,
    keys: tuple[str, ...],
    command: tuple[Any, ...],
    marker: str,
    packed: tuple[bytes, ...] | None = None,
) -> tuple[list[Any], Any]:
    """The card values and the flags script's reply."""
    if isinstance(redis, RedisCluster):
        values, raw = await asyncio.gather(
            get_many(redis, keys),
            with_scripts(redis, SCRIPTS, lambda: routed(redis, marker, "EVALSHA", *command)),
        )
        return values, raw
    # A packed exchange is the question as sent (a kept question holds no keys: PageQuestion.kept).
    commands = () if packed is not None else _commands(keys, command)
    replies = await with_scripts(redis, SCRIPTS, lambda: exchange(redis, commands, packed))
    return _split(replies)


def _split(replies: list[Any]) -> tuple[list[Any], Any]:
    """The card values and the flags script's reply of a standalone exchange."""
    if len(replies) == 1:  # no cards asked: the flags alone
        return [], replies[0]
    return replies[0], replies[1]
