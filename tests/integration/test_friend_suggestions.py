"""Friend suggestions on a hand-built graph: ranking, exclusions, cold start, resuming an interrupted
run, and the API that serves and dismisses them."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.services import Services
from graph.repositories import suggestions as repo
from jobs.friend_suggestions import FriendSuggestions, SuggestionReport
from tests.conftest import Account, app_services, register, run, unique_name

MakeUser = Callable[..., Account]


def follow(client: TestClient, follower: Account, followee: Account) -> None:
    response = client.post(f"/api/v1/users/{followee.user_id}/follow", headers=follower.headers)
    assert response.status_code == 200, response.text


def job(services: Services, users: list[Account], **options: Any) -> FriendSuggestions:
    options.setdefault("show_progress", False)
    return FriendSuggestions(
        services.graph, services.redis, user_ids=[int(u.user_id) for u in users], **options
    )


def run_job(client: TestClient, users: list[Account], **options: Any) -> SuggestionReport:
    services = app_services(client)
    return run(client, job(services, users, **options).run)


def stored_counts(client: TestClient, users: list[Account]) -> list[int]:
    """How many suggestions are stored for each user (straight from the graph)."""
    graph = app_services(client).graph

    async def counts() -> list[int]:
        return [len(await repo.list_for(graph, int(u.user_id), None, 100)) for u in users]

    return run(client, counts)


def listed(client: TestClient, user: Account, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/api/v1/suggestions", params=params, headers=user.headers)
    assert response.status_code == 200, response.text
    suggestions: list[dict[str, Any]] = response.json()["suggestions"]
    return suggestions


@dataclass
class Graph:
    u: Account
    f: dict[str, Account]
    c: dict[str, Account]
    x: dict[str, Account]


@pytest.fixture
def graph(client: TestClient) -> Graph:
    """u follows f1, f2, f3. f1 follows 8 accounts, f2 10 and f3 4, so by Adamic-Adar a vouch from f3
    weighs 1/ln 5, from f1 1/ln 9, from f2 1/ln 11. Every candidate has two vouches:
    c2 (f1+f3) > c3 = c4 = c5 (f2+f3) > c1 (f1+f2). The x accounts are followed by f1 and f2 and must
    all be excluded: u itself, f3 (already followed), blocked by u, blocking u, muted, dismissed."""
    prefix = unique_name("fs")

    def make(name: str) -> Account:
        return register(client, f"{prefix}_{name}")

    u = make("u")
    f = {n: make(n) for n in ("f1", "f2", "f3")}
    c = {n: make(n) for n in ("c1", "c2", "c3", "c4", "c5")}
    x = {n: make(n) for n in ("blocked", "blocker", "muted", "dismissed")}
    for followee in f.values():
        follow(client, u, followee)
    excluded = [*x.values(), f["f3"], u]
    for target in [c["c1"], c["c2"], *excluded]:
        follow(client, f["f1"], target)
    for target in [c["c1"], c["c3"], c["c4"], c["c5"], *excluded]:
        follow(client, f["f2"], target)
    for target in [c["c2"], c["c3"], c["c4"], c["c5"]]:
        follow(client, f["f3"], target)
    assert client.post(f"/api/v1/users/{x['blocked'].user_id}/block", headers=u.headers).status_code == 200
    assert client.post(f"/api/v1/users/{u.user_id}/block", headers=x["blocker"].headers).status_code == 200
    assert client.post(f"/api/v1/users/{x['muted'].user_id}/mute", headers=u.headers).status_code == 200
    dismissed = client.delete(f"/api/v1/suggestions/{x['dismissed'].user_id}", headers=u.headers)
    assert dismissed.status_code == 200, dismissed.text
    assert dismissed.json() == {"user_id": x["dismissed"].user_id, "dismissed": True}
    return Graph(u, f, c, x)


def test_ranking_follows_adamic_adar_and_exclusions_hold(client: TestClient, graph: Graph) -> None:
    report = run_job(client, [graph.u])
    assert (report.users, report.batches, report.with_friends, report.cold_start) == (1, 1, 1, 0)

    shown = listed(client, graph.u, limit=100)
    friends = [s for s in shown if s["kind"] == "friends"]
    names = [s["user"]["username"] for s in friends]
    assert names == [graph.c[n].username for n in ("c2", "c3", "c4", "c5", "c1")]
    w1, w2, w3 = 1 / math.log(9), 1 / math.log(11), 1 / math.log(5)
    assert [s["score"] for s in friends] == pytest.approx([w1 + w3, w2 + w3, w2 + w3, w2 + w3, w1 + w2])
    # The rest of the K=20 are popular accounts (the list is filled up), never an excluded one.
    assert len(shown) == 20 and all(s["kind"] == "popular" for s in shown[5:])
    everyone = {s["user"]["user_id"] for s in shown}
    excluded = {a.user_id for a in [*graph.x.values(), graph.f["f3"], graph.u]}
    assert everyone.isdisjoint(excluded)

    # Reasons name the most selective followee first.
    c2 = friends[0]
    assert c2["followed_by"] == [graph.f["f3"].username, graph.f["f1"].username]
    assert c2["mutual_count"] == 2
    assert c2["reason"] == f"followed by {graph.f['f3'].username} and 1 other you follow"
    assert friends[-1]["reason"] == f"followed by {graph.f['f1'].username} and 1 other you follow"
    assert shown[5]["reason"] == "popular on FeedGraph"


def test_the_list_pages_and_drops_accounts_followed_or_dismissed_since(
    client: TestClient, graph: Graph
) -> None:
    run_job(client, [graph.u], top_k=5)
    first = client.get("/api/v1/suggestions", params={"limit": 2}, headers=graph.u.headers).json()
    assert [s["user"]["username"] for s in first["suggestions"]] == [
        graph.c["c2"].username,
        graph.c["c3"].username,
    ]
    assert first["has_more"] is True
    rest = client.get(
        "/api/v1/suggestions", params={"limit": 10, "before": first["next_cursor"]}, headers=graph.u.headers
    ).json()
    assert [s["user"]["username"] for s in rest["suggestions"]] == [
        graph.c[n].username for n in ("c4", "c5", "c1")
    ]
    assert rest["has_more"] is False and rest["next_cursor"] is None

    follow(client, graph.u, graph.c["c3"])
    dismissed = client.delete(f"/api/v1/suggestions/{graph.c['c4'].user_id}", headers=graph.u.headers)
    assert dismissed.status_code == 200
    again = client.delete(f"/api/v1/suggestions/{graph.c['c4'].user_id}", headers=graph.u.headers)
    assert again.status_code == 200  # idempotent
    assert [s["user"]["username"] for s in listed(client, graph.u)] == [
        graph.c[n].username for n in ("c2", "c5", "c1")
    ]
    # A rerun never brings a dismissed account back; following c3 makes room for more.
    run_job(client, [graph.u], top_k=5)
    names = [s["user"]["username"] for s in listed(client, graph.u)]
    assert graph.c["c4"].username not in names and graph.c["c3"].username not in names
    assert names[:3] == [graph.c[n].username for n in ("c2", "c5", "c1")]


def test_dismiss_and_list_refuse_bad_input(client: TestClient, graph: Graph) -> None:
    u = graph.u
    assert client.delete(f"/api/v1/suggestions/{u.user_id}", headers=u.headers).status_code == 400
    assert client.delete("/api/v1/suggestions/123", headers=u.headers).status_code == 404
    assert client.delete("/api/v1/suggestions/abc", headers=u.headers).json()["error"] == "invalid_id"
    assert client.delete(f"/api/v1/suggestions/{'9' * 30}", headers=u.headers).status_code == 400
    assert client.get("/api/v1/suggestions").status_code == 401
    assert client.get("/api/v1/suggestions", params={"limit": 0}, headers=u.headers).status_code in (400, 422)
    assert (
        client.get("/api/v1/suggestions", params={"before": "garbage"}, headers=u.headers).status_code == 400
    )


def test_cold_start_gets_popular_accounts(client: TestClient, make_user: MakeUser) -> None:
    newcomer = make_user()
    services = app_services(client)
    pool = run(client, lambda: repo.popular_user_ids(services.graph, 20))
    top = pool[0]
    blocked = client.post(f"/api/v1/users/{top}/block", headers=newcomer.headers)
    assert blocked.status_code == 200
    report = run_job(client, [newcomer], top_k=5)
    assert (report.users, report.cold_start, report.with_friends) == (1, 1, 0)
    shown = listed(client, newcomer)
    assert [s["kind"] for s in shown] == ["popular"] * 5
    assert [int(s["user"]["user_id"]) for s in shown] == [p for p in pool if p != top][:5]
    counts = [s["user"]["follower_count"] for s in shown]
    assert counts == sorted(counts, reverse=True)


def test_an_interrupted_run_resumes_where_it_stopped(client: TestClient, make_user: MakeUser) -> None:
    users = [make_user() for _ in range(6)]
    services = app_services(client)

    class Interrupted(Exception):
        pass

    def crash_after_first_batch(done: int) -> None:
        raise Interrupted(done)

    interrupted = job(services, users, batch_size=2, top_k=3, on_batch=crash_after_first_batch)
    with pytest.raises(Interrupted):
        run(client, interrupted.run)
    stored = stored_counts(client, users)
    assert stored == [3, 3, 0, 0, 0, 0]  # the first batch was committed, the rest not yet

    resumed = run_job(client, users, batch_size=2, top_k=3)
    assert resumed.resumed_after == int(users[1].user_id)
    assert (resumed.users, resumed.batches) == (4, 2)
    stored = stored_counts(client, users)
    assert stored == [3] * 6
    checkpoint = run(client, lambda: services.redis.exists(interrupted.checkpoint_key))
    assert checkpoint == 0

    # A finished run starts over next time, and replaces rather than adds (idempotent).
    again = run_job(client, users, batch_size=2, top_k=3)
    assert again.resumed_after is None and again.users == 6
    stored = stored_counts(client, users)
    assert stored == [3] * 6
