"""Media items: uploaded files (images, videos) whose objects live in the bucket under ``key_base``.

Lifecycle (``status``): 'uploading' (presigned PUT handed out) -> 'processing' -> 'ready' -> 'attached'
(to one post) -> 'deleting' (post deleted, or never attached in time) -> node removed after its objects."""

from __future__ import annotations

from typing import Any

from core.errors import NotFound
from graph.driver import Graph, Record
from graph.queries import cypher

_CREATE = cypher("media/create_media")
_FINISH = cypher("media/finish_media")
_GET = cypher("media/get_media")
_CLAIM_UPLOAD = cypher("media/claim_upload")
_RELEASE_UPLOAD = cypher("media/release_upload")
_LIST_DELETING = cypher("media/list_deleting_media")
_DELETE = cypher("media/delete_media")
_CLAIM_ORPHANS = cypher("media/claim_orphans")
# Used by posts.create_post inside its own transaction.
LOCK_MEDIA = cypher("media/lock_media")

# Statuses in which an item may be removed without touching any post.
UNATTACHED = ["uploading", "processing", "ready", "deleting"]


async def create(
    graph: Graph,
    *,
    media_id: int,
    owner_id: int,
    status: str,
    key_base: str,
    upload_key: str | None,
    now_ms: int,
) -> None:
    rows = await graph.write(
        _CREATE,
        media_id=media_id,
        owner_id=owner_id,
        status=status,
        key_base=key_base,
        upload_key=upload_key,
        now=now_ms,
    )
    if not rows:
        raise NotFound("the uploader no longer exists", code="user_not_found")


async def finish(graph: Graph, media_id: int, props: dict[str, Any], now_ms: int) -> Record | None:
    """Mark a processed item ready; None when it was no longer 'processing' (e.g. cleaned up)."""
    rows = await graph.write(_FINISH, media_id=media_id, props=props, now=now_ms)
    return rows[0]["media"] if rows else None


async def get(graph: Graph, media_id: int, owner_id: int) -> Record:
    rows = await graph.read(_GET, media_id=media_id, owner_id=owner_id)
    if not rows:
        raise NotFound("no such media", code="media_not_found")
    media: Record = rows[0]["media"]
    return media


async def claim_upload(graph: Graph, media_id: int, owner_id: int) -> tuple[str, Record]:
    """(status before the claim, the item); 'uploading' before means the caller now processes it."""
    rows = await graph.write(_CLAIM_UPLOAD, media_id=media_id, owner_id=owner_id)
    if not rows:
        raise NotFound("no such upload", code="upload_not_found")
    return rows[0]["previous"], rows[0]["media"]


async def release_upload(graph: Graph, media_id: int) -> None:
    await graph.write(_RELEASE_UPLOAD, media_id=media_id)


async def deleting(graph: Graph, media_ids: list[int]) -> list[Record]:
    """Items among ``media_ids`` marked 'deleting', with their object locations."""
    return await graph.read(_LIST_DELETING, ids=media_ids)


async def delete_nodes(graph: Graph, media_ids: list[int], statuses: list[str]) -> int:
    rows = await graph.write(_DELETE, ids=media_ids, statuses=statuses)
    return int(rows[0]["deleted"]) if rows else 0


async def claim_orphans(graph: Graph, cutoff_ms: int, key_prefix: str, limit: int) -> list[Record]:
    """Never-attached items created before ``cutoff_ms`` with keys under ``key_prefix``, now 'deleting'."""
    return await graph.write(_CLAIM_ORPHANS, cutoff=cutoff_ms, key_prefix=key_prefix, limit=limit)
