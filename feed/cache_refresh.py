"""How the feed's caches are refreshed ahead of their expiry (feed/refresh_ahead.py): post cards and
profiles by one batched graph read, viewers' states one graph read each; each put back only over the
very value a reader saw going stale (a write's tombstone, an expiry or another fill since wins)."""

from __future__ import annotations

import functools

from cache.post_cards import Card, PostCards
from cache.viewer_state import ViewerStates
from core.clock import now_ms
from core.ids import min_id_for_ms
from feed.refresh_ahead import RefreshAhead
from graph.driver import Graph
from graph.repositories import feed as feed_graph

# Cards per graph read. Decoding a read's reply holds the process's event loop for its whole length:
# 200 cards (posts and their authors) held it for 13-14 ms, every request of the process waiting,
# where 50 hold it for 3-5 ms (in process, S dataset, fourteenth round; the feed's fixed-rate target is
# a p99 of 15 ms). Refreshes are rare (each card once per lifetime), so the extra reads cost little.
CARD_BATCH = 50
# Viewers' states per round (one graph read each, one after another).
STATE_BATCH = 20
# The viewer state covers likes and shares of posts this recent (feed/hydration.py reads it).
STATE_WINDOW_MS = 30 * 86_400_000

CardRefresh = RefreshAhead[str, bytes]  # cache key -> the stamp seen
StateRefresh = RefreshAhead[int, int]  # viewer id -> the cutoff seen (it names the fill)


def card_refresh(graph: Graph, cards: PostCards) -> CardRefresh:
    return RefreshAhead("post cards", functools.partial(_refresh_cards, graph, cards), batch=CARD_BATCH)


def state_refresh(graph: Graph, states: ViewerStates) -> StateRefresh:
    return RefreshAhead("viewer states", functools.partial(_refresh_states, graph, states), batch=STATE_BATCH)


def state_cutoff() -> int:
    """The cutoff of a viewer state filled now: the smallest id of the window it covers."""
    return min_id_for_ms(now_ms() - STATE_WINDOW_MS)


async def _refresh_cards(graph: Graph, cards: PostCards, stale: dict[str, bytes]) -> None:
    posts = {cards.id_of_post_key(key): key for key in stale if cards.is_post_key(key)}
    users = {cards.id_of_user_key(key): key for key in stale if not cards.is_post_key(key)}
    found = await feed_graph.entry_cards(graph, list(posts), list(users))
    items: list[tuple[str, bytes, Card]] = [
        (posts[c["id"]], stale[posts[c["id"]]], c)
        for c in (*found.posts, *found.shares)
        if c["id"] in posts  # the graph also brings the posts reposts show, and their people
    ]
    items += [(users[c["id"]], stale[users[c["id"]]], c) for c in found.users if c["id"] in users]
    # Ids the graph no longer has are left to expire: a reader's miss path handles gone entries.
    await cards.refresh(items)


async def _refresh_states(graph: Graph, states: ViewerStates, stale: dict[int, int]) -> None:
    for viewer_id, seen_cutoff in stale.items():
        cutoff = state_cutoff()
        state = await feed_graph.viewer_state(graph, viewer_id, cutoff)
        if state is not None:  # None: the viewer is gone; the state expires
            await states.refill(viewer_id, seen_cutoff, cutoff, state.liked, state.shared, state.hidden)
