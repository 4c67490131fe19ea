"""Fixtures that hand each test real clients of real servers (see tests/servers.py)."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from api.services import Services
from cache.client import local_cache_redis_url
from core.settings import Settings
from tests.servers import chosen_mode, server_overrides

T = TypeVar("T")

# Cheap hashing keeps registration fast in tests; production uses the settings' defaults.
TEST_SETTINGS: dict[str, Any] = {
    "env": "test",
    "argon2_memory_kib": 8192,
    "argon2_time_cost": 1,
    "write_rate_limit_per_minute": 100_000,
    "s3_bucket": "feedgraph-test",
    "opensearch_index_prefix": "feedgraph-test",
}


@pytest.fixture(scope="session")
def server_settings() -> Iterator[dict[str, Any]]:
    with server_overrides(chosen_mode()) as overrides:
        merged = {**TEST_SETTINGS, **overrides}
        # Tests keep to Redis database 15 of whichever servers the settings name (env, .env or defaults),
        # in the production shape: the caches on their own Redis (the one `make services` starts, unless
        # named), the event stream on the durable one. Tests of one shared Redis set cache_redis_url None.
        redis_url = overrides.get("redis_url") or Settings().redis_url
        merged["redis_url"] = redis_url.rsplit("/", 1)[0] + "/15"
        cache_url = overrides.get("cache_redis_url") or Settings().cache_redis_url or local_cache_redis_url()
        merged["cache_redis_url"] = cache_url.rsplit("/", 1)[0] + "/15"
        yield merged


@pytest.fixture(scope="session")
def settings(server_settings: dict[str, Any]) -> Settings:
    return Settings(**server_settings)


@pytest.fixture(scope="session")
def client(settings: Settings) -> Iterator[TestClient]:
    """One app for the whole session, with its lifespan (real clients) running."""
    with TestClient(create_app(settings)) as test_client:
        wait_until_prepared(test_client)
        yield test_client


def wait_until_prepared(test_client: TestClient) -> None:
    services = app_services(test_client)
    run(test_client, lambda: _wait(services))


async def _wait(services: Services) -> None:
    import asyncio

    await asyncio.wait_for(services.prepared.wait(), 60)


def app_services(test_client: TestClient) -> Services:
    services: Services = test_client.app.state.services  # type: ignore[attr-defined]
    return services


def run(test_client: TestClient, fn: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine on the app's own event loop (where its clients live)."""
    portal = test_client.portal
    assert portal is not None, "the TestClient must be entered (with TestClient(app) as client)"
    result: T = portal.call(fn)
    return result


@dataclass
class Account:
    user_id: str
    username: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def unique_name(prefix: str = "u") -> str:
    return f"{prefix}_{secrets.token_hex(6)}"


def register(
    test_client: TestClient, username: str | None = None, password: str = "correct horse"
) -> Account:
    username = username or unique_name()
    response = test_client.post(
        "/api/v1/auth/register",
        json={"username": username, "email": f"{username}@example.com", "password": password},
    )
    assert response.status_code == 201, response.text
    login = test_client.post("/api/v1/auth/login", data={"username": username, "password": password})
    assert login.status_code == 200, login.text
    return Account(response.json()["user_id"], username, login.json()["access_token"])


@pytest.fixture
def make_user(client: TestClient) -> Callable[..., Account]:
    """Factory: a fresh registered and logged-in account per call."""

    def _make(username: str | None = None) -> Account:
        return register(client, username)

    return _make


def create_post(
    test_client: TestClient, author: Account, content: str = "hello", visibility: str = "public"
) -> str:
    response = test_client.post(
        "/api/v1/posts", json={"content": content, "visibility": visibility}, headers=author.headers
    )
    assert response.status_code == 201, response.text
    post_id: str = response.json()["post_id"]
    return post_id


def settings_env(settings: Settings) -> dict[str, str]:
    """The settings as FEEDGRAPH_* environment variables, for a child process (worker, server)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDGRAPH_")}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if isinstance(value, dict | list):  # pydantic-settings reads complex values as JSON
            value = json.dumps(value)
        env[f"FEEDGRAPH_{name.upper()}"] = str(value).lower() if isinstance(value, bool) else str(value)
    return env
