"""The ``post-cache`` consumer group: repairs the post cache after the events that changed it.

The API updates the cache itself right after each write (so a client reads its own write at once):
it records a post's new counts, or forgets a card. This consumer does the same again from the durable
outbox events, which makes it survive a crash between the commit and the API's update: counts are read
from the graph and recorded (a record never overwrites a newer one), deleted posts and changed or
deleted profiles are forgotten. Doing either twice is harmless."""

from __future__ import annotations

from cache.events import Event
from cache.post_cards import PostCards
from graph.driver import Graph
from graph.repositories import feed as feed_graph

GROUP = "post-cache"

# Events that change a post's counts.
_COUNT_EVENTS = frozenset(
    {"post_liked", "post_unliked", "comment_created", "comment_deleted", "post_shared", "post_unshared"}
)


class PostCacheRepair:
    def __init__(self, cards: PostCards, graph: Graph) -> None:
        self._cards = cards
        self._graph = graph

    async def handle(self, events: list[Event]) -> None:
        counted: set[int] = set()
        posts: set[int] = set()
        users: set[int] = set()
        for event in events:
            if event.type in _COUNT_EVENTS:
                counted.add(event.post_id)
                if event.type == "post_unshared" and event.share_id is not None:
                    posts.add(event.share_id)  # the repost's own card
            elif event.type == "post_deleted":
                posts.add(event.post_id)
            elif event.type in ("user_updated", "user_deleted"):
                users.add(event.user_id or event.actor_id)
                posts.update(event.post_ids)
        for counts in await feed_graph.post_counts(self._graph, sorted(counted)):
            await self._cards.record_counts(counts["id"], counts)
        await self._cards.forget(sorted(posts), sorted(users))
