"""constraints.txt, the lock every install goes through (Makefile, Dockerfile), stays in step with
pyproject.toml: every dependency pinned, inside its range; and the venv the suite runs in is that set."""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]


def locked() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, version = line.partition("==")
        assert sep, f"constraints.txt: {line!r} is not an exact pin"
        key = canonicalize_name(name)
        assert key not in pins, f"constraints.txt pins {name} twice"
        pins[key] = Version(version)
    return pins


def requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    return [Requirement(text) for text in declared]


def test_every_dependency_is_pinned_inside_its_range() -> None:
    pins = locked()
    for requirement in requirements():
        key = canonicalize_name(requirement.name)
        assert key in pins, f"{requirement.name} is not in constraints.txt: run `make lock`"
        assert requirement.specifier.contains(pins[key], prereleases=True), (
            f"constraints.txt pins {requirement.name}=={pins[key]}, outside {requirement.specifier}"
        )


def test_the_suite_runs_on_the_locked_versions() -> None:
    # `make` reinstalls when constraints.txt changes; a venv that drifted would test other code.
    pins = locked()
    drifted = {
        requirement.name: (str(pin), installed)
        for requirement in requirements()
        if (pin := pins.get(canonicalize_name(requirement.name)))
        != Version(installed := metadata.version(requirement.name))
    }
    assert drifted == {}, f"installed versions differ from constraints.txt (locked, installed): {drifted}"
