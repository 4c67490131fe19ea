"""The analytics library on a small hand-built graph, the read-only runner, the notebook entry point
and the `feedgraph cypher` CLI. Each query is scoped by a unique username prefix, so other tests'
data never changes the expected results."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from cli.main import app as cli_app
from core.errors import Forbidden, Invalid, NotFound
from core.settings import Settings, get_settings
from graph.analytics import library, run_named, run_read_only
from graph.notebook import connect
from tests.conftest import Account, app_services, create_post, register, run, unique_name


@dataclass
class World:
    prefix: str
    tag: str
    users: dict[str, Account]
    posts: dict[str, str]

    def id(self, name: str) -> int:
        return int(self.users[name].user_id)

    def name(self, name: str) -> str:
        return self.users[name].username


def _ok(response: Any) -> None:
    assert response.status_code in (200, 201), response.text


@pytest.fixture(scope="module")
def world(client: TestClient) -> World:
    """Users a-e: a<->b and b<->c mutual, a->c, d->a, d->c, e->d; four posts with tags, likes,
    comments and a share."""
    prefix = unique_name("an")
    tag = prefix.replace("_", "")
    users = {n: register(client, f"{prefix}_{n}") for n in "abcde"}
    for follower, followee in [tuple(pair) for pair in ("ab", "ba", "bc", "cb", "ac", "da", "ed", "dc")]:
        _ok(client.post(f"/api/v1/users/{users[followee].user_id}/follow", headers=users[follower].headers))
    posts = {
        "p1": create_post(client, users["a"], f"one #{tag}x #{tag}y"),
        "p2": create_post(client, users["a"], f"two #{tag}x"),
        "p3": create_post(client, users["b"], f"three #{tag}y #{tag}z", "followers"),
        "p4": create_post(client, users["c"], "four", "private"),
    }
    for liker, post in [("b", "p1"), ("c", "p1"), ("a", "p1"), ("b", "p2")]:
        _ok(client.post(f"/api/v1/posts/{posts[post]}/like", headers=users[liker].headers))
    for author, post in [("d", "p1"), ("a", "p3")]:
        _ok(
            client.post(
                f"/api/v1/posts/{posts[post]}/comments",
                json={"content": "nice"},
                headers=users[author].headers,
            )
        )
    _ok(client.post(f"/api/v1/posts/{posts['p1']}/share", json={}, headers=users["e"].headers))
    return World(prefix, tag, users, posts)


def query(client: TestClient, name: str, **params: Any) -> list[dict[str, Any]]:
    graph = app_services(client).graph
    result = run(client, lambda: run_named(graph, name, params))
    documented = [c.name for c in library()[name].columns]
    assert result.columns == documented
    return result.rows


def test_every_library_query_is_exercised_here() -> None:
    tested = {
        "top_accounts_by_followers",
        "top_accounts_by_engagement",
        "engagement_per_post",
        "engagement_rate_per_author",
        "follower_growth",
        "reciprocity",
        "degree_distribution",
        "mutual_follow_clusters",
        "common_neighbours",
        "hashtag_cooccurrence",
        "posting_activity_by_hour",
    }
    assert set(library()) == tested


def test_top_accounts_by_followers(client: TestClient, world: World) -> None:
    rows = query(client, "top_accounts_by_followers", username_prefix=world.prefix)
    assert [(r["username"], r["followers"], r["following"]) for r in rows] == [
        (world.name("c"), 3, 1),
        (world.name("a"), 2, 2),
        (world.name("b"), 2, 2),
        (world.name("d"), 1, 2),
    ]
    assert rows[0]["posts"] == 1
    # The prefix is case-insensitive, and limit and min_followers apply.
    upper = query(client, "top_accounts_by_followers", username_prefix=world.prefix.upper(), limit=2)
    assert [r["username"] for r in upper] == [world.name("c"), world.name("a")]
    assert (
        query(client, "top_accounts_by_followers", username_prefix=world.prefix, min_followers=3) == rows[:1]
    )


def test_top_accounts_by_engagement_counts_others_interactions(client: TestClient, world: World) -> None:
    rows = query(client, "top_accounts_by_engagement", username_prefix=world.prefix)
    assert [r["username"] for r in rows] == [world.name("a"), world.name("b")]
    a, b = rows
    # a: likes by b and c on p1 (a's own like left out) and by b on p2, d's comment, e's share.
    assert (a["likes"], a["comments"], a["shares"], a["interactions"], a["engagers"]) == (3, 1, 1, 5, 4)
    assert a["interactions_per_follower"] == 2.5
    assert (b["interactions"], b["comments"], b["interactions_per_follower"]) == (1, 1, 0.5)
    # A window that ends before everything happened is empty.
    assert query(client, "top_accounts_by_engagement", username_prefix=world.prefix, until_ms=1) == []


def test_engagement_per_post(client: TestClient, world: World) -> None:
    rows = query(client, "engagement_per_post", username_prefix=world.prefix)
    assert [str(r["post_id"]) for r in rows] == [world.posts["p1"], world.posts["p3"], world.posts["p2"]]
    p1 = rows[0]
    assert (p1["likes"], p1["comments"], p1["shares"], p1["engagement"]) == (3, 1, 1, 5)
    assert p1["engagement_rate"] == 2.5 and p1["author"] == world.name("a")
    everything = query(
        client,
        "engagement_per_post",
        username_prefix=world.prefix,
        visibilities=["public", "followers", "private"],
    )
    assert len(everything) == 4


def test_engagement_rate_per_author(client: TestClient, world: World) -> None:
    rows = query(client, "engagement_rate_per_author", username_prefix=world.prefix)
    assert [(r["username"], r["posts"], r["engagement"], r["engagement_per_post"]) for r in rows] == [
        (world.name("a"), 2, 6, 3.0),
        (world.name("b"), 1, 1, 1.0),
        (world.name("c"), 1, 0, 0.0),
    ]
    assert [r["engagement_rate"] for r in rows] == [1.5, 0.5, 0.0]


def test_follower_growth(client: TestClient, world: World) -> None:
    rows = query(client, "follower_growth", username_prefix=world.prefix)
    assert sum(r["new_followers"] for r in rows) == 8
    assert rows[-1]["cumulative"] == 8
    today = datetime.now(UTC).date()
    assert all(0 <= (today - datetime.fromisoformat(r["day"]).date()).days <= 1 for r in rows)
    one = query(client, "follower_growth", username_prefix=world.prefix, user_id=world.id("c"))
    assert sum(r["new_followers"] for r in one) == 3 and one[-1]["cumulative"] == 3


def test_reciprocity(client: TestClient, world: World) -> None:
    [row] = query(client, "reciprocity", username_prefix=world.prefix)
    assert row == {"follows": 8, "reciprocated": 4, "mutual_pairs": 2, "reciprocity": 0.5}
    [before] = query(client, "reciprocity", username_prefix=world.prefix, as_of_ms=1)
    assert before["follows"] == 0 and before["reciprocity"] is None


def test_degree_distribution(client: TestClient, world: World) -> None:
    rows = query(client, "degree_distribution", username_prefix=world.prefix)
    assert [(r["degree"], r["users"], r["share"], r["ccdf"]) for r in rows] == [
        (0, 1, 0.2, 1.0),
        (1, 1, 0.2, 0.8),
        (2, 2, 0.4, 0.6),
        (3, 1, 0.2, 0.2),
    ]
    out = query(client, "degree_distribution", username_prefix=world.prefix, direction="out")
    assert [(r["degree"], r["users"]) for r in out] == [(1, 2), (2, 3)]


def test_mutual_follow_clusters(client: TestClient, world: World) -> None:
    rows = query(client, "mutual_follow_clusters", username_prefix=world.prefix)
    assert rows == [
        {
            "cluster_id": world.id("a"),
            "size": 3,
            "members": [world.name("a"), world.name("b"), world.name("c")],
        }
    ]
    singles = query(client, "mutual_follow_clusters", username_prefix=world.prefix, min_size=1)
    assert sorted(r["size"] for r in singles) == [1, 1, 3]


def test_common_neighbours(client: TestClient, world: World) -> None:
    [row] = query(client, "common_neighbours", user_a=world.id("a"), user_b=world.id("d"))
    assert row["common_followees"] == 1 and row["sample_common"] == [world.name("c")]
    assert row["jaccard"] == round(1 / 3, 4)
    assert row["adamic_adar"] == round(1 / math.log(3), 4)  # c has 3 followers


def test_hashtag_cooccurrence(client: TestClient, world: World) -> None:
    rows = query(client, "hashtag_cooccurrence", username_prefix=world.prefix)
    t = world.tag
    assert [
        (r["tag_a"], r["tag_b"], r["together"], r["posts_a"], r["posts_b"], r["jaccard"]) for r in rows
    ] == [
        (f"{t}x", f"{t}y", 1, 2, 2, round(1 / 3, 4)),
        (f"{t}y", f"{t}z", 1, 2, 1, 0.5),
    ]


def test_posting_activity_by_hour(client: TestClient, world: World) -> None:
    posts = query(
        client,
        "engagement_per_post",
        username_prefix=world.prefix,
        visibilities=["public", "followers", "private"],
    )
    zone = "Asia/Kolkata"  # UTC+05:30: the half hour proves the zone is applied
    expected = Counter(datetime.fromtimestamp(p["created_at"] / 1000, tz=ZoneInfo(zone)).hour for p in posts)
    rows = query(client, "posting_activity_by_hour", username_prefix=world.prefix, timezone=zone)
    assert {r["hour"]: r["posts"] for r in rows} == dict(expected)
    assert sum(r["posts"] for r in rows) == 4


def test_parameters_are_checked(client: TestClient, world: World) -> None:
    graph = app_services(client).graph
    with pytest.raises(NotFound):
        run(client, lambda: run_named(graph, "no_such_query", {}))
    with pytest.raises(Invalid, match="no parameter"):
        run(client, lambda: run_named(graph, "reciprocity", {"bogus": 1}))
    with pytest.raises(Invalid, match="needs --param user_a"):
        run(client, lambda: run_named(graph, "common_neighbours", {"user_b": 1}))
    with pytest.raises(Invalid, match="must be int"):
        run(client, lambda: run_named(graph, "top_accounts_by_followers", {"limit": "many"}))
    # Strings from a command line are coerced by the declared type.
    result = run(
        client,
        lambda: run_named(
            graph, "top_accounts_by_followers", {"username_prefix": world.prefix, "limit": "1"}
        ),
    )
    assert [r["username"] for r in result.rows] == [world.name("c")]


def test_ad_hoc_writes_are_refused_and_change_nothing(client: TestClient, world: World) -> None:
    graph = app_services(client).graph
    victim = world.users["e"]
    for write in (
        "CREATE (:AnalyticsProbe {tag: $tag})",
        "MATCH (u:User {id: $id}) SET u.display_name = 'defaced'",
        "MATCH (u:User {id: $id}) DETACH DELETE u",
    ):
        params = {"tag": world.tag, "id": world.id("e")}

        async def attempt(statement: str = write, values: dict[str, Any] = params) -> object:
            return await run_read_only(graph, statement, values)

        with pytest.raises(Forbidden, match="read-only") as refused:
            run(client, attempt)
        assert refused.value.code == "read_only"
    probes = run(
        client,
        lambda: run_read_only(
            graph, "MATCH (n:AnalyticsProbe {tag: $tag}) RETURN count(n) AS n", {"tag": world.tag}
        ),
    )
    assert probes.rows == [{"n": 0}]
    profile = client.get(f"/api/v1/users/{victim.user_id}", headers=victim.headers).json()
    assert profile["display_name"] == victim.username
    with pytest.raises(Invalid, match="failed"):
        run(client, lambda: run_read_only(graph, "MATCH (n RETURN n", {}))
    reads = run(
        client,
        lambda: run_read_only(
            graph,
            "MATCH (u:User {id: $id}) RETURN u.username AS name, date() AS today",
            {"id": world.id("a")},
        ),
    )
    assert reads.columns == ["name", "today"] and reads.rows[0]["name"] == world.name("a")


def test_notebook_returns_dataframes(settings: Settings, world: World) -> None:
    with connect(settings) as fg:
        catalogue = fg.queries()
        assert set(catalogue["name"]) == set(library())
        frame = fg.run("top_accounts_by_followers", username_prefix=world.prefix, limit=2)
        assert list(frame.columns) == ["user_id", "username", "followers", "following", "posts"]
        assert list(frame["username"]) == [world.name("c"), world.name("a")]
        adhoc = fg.query(
            "MATCH (u:User) WHERE u.username STARTS WITH $p RETURN count(u) AS n", p=world.prefix
        )
        assert adhoc["n"].tolist() == [5]
        with pytest.raises(Forbidden):
            fg.query("CREATE (:AnalyticsProbe {tag: $tag})", tag=world.tag)
        assert fg.query("MATCH (n:AnalyticsProbe {tag: $t}) RETURN count(n) AS n", t=world.tag)[
            "n"
        ].tolist() == [0]


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """The CLI reads its settings from the environment: point it at the test servers."""
    set_cli_env(settings, monkeypatch)
    yield CliRunner()
    get_settings.cache_clear()


def set_cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    for field in ("env", "neo4j_uri", "neo4j_user", "neo4j_auth", "neo4j_database", "redis_url"):
        monkeypatch.setenv(f"FEEDGRAPH_{field.upper()}", str(getattr(settings, field)))
    monkeypatch.setenv("FEEDGRAPH_NEO4J_PASSWORD", settings.neo4j_password.get_secret_value())
    get_settings.cache_clear()


def test_cli_lists_and_runs_named_queries(cli_env: CliRunner, world: World, tmp_path: Path) -> None:
    listed = cli_env.invoke(cli_app, ["cypher", "list"], env={"COLUMNS": "250"})
    assert listed.exit_code == 0, listed.output
    for name in library():
        assert name in listed.output

    as_json = cli_env.invoke(
        cli_app,
        [
            "cypher",
            "run",
            "top_accounts_by_followers",
            "--param",
            f"username_prefix={world.prefix}",
            "--param",
            "limit=2",
            "--format",
            "json",
        ],
    )
    assert as_json.exit_code == 0, as_json.output
    assert [r["username"] for r in json.loads(as_json.stdout)] == [world.name("c"), world.name("a")]

    out = tmp_path / "clusters.csv"
    as_csv = cli_env.invoke(
        cli_app,
        [
            "cypher",
            "run",
            "mutual_follow_clusters",
            "-p",
            f"username_prefix={world.prefix}",
            "-f",
            "csv",
            "--out",
            str(out),
        ],
    )
    assert as_csv.exit_code == 0, as_csv.output
    lines = out.read_text().splitlines()
    assert lines[0] == "cluster_id,size,members"
    assert lines[1].startswith(f"{world.id('a')},3,")
    assert world.name("b") in lines[1] and len(lines) == 2

    table = cli_env.invoke(
        cli_app,
        ["cypher", "run", "reciprocity", "-p", f"username_prefix={world.prefix}"],
        env={"COLUMNS": "200"},
    )
    assert table.exit_code == 0 and "mutual_pairs" in table.output and "0.5" in table.output

    unknown = cli_env.invoke(cli_app, ["cypher", "run", "no_such_query"])
    assert unknown.exit_code == 1 and "no analytics query" in unknown.output
    bad = cli_env.invoke(cli_app, ["cypher", "run", "reciprocity", "-p", "nonsense"])
    assert bad.exit_code != 0


def test_cli_ad_hoc_query_is_read_only(cli_env: CliRunner, world: World) -> None:
    read = cli_env.invoke(
        cli_app,
        [
            "cypher",
            "query",
            "MATCH (u:User {id: $id}) RETURN u.username AS name",
            "-p",
            f"id={world.id('b')}",
            "-f",
            "json",
        ],
    )
    assert read.exit_code == 0, read.output
    assert json.loads(read.stdout) == [{"name": world.name("b")}]
    write = cli_env.invoke(
        cli_app, ["cypher", "query", "CREATE (:AnalyticsProbe {tag: $tag})", "-p", f"tag={world.tag}"]
    )
    assert write.exit_code == 1
    assert "read-only" in write.output and "nothing was changed" in write.output
    count = cli_env.invoke(
        cli_app,
        [
            "cypher",
            "query",
            "MATCH (n:AnalyticsProbe {tag: $tag}) RETURN count(n) AS n",
            "-p",
            f"tag={world.tag}",
            "-f",
            "json",
        ],
    )
    assert json.loads(count.stdout) == [{"n": 0}]
