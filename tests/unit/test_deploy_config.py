"""docker-compose.yml and .env.example stay in step with core/settings.py (no servers needed)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"

NAME = re.compile(r"FEEDGRAPH_[A-Z0-9_]+")
# "# FEEDGRAPH_X=value" or "FEEDGRAPH_X=value" at the start of a line of .env.example
ENV_LINE = re.compile(r"^#?\s*(FEEDGRAPH_[A-Z0-9_]+)=(.*)$")

APP_SERVICES = ("api", "worker", "scheduler")
DEPENDENCIES = ("neo4j", "redis", "minio", "opensearch")
# Set by infra/lib/neo4j.sh for its own launcher, not a knob.
INFRA_INTERNAL = {"FEEDGRAPH_NEO4J_INITIAL_PASSWORD"}
TEST_ONLY = {"FEEDGRAPH_TEST_SERVICES"}


def settings_names() -> set[str]:
    return {f"FEEDGRAPH_{name.upper()}" for name in Settings.model_fields}


def infra_names() -> set[str]:
    scripts = [ROOT / "infra" / "services.sh", *sorted((ROOT / "infra" / "lib").glob("*.sh"))]
    found = {name for script in scripts for name in NAME.findall(script.read_text())}
    return found - INFRA_INTERNAL


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def env_example() -> dict[str, str]:
    entries: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = ENV_LINE.match(line)
        if match:
            assert match.group(1) not in entries, f"{match.group(1)} listed twice in .env.example"
            entries[match.group(1)] = match.group(2).strip().strip('"')
    return entries


def test_compose_uses_only_settings_names() -> None:
    # Environment keys and ${...} interpolations alike: a misspelt name would be silently ignored.
    used = set(NAME.findall(COMPOSE.read_text()))
    assert used, "docker-compose.yml wires no FEEDGRAPH_ setting"
    assert used - settings_names() == set()


def test_compose_app_services_are_wired_to_the_compose_servers() -> None:
    services = compose()["services"]
    for name in APP_SERVICES:
        service = services[name]
        env = service["environment"]
        assert env["FEEDGRAPH_ENV"] == "prod"
        assert env["FEEDGRAPH_JWT_SECRET"].startswith("${FEEDGRAPH_JWT_SECRET:?")
        assert env["FEEDGRAPH_NEO4J_URI"] == "bolt://neo4j:7687"
        assert env["FEEDGRAPH_NEO4J_AUTH"] == "true"
        assert env["FEEDGRAPH_REDIS_URL"].startswith("redis://redis:6379")
        assert env["FEEDGRAPH_S3_ENDPOINT"] == "http://minio:9000"
        assert env["FEEDGRAPH_OPENSEARCH_URL"] == "http://opensearch:9200"
        for dependency in DEPENDENCIES:
            assert service["depends_on"][dependency]["condition"] == "service_healthy", (name, dependency)
        assert service["depends_on"]["minio-create-bucket"]["condition"] == "service_completed_successfully"
    for dependency in DEPENDENCIES:
        assert "healthcheck" in services[dependency], dependency


def clear_feedgraph_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("FEEDGRAPH_"):
            monkeypatch.delenv(key)


def test_compose_settings_values_are_valid_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    # The shared environment, with interpolations resolved to their defaults, passes Settings validation.
    env = compose()["services"]["api"]["environment"]
    values: dict[str, Any] = {}
    for key, value in env.items():
        text = str(value)
        match = re.fullmatch(r"\$\{[A-Z0-9_]+:-(.*)\}", text)
        if match:
            text = match.group(1)
        elif text.startswith("${FEEDGRAPH_JWT_SECRET:?"):
            text = "x" * 40
        values[key.removeprefix("FEEDGRAPH_").lower()] = text
    clear_feedgraph_env(monkeypatch)
    settings = Settings(_env_file=None, **values)
    assert settings.neo4j_auth is True
    assert len(settings.neo4j_password.get_secret_value()) >= 8  # the neo4j image refuses shorter


def test_env_example_lists_every_setting_and_infra_variable() -> None:
    listed = set(env_example())
    assert settings_names() - listed == set(), "settings missing from .env.example"
    assert infra_names() - listed == set(), "infra/ variables missing from .env.example"
    assert listed - settings_names() - infra_names() - TEST_ONLY == set(), "unknown names in .env.example"


def test_env_example_defaults_are_the_real_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_feedgraph_env(monkeypatch)
    defaults = Settings(_env_file=None)
    for name, value in env_example().items():
        field = name.removeprefix("FEEDGRAPH_").lower()
        if field in Settings.model_fields and value != "":
            monkeypatch.setenv(name, value)
    documented = Settings(_env_file=None)
    assert documented.model_dump() == defaults.model_dump()
