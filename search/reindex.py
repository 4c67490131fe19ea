"""The reindex job: rebuild each search index with the current mapping, behind its aliases, while
searches and indexing go on (``feedgraph jobs run reindex`` calls :func:`run_reindex`).

For each kind of document:

1. put the current index template and create a new index ``{prefix}-{kind}-v{version}-{id}``, with
   ``index.gc_deletes`` raised so that the tombstone of a delete outlives the copy;
2. add it to the *write* alias: from then on the indexer writes every change to both indices; wait
   ``grace`` seconds so that batches that resolved the write alias before are done;
3. copy the old index into the new one keeping each document's version (``version_type: external``):
   a document the indexer already wrote (or deleted) in the new index has a higher version and is kept;
4. swap the *read* alias to the new index and drop the old one from the write alias in one atomic
   ``_aliases`` request: searches see the old index until that instant and the new one after it;
5. wait ``grace`` again (writers that resolved both indices finish), delete the old index and any
   orphan index of the same kind, and restore ``gc_deletes``.

Searches never pause: they always go through the read alias, which names a complete index at every
moment. Only one reindex may run at a time (a Redis lock)."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from core.errors import Conflict
from core.ids import new_id
from search.indices import SPECS, IndexSpec, Indices

if TYPE_CHECKING:
    from api.services import Services

log = logging.getLogger(__name__)

# Longer than one indexing batch takes (graph read + bulk request), so no write is left behind.
WRITE_GRACE_SECONDS = 5.0
# Deletes keep their versioned tombstone this long in the new index while the copy runs.
COPY_GC_DELETES = "6h"
# Documents per page of the copy: one bulk request of a few MB.
COPY_BATCH = 1000
_LOCK_SECONDS = 6 * 3600

Step = Callable[[str], Awaitable[None]]


async def run_reindex(services: Services) -> int:
    """Rebuild the posts and users indices with the current mappings; returns the documents copied."""
    return await reindex_all(services, SPECS)


async def reindex_all(
    services: Services,
    specs: Sequence[IndexSpec],
    *,
    grace_seconds: float = WRITE_GRACE_SECONDS,
    on_step: Step | None = None,
) -> int:
    indices = services.search_service.indices
    lock = f"fg:search:reindex-lock:{{{indices.prefix}}}"
    token = secrets.token_hex(8)
    if not await services.redis.set(lock, token, nx=True, ex=_LOCK_SECONDS):
        raise Conflict("a reindex is already running", code="reindex_running")
    try:
        total = 0
        for spec in specs:
            total += await reindex(indices, spec, grace_seconds=grace_seconds, on_step=on_step)
        return total
    finally:
        if await services.redis.get(lock) in (token, token.encode()):
            await services.redis.delete(lock)


async def reindex(
    indices: Indices,
    spec: IndexSpec,
    *,
    grace_seconds: float = WRITE_GRACE_SECONDS,
    on_step: Step | None = None,
) -> int:
    """Rebuild one index with ``spec``'s mapping (see the module docstring); returns documents copied."""
    client, prefix = indices.client, indices.prefix

    async def step(name: str) -> None:
        log.info("reindex %s: %s", spec.kind, name)
        if on_step is not None:
            await on_step(f"{spec.kind}:{name}")

    await indices.ensure()
    await indices.put_template(spec)
    old = await indices.read_target(spec)
    await _delete_leftovers(indices, spec, keep=old)
    new = spec.index_name(prefix, str(new_id()))
    await client.indices.create(index=new, body={"settings": {"index": {"gc_deletes": COPY_GC_DELETES}}})
    await step("created")

    await client.indices.update_aliases(
        body={"actions": [{"add": {"index": new, "alias": spec.write_alias(prefix)}}]}
    )
    await asyncio.sleep(grace_seconds)
    await step("writing-both")

    copied = await _copy(indices, spec, old, new)
    await client.indices.refresh(index=new)
    await step("copied")

    await client.indices.update_aliases(
        body={
            "actions": [
                {"add": {"index": new, "alias": spec.alias(prefix)}},
                {"remove": {"index": old, "alias": spec.alias(prefix)}},
                {"remove": {"index": old, "alias": spec.write_alias(prefix)}},
            ]
        }
    )
    await step("switched")

    await asyncio.sleep(grace_seconds)
    await client.indices.delete(index=old)
    await _delete_leftovers(indices, spec, keep=new)
    await client.indices.put_settings(index=new, body={"index": {"gc_deletes": None}})
    await step("done")
    log.info("reindexed %s: %s -> %s (%d documents)", spec.kind, old, new, copied)
    return copied


async def _copy(indices: Indices, spec: IndexSpec, old: str, new: str) -> int:
    """Copy every document of ``old`` into ``new`` keeping its version, so that what the indexer wrote
    into ``new`` meanwhile (a higher version) wins. Done by the client (search_after pages + bulk),
    which needs nothing beyond the core REST API (the local node has no reindex module). Documents
    written while the copy runs go to both indices anyway, so a plain scan by id is complete."""
    copied = 0
    after: list[Any] | None = None
    while True:
        body: dict[str, Any] = {
            "size": COPY_BATCH,
            "version": True,
            "query": {"match_all": {}},
            "sort": [{spec.id_field: "asc"}],
            **({"search_after": after} if after else {}),
        }
        hits = (await indices.client.search(index=old, body=body))["hits"]["hits"]
        if not hits:
            return copied
        actions: list[dict[str, Any]] = []
        for hit in hits:
            meta = {"_index": new, "_id": hit["_id"], "version": hit["_version"], "version_type": "external"}
            actions += [{"index": meta}, hit["_source"]]
        response = await indices.client.bulk(body=actions)
        for item in response["items"]:
            status = int(item["index"].get("status", 500))
            if status in (200, 201):
                copied += 1
            elif status != 409:  # 409: the new index holds a newer version already
                raise RuntimeError(f"copying {old} -> {new} failed: {item['index'].get('error')}")
        after = hits[-1]["sort"]


async def _delete_leftovers(indices: Indices, spec: IndexSpec, keep: str) -> None:
    """Indices of this kind other than ``keep`` (the one the read alias names): what an interrupted
    reindex left, possibly still in the write alias, where it would cost every write for nothing."""
    found: dict[str, Any] = await indices.client.indices.get_alias(index=spec.pattern(indices.prefix))
    for name in found:
        if name != keep:
            log.warning("deleting search index %s left by an interrupted reindex", name)
            await indices.client.indices.delete(index=name)
