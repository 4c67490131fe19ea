"""What a warm feed page needs from Redis besides its timeline, in one round trip: the post and profile
cards (cache/post_cards.py) and the viewer's flags (cache/viewer_state.py).

On a standalone Redis both commands go in one exchange (cache/exchange.py): one connection, one write,
one read. Sent as two commands in flight at once they cost ~6 % more of a warm read's CPU (two tasks,
two pool checkouts, two exchanges; an A/B in one process). On a cluster the cards span hash slots, so
the two commands go out at once instead, as before."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis, RedisCluster

from cache.exchange import exchange
from cache.post_cards import Card, PostCards
from cache.scripts import with_scripts
from cache.viewer_state import SCRIPTS, ViewerFlags, ViewerStates


async def cards_and_flags(
    redis: Redis | RedisCluster,
    cards: PostCards,
    states: ViewerStates,
    viewer_id: int,
    card_ids: tuple[list[int], list[int]],
    flag_ids: tuple[list[int], list[int]],
) -> tuple[tuple[dict[int, Card], dict[int, Card]], ViewerFlags | None]:
    """``cards.get(*card_ids)`` (post ids, user ids) and ``states.flags(viewer_id, *flag_ids)``."""
    if isinstance(redis, RedisCluster) or not (keys := cards.keys(*card_ids)):
        return await asyncio.gather(cards.get(*card_ids), states.flags(viewer_id, *flag_ids))
    command = states.flags_command(viewer_id, *flag_ids)
    values, raw = await with_scripts(
        redis, SCRIPTS, lambda: exchange(redis, [("MGET", *keys), ("EVALSHA", *command)])
    )
    return cards.parse(*card_ids, values), states.parse_flags(raw, *flag_ids)
