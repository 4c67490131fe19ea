"""Named Cypher queries loaded from ``cypher/**/*.cypher`` once at start-up.

Repositories declare the queries they use with :func:`cypher` at import time; :func:`load_queries`
reads every file and fails fast when a declared query has no file, so a misspelt name stops the
process at boot instead of failing the first request that needs it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import LiteralString

from core.errors import AppError

CYPHER_DIR = Path(__file__).resolve().parent.parent / "cypher"


class MissingQuery(AppError):
    code = "missing_query"


@dataclass(eq=False)
class CypherQuery:
    """A query named by its path under ``cypher/`` without the suffix, e.g. ``users/create_user``."""

    name: str
    _text: str | None = field(default=None, repr=False)

    @property
    def text(self) -> LiteralString:
        if self._text is None:
            raise MissingQuery(f"query {self.name!r} used before load_queries()")
        # The text comes from our own files, never from user input: it is literal in spirit.
        return self._text


_REGISTRY: dict[str, CypherQuery] = {}


def cypher(name: str) -> CypherQuery:
    """Declare (or fetch) the query ``name``; its text is filled in by :func:`load_queries`."""
    query = _REGISTRY.get(name)
    if query is None:
        query = _REGISTRY[name] = CypherQuery(name)
    return query


def read_library(directory: Path = CYPHER_DIR) -> dict[str, str]:
    """Every ``.cypher`` file under ``directory`` by name (``domain/verb_noun``)."""
    return {
        path.relative_to(directory).with_suffix("").as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(directory.rglob("*.cypher"))
    }


def load_queries(directory: Path = CYPHER_DIR) -> dict[str, str]:
    """Load the library and bind every declared query; raise :class:`MissingQuery` listing the gaps."""
    # Import the repositories so that every query they declare is registered before the check.
    import graph.repositories  # noqa: F401

    library = read_library(directory)
    missing = sorted(name for name in _REGISTRY if name not in library)
    if missing:
        raise MissingQuery(f"missing .cypher files under {directory}: {', '.join(missing)}")
    for name, query in _REGISTRY.items():
        query._text = library[name]
    return library


def schema_statements(directory: Path = CYPHER_DIR / "schema") -> list[str]:
    """Schema statements (constraints, indexes) in file order; files may hold several, split on ';'."""
    statements: list[str] = []
    for path in sorted(directory.glob("*.cypher")):
        body = "\n".join(
            line
            for line in path.read_text(encoding="utf-8").splitlines()
            if not line.strip().startswith("//")
        )
        statements.extend(part.strip() for part in body.split(";") if part.strip())
    return statements
