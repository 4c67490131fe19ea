"""A small, reproducible demo social graph for `make run`: users who follow, post, like and comment.

Every demo account logs in with its username (``demo_000`` ...) and the password ``demo-password``."""

from __future__ import annotations

import random

import anyio
from rich.progress import Progress

from api.services import Services
from core.clock import now_ms
from core.errors import Conflict
from core.ids import new_id
from core.settings import Settings
from graph.repositories import interactions, posts, social, users

DEMO_PASSWORD = "demo-password"
_TOPICS = ["graphs", "python", "coffee", "running", "music", "neo4j", "redis", "travel", "books", "cats"]
_LINES = [
    "Just shipped something I am proud of #{t}",
    "Hot take: {t} is underrated. Thoughts @{m}?",
    "Morning thread on #{t} and why it matters",
    "Can't stop thinking about #{t} today",
    "Reading about #{t}, recommendations welcome @{m}",
]


async def load_demo(settings: Settings, *, users: int, seed: int) -> None:
    services = Services.build(settings)
    try:
        services.start_preparing()
        await services.prepared.wait()
        await _load(services, count=users, seed=seed)
    finally:
        await services.close()


async def _load(services: Services, *, count: int, seed: int) -> None:
    graph = services.graph
    rng = random.Random(seed)
    names = [f"demo_{i:03d}" for i in range(count)]
    if await users.credentials(graph, names[-1]):
        print(f"demo data already loaded ({count} users; log in as demo_000 / {DEMO_PASSWORD})")
        return
    password_hash = await anyio.to_thread.run_sync(services.passwords.hash, DEMO_PASSWORD)
    ids: list[int] = []
    with Progress() as progress:
        task = progress.add_task("users", total=count)
        for name in names:
            try:
                user = await users.create_user(
                    graph,
                    user_id=new_id(),
                    username=name,
                    email=f"{name}@demo.feedgraph.dev",
                    password_hash=password_hash,
                    now_ms=now_ms(),
                )
                ids.append(user["id"])
            except Conflict:  # a partly loaded earlier run: reuse the account
                found = await users.credentials(graph, name)
                assert found is not None
                ids.append(found[0])
            progress.advance(task)
        # Preferential attachment: early accounts gather many followers, as in real networks.
        task = progress.add_task("follows", total=count)
        for follower in ids:
            for followee in {ids[min(int(rng.paretovariate(1.2)) - 1, count - 1)] for _ in range(8)}:
                if followee != follower:
                    await social.follow(graph, follower, followee, now_ms())
            progress.advance(task)
        task = progress.add_task("posts", total=count * 3)
        post_ids: list[int] = []
        for author in ids:
            for _ in range(3):
                line = rng.choice(_LINES).format(t=rng.choice(_TOPICS), m=rng.choice(names))
                row = await posts.create_post(
                    graph,
                    post_id=new_id(),
                    author_id=author,
                    content=line,
                    visibility="public",
                    media_ids=[],
                    event_id=new_id(),
                    now_ms=now_ms(),
                )
                post_ids.append(row["post"]["id"])
                progress.advance(task)
        task = progress.add_task("likes and comments", total=count)
        for user_id in ids:
            for post_id in rng.sample(post_ids, k=min(5, len(post_ids))):
                await interactions.like(graph, user_id, post_id, now_ms())
            await interactions.create_comment(graph, user_id, rng.choice(post_ids), "Nice one!", now_ms())
            progress.advance(task)
    print(f"demo data loaded: {count} users, {len(post_ids)} posts; log in as demo_000 / {DEMO_PASSWORD}")
