"""Job registry, schedules and the pure parts of friend suggestions (no servers)."""

from __future__ import annotations

import pytest

from api.schemas.suggestions import reason_text
from core.settings import Settings
from graph.repositories.suggestions import Candidates, FriendCandidate
from jobs.friend_suggestions import rank
from jobs.registry import JOBS
from jobs.scheduler import active_schedules


def test_every_registered_job_imports() -> None:
    for job in JOBS.values():
        assert callable(job.load())


def test_default_schedules_are_valid_cron_for_registered_jobs() -> None:
    triggers = active_schedules(Settings(_env_file=None))
    assert set(triggers) <= set(JOBS) and "friend-suggestions" in triggers


def test_schedules_refuse_unknown_jobs_and_bad_cron_and_skip_empty_ones() -> None:
    with pytest.raises(ValueError, match="unknown job"):
        active_schedules(Settings(_env_file=None, job_schedules={"nope": "* * * * *"}))
    with pytest.raises(ValueError, match="bad cron"):
        active_schedules(Settings(_env_file=None, job_schedules={"friend-suggestions": "every day"}))
    assert active_schedules(Settings(_env_file=None, job_schedules={"friend-suggestions": ""})) == {}


def test_rank_puts_friends_first_then_fills_with_popular_without_duplicates() -> None:
    candidates = Candidates(
        user_id=1,
        following=2,
        friends=[FriendCandidate(10, 2.0, 2, [5, 6]), FriendCandidate(11, 1.0, 1, [5])],
        popular=[11, 20, 21, 22],
    )
    ranked = rank(candidates, 4)
    assert [(s["id"], s["kind"], s["rank"]) for s in ranked] == [
        (10, "friends", 1),
        (11, "friends", 2),
        (20, "popular", 3),
        (21, "popular", 4),
    ]
    assert [s["id"] for s in rank(candidates, 1)] == [10]
    assert rank(Candidates(1, 0, [], []), 5) == []


def test_reason_text() -> None:
    assert reason_text("friends", ["alice", "bob"], 4) == "followed by alice and 3 others you follow"
    assert reason_text("friends", ["alice", "bob"], 2) == "followed by alice and 1 other you follow"
    assert reason_text("friends", ["alice"], 1) == "followed by alice, whom you follow"
    assert reason_text("friends", [], 2) == "followed by 2 accounts you followed"
    assert reason_text("popular", [], None) == "popular on FeedGraph"
