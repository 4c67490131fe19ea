"""FeedGraph's OpenSearch indices: index templates (settings + mappings), names, and aliases.

Every index is reached through aliases, never by its concrete name:

- ``{prefix}-posts`` / ``{prefix}-users``: the read alias, exactly one concrete index;
- ``{prefix}-posts-write`` / ``{prefix}-users-write``: the write alias, the index the read alias points
  at plus, while a reindex runs, the index being built. The indexer resolves it and writes to each.

Concrete indices are named ``{prefix}-{kind}-v{mapping version}-{id}`` and created from the index
template ``{prefix}-{kind}`` (pattern ``{prefix}-{kind}-v*``), so changing a mapping is: bump its
version here, then run the reindex job (search/reindex.py), which builds a new index and swaps the
aliases atomically while searches keep answering."""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass, field
from typing import Any

from opensearchpy import AsyncOpenSearch
from opensearchpy.exceptions import NotFoundError, RequestError

from core.settings import Settings

log = logging.getLogger(__name__)

# Posts: full text with English stemming, exact hashtags and mentions, counters for popularity.
_POST_ANALYSIS: dict[str, Any] = {
    "filter": {
        "english_possessive": {"type": "stemmer", "language": "possessive_english"},
        "english_stemmer": {"type": "stemmer", "language": "english"},
    },
    "analyzer": {
        # No stop-word removal: "to be or not to be" must stay searchable; BM25 already discounts them.
        "content_en": {
            "type": "custom",
            "tokenizer": "standard",
            "filter": ["english_possessive", "lowercase", "asciifolding", "english_stemmer"],
        }
    },
}
_POST_PROPERTIES: dict[str, Any] = {
    "post_id": {"type": "long"},
    "author_id": {"type": "long"},
    "author_username": {"type": "keyword"},  # lower-cased; usernames never change
    "content": {"type": "text", "analyzer": "content_en"},
    "hashtags": {"type": "keyword"},  # lower-cased, without '#', as core/text.py parses them
    "mentions": {"type": "keyword"},  # lower-cased usernames, without '@'
    "visibility": {"type": "keyword"},
    "created_at": {"type": "date", "format": "epoch_millis"},
    "like_count": {"type": "integer"},
    "comment_count": {"type": "integer"},
    "share_count": {"type": "integer"},
    # likes + 2 x comments + 3 x shares: one numeric field for explore's popularity factor.
    "engagement": {"type": "integer"},
    "indexed_at": {"type": "date", "format": "epoch_millis"},
}

# Users: typeahead on username and display name (search_as_you_type), typo tolerance (fuzzy match).
_USER_ANALYSIS: dict[str, Any] = {
    # "john_doe" is typed as "john d...": split usernames on underscores.
    "char_filter": {"underscore_to_space": {"type": "mapping", "mappings": ["_ => \\u0020"]}},
    "analyzer": {
        "name_text": {
            "type": "custom",
            "tokenizer": "standard",
            "char_filter": ["underscore_to_space"],
            "filter": ["lowercase", "asciifolding"],
        }
    },
}
_USER_PROPERTIES: dict[str, Any] = {
    "user_id": {"type": "long"},
    "username": {"type": "keyword", "index": False},  # as typed, for display only
    "username_lower": {"type": "keyword"},
    "username_text": {"type": "search_as_you_type", "analyzer": "name_text"},
    "display_name": {"type": "search_as_you_type", "analyzer": "name_text"},
    "bio": {"type": "text"},
    "follower_count": {"type": "integer"},
    "created_at": {"type": "date", "format": "epoch_millis"},
    "indexed_at": {"type": "date", "format": "epoch_millis"},
}


