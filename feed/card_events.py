"""The ``post-cache`` consumer group: forgets cached post cards and profiles that an event changed.

The API forgets them itself right after each write (so a client reads its own write at once); this
consumer makes that survive a crash between the commit and the API's forget, because the event comes
from the durable outbox. Forgetting twice is harmless."""

from __future__ import annotations

from cache.events import Event
from cache.post_cards import PostCards

GROUP = "post-cache"

# Events that change a post's counts or existence.
_POST_EVENTS = frozenset(
    {
        "post_liked",
        "post_unliked",
        "comment_created",
        "comment_deleted",
        "post_shared",
        "post_unshared",
        "post_deleted",
    }
)


class CardInvalidation:
    def __init__(self, cards: PostCards) -> None:
        self._cards = cards

    async def handle(self, events: list[Event]) -> None:
        posts: set[int] = set()
        users: set[int] = set()
        for event in events:
            if event.type in _POST_EVENTS:
                posts.add(event.post_id)
                if event.type == "post_unshared" and event.share_id is not None:
                    posts.add(event.share_id)  # the repost's own card
            elif event.type == "user_updated":
                users.add(event.user_id or event.actor_id)
            elif event.type == "user_deleted":
                users.add(event.user_id or event.actor_id)
                posts.update(event.post_ids)
        await self._cards.forget(sorted(posts), sorted(users))
