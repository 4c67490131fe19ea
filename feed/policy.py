"""Who is a celebrity: authors whose posts are pulled at read time instead of pushed on write.

An author switches to pull at ``threshold`` followers and back to push only below ``threshold *
HYSTERESIS``, so an account hovering at the threshold does not flip on every follow. The switch is a
flag in the graph (``User.pull_feed``), changed only by the worker, so readers and fan-out agree."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from graph.repositories.feed import AuthorState

HYSTERESIS = 0.8


class Transition(Enum):
    NONE = "none"
    TO_PULL = "to_pull"
    TO_PUSH = "to_push"


@dataclass(frozen=True)
class CelebrityPolicy:
    threshold: int
    # Readers cache whom they pull for this long; pushes continue this long after a switch to pull so
    # that a reader with a stale cache misses nothing.
    grace_ms: int

    def transition(self, state: AuthorState) -> Transition:
        if not state.pull_feed and state.follower_count >= self.threshold:
            return Transition.TO_PULL
        if state.pull_feed and state.follower_count < self.threshold * HYSTERESIS:
            return Transition.TO_PUSH
        return Transition.NONE

    def pushes(self, pull_feed: bool, pull_since: int | None, now_ms: int) -> bool:
        """Whether a new entry by this author is pushed to followers' timelines."""
        if not pull_feed:
            return True
        return pull_since is not None and now_ms - pull_since < self.grace_ms