@dataclass(frozen=True)
class IndexSpec:
    """One kind of document: its mapping version, analysis settings and fields."""

    kind: str
    version: int
    analysis: dict[str, Any]
    properties: dict[str, Any]
    id_field: str
    # Extra index settings (tests use it to prove a mapping change; none in production).
    extra_settings: dict[str, Any] = field(default_factory=dict)

    def alias(self, prefix: str) -> str:
        return f"{prefix}-{self.kind}"

    def write_alias(self, prefix: str) -> str:
        return f"{prefix}-{self.kind}-write"

    def template_name(self, prefix: str) -> str:
        return f"{prefix}-{self.kind}"

    def pattern(self, prefix: str) -> str:
        return f"{prefix}-{self.kind}-v*"

    def index_name(self, prefix: str, suffix: str) -> str:
        return f"{prefix}-{self.kind}-v{self.version}-{suffix}"

    def with_changes(self, *, version: int, properties: dict[str, Any]) -> IndexSpec:
        """A copy with added or changed fields (a new mapping version)."""
        merged = copy.deepcopy(self.properties)
        merged.update(properties)
        return IndexSpec(self.kind, version, self.analysis, merged, self.id_field, self.extra_settings)

    def template(self, settings: Settings) -> dict[str, Any]:
        return {
            "index_patterns": [self.pattern(settings.opensearch_index_prefix)],
            "priority": 100,
            "template": {
                "settings": {
                    "index": {
                        "number_of_shards": settings.opensearch_shards,
                        "number_of_replicas": settings.opensearch_replicas,
                        **self.extra_settings,
                    },
                    "analysis": self.analysis,
                },
                "mappings": {
                    # A field the code does not know is a bug: refuse it instead of guessing its type.
                    "dynamic": "strict",
                    "_meta": {"kind": self.kind, "version": self.version},
                    "properties": self.properties,
                },
            },
            "_meta": {"managed_by": "feedgraph", "version": self.version},
        }


POSTS = IndexSpec("posts", 1, _POST_ANALYSIS, _POST_PROPERTIES, id_field="post_id")
USERS = IndexSpec("users", 1, _USER_ANALYSIS, _USER_PROPERTIES, id_field="user_id")
SPECS = (POSTS, USERS)


class Indices:
    """Creates the templates and first indices on first use (idempotent, safe to race) and resolves
    the aliases for readers and writers."""

    def __init__(self, client: AsyncOpenSearch, settings: Settings) -> None:
        self.client = client
        self.settings = settings
        self.prefix = settings.opensearch_index_prefix
        self._ready = False

    def read_alias(self, spec: IndexSpec) -> str:
        return spec.alias(self.prefix)

    async def ensure(self) -> None:
        """Templates and an index behind each alias; after the first success this costs nothing."""
        if self._ready:
            return
        for spec in SPECS:
            await self.put_template(spec)
            await self._ensure_first_index(spec)
        self._ready = True

    async def put_template(self, spec: IndexSpec) -> None:
        await self.client.indices.put_index_template(
            name=spec.template_name(self.prefix), body=spec.template(self.settings)
        )

    async def _ensure_first_index(self, spec: IndexSpec) -> None:
        if await self.client.indices.exists_alias(name=spec.alias(self.prefix)):
            return
        # A fixed name for the first index: two processes starting together create the same one.
        name = spec.index_name(self.prefix, "0")
        body: dict[str, Any] = {"aliases": {spec.alias(self.prefix): {}, spec.write_alias(self.prefix): {}}}
        try:
            await self.client.indices.create(index=name, body=body)
            log.info("created search index %s", name)
        except RequestError as exc:
            if exc.error != "resource_already_exists_exception":
                raise

    async def write_targets(self, spec: IndexSpec) -> list[str]:
        """The concrete indices writes must reach (two while a reindex runs)."""
        try:
            found = await self.client.indices.get_alias(name=spec.write_alias(self.prefix))
        except NotFoundError:
            self._ready = False  # deleted behind our back: recreate on the next ensure()
            await self.ensure()
            found = await self.client.indices.get_alias(name=spec.write_alias(self.prefix))
        return sorted(found)

    async def read_target(self, spec: IndexSpec) -> str:
        found = await self.client.indices.get_alias(name=spec.alias(self.prefix))
        return str(next(iter(found)))
