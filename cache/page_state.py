"""What a warm feed page needs from Redis besides its timeline, in one round trip: the post and profile
cards (cache/post_cards.py) and the viewer's flags (cache/viewer_state.py).

On a standalone Redis both commands go in one exchange (cache/exchange.py): one connection, one write,
one read. Sent as two commands in flight at once they cost ~6 % more of a warm read's CPU (two tasks,
two pool checkouts, two exchanges; an A/B in one process). On a cluster the cards span hash slots, so
the two commands go out at once instead, as before.

A read is kept as a :class:`PageRead`: the question and Redis's replies as they came. Asking the same
question again and finding the same replies proves that nothing the page was made from has changed
(feed/page_memo.py relies on this)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis, RedisCluster

from cache.cluster_reads import get_many
from cache.exchange import exchange, pack, routed
from cache.post_cards import Card, PostCards
from cache.scripts import with_scripts
from cache.viewer_state import SCRIPTS, ViewerFlags, ViewerStates


@dataclass(frozen=True, slots=True)
class PageRead:
    """One read of a page's cards (MGET ``keys``) and the viewer's flags (EVALSHA ``flags_command``,
    on the hash slot of ``marker``), with the replies: the card values in key order and the script's."""

    keys: tuple[str, ...]
    flags_command: tuple[Any, ...]
    marker: str
    replies: tuple[tuple[Any, ...], Any]  # tuples all the way down (see _ask)
    packed: tuple[bytes, ...] | None = None  # the standalone exchange, packed once for asking again

    def asks(self, keys: tuple[str, ...], flags_command: tuple[Any, ...]) -> bool:
        return self.keys == keys and self.flags_command == flags_command

    async def again(self, redis: Redis | RedisCluster) -> PageRead:
        """The same question asked now."""
        replies = await _ask(redis, self.keys, self.flags_command, self.marker, self.packed)
        return PageRead(self.keys, self.flags_command, self.marker, replies, self.packed)


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
        read = PageRead(keys, command, marker, await _ask(redis, keys, command, marker, packed), packed)
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
) -> tuple[tuple[Any, ...], Any]:
    """The card values and the flags script's reply, as tuples: a remembered read (feed/page_memo.py)
    then holds no lists, which the collector would walk in every full collection."""
    if isinstance(redis, RedisCluster):
        values, raw = await asyncio.gather(
            get_many(redis, keys),
            with_scripts(redis, SCRIPTS, lambda: routed(redis, marker, "EVALSHA", *command)),
        )
        return tuple(values), _frozen(raw)
    replies = await with_scripts(redis, SCRIPTS, lambda: exchange(redis, _commands(keys, command), packed))
    if not keys:
        return (), _frozen(replies[0])
    return tuple(replies[0]), _frozen(replies[1])


def _frozen(reply: Any) -> Any:
    return tuple(_frozen(part) for part in reply) if isinstance(reply, list) else reply
