"""Media uploads end to end: receive (spooled to disk with a cap), validate and process (worker thread,
bounded concurrency), store (object store), describe (graph), serve (URLs), delete.

Ordering keeps the bucket free of orphans: a Media node is written before any of its objects, so every
object has a node that the post-deletion consumer or the cleanup job can find; a refused file is never
written at all; a refused presigned upload is deleted with its node."""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO

import anyio

from cache.events import Event
from core.clock import now_ms
from core.errors import AppError, Conflict, Invalid, NotFound
from core.ids import new_id
from core.settings import Settings
from graph.driver import Graph, Record
from graph.repositories import media as media_repo
from media.keys import MediaKeys, new_upload_key
from media.limits import Limits
from media.processed import Processed
from media.processing import check_size, process_file
from media.spool import spool_multipart
from media.storage import ObjectStore
from media.urls import MediaUrls

log = logging.getLogger(__name__)

THUMBNAIL_MIME = "image/webp"


@dataclass(frozen=True)
class UploadTicket:
    media_id: int
    url: str
    expires_at_ms: int
    max_bytes: int


class MediaService:
    def __init__(self, settings: Settings, graph: Graph, store: ObjectStore) -> None:
        self.graph = graph
        self.store = store
        self.limits = Limits.from_settings(settings)
        self.urls = MediaUrls(store, settings)
        self._prefix = settings.media_key_prefix
        self._upload_ttl = timedelta(seconds=settings.media_upload_url_ttl_seconds)
        self._concurrency = settings.media_processing_concurrency
        self._limiter: anyio.CapacityLimiter | None = None

    # --- uploads -------------------------------------------------------------------------------

    async def upload(
        self, owner_id: int, content_type: str | None, content_length: str | None, body: AsyncIterator[bytes]
    ) -> Record:
        """A direct multipart upload: spooled to a temporary file, processed, stored. Returns the item."""
        with _workdir() as workdir:
            path = workdir / "upload"
            with _create(path) as out:
                await spool_multipart(content_type, content_length, body, out, self.limits)
            processed = await self._process(path, workdir)
            media_id, keys = new_id(), MediaKeys.new(self._prefix)
            await media_repo.create(
                self.graph,
                media_id=media_id,
                owner_id=owner_id,
                status="processing",
                key_base=keys.base,
                upload_key=None,
                now_ms=now_ms(),
            )
            return await self._store(media_id, keys, processed)

    async def start_upload(self, owner_id: int) -> UploadTicket:
        """A presigned PUT URL for a large file; the item waits in 'uploading' until completed."""
        media_id, keys, upload_key = new_id(), MediaKeys.new(self._prefix), new_upload_key(self._prefix)
        created = now_ms()
        await media_repo.create(
            self.graph,
            media_id=media_id,
            owner_id=owner_id,
            status="uploading",
            key_base=keys.base,
            upload_key=upload_key,
            now_ms=created,
        )
        url = self.store.presigned_put(upload_key, self._upload_ttl)
        expires = created + int(self._upload_ttl.total_seconds() * 1000)
        return UploadTicket(media_id, url, expires, self.limits.any_max_bytes)

    async def complete_upload(self, owner_id: int, media_id: int) -> Record:
        """Validate and process the uploaded object exactly like a direct upload. An invalid file is
        deleted with its item (the id is then gone). Idempotent once the item is ready."""
        previous, media = await media_repo.claim_upload(self.graph, media_id, owner_id)
        if previous in ("ready", "attached"):
            return media
        if previous == "processing":
            raise Conflict("this upload is being completed", code="upload_in_progress")
        if previous != "uploading":
            raise NotFound("no such upload", code="upload_not_found")
        upload_key, keys = str(media["upload_key"]), MediaKeys(str(media["key_base"]))
        try:
            size = await self.store.size_of(upload_key)
            if size is None:
                await media_repo.release_upload(self.graph, media_id)
                raise Invalid("nothing was uploaded to the upload URL yet", code="upload_missing")
            with _workdir() as workdir:
                path = workdir / "upload"
                check_size(size, self.limits.any_max_bytes)
                await self.store.download(upload_key, path, self.limits.any_max_bytes)
                processed = await self._process(path, workdir)
                return await self._store(media_id, keys, processed, upload_key=upload_key)
        except AppError as exc:
            if exc.code == "upload_missing":
                raise
            if exc.status_code < 500:
                await self._discard(media_id, keys, upload_key)
            else:  # storage or graph trouble: let the client complete again later
                await _quietly(media_repo.release_upload(self.graph, media_id))
            raise

    async def get(self, owner_id: int, media_id: int) -> Record:
        return await media_repo.get(self.graph, media_id, owner_id)

    async def _process(self, path: Path, workdir: Path) -> Processed:
        if self._limiter is None:  # created lazily: it must be made inside the event loop
            self._limiter = anyio.CapacityLimiter(self._concurrency)
        return await anyio.to_thread.run_sync(process_file, path, self.limits, workdir, limiter=self._limiter)

    async def _store(
        self, media_id: int, keys: MediaKeys, processed: Processed, upload_key: str | None = None
    ) -> Record:
        fmt = processed.fmt
        original, thumbnail = keys.original(fmt.ext), keys.thumbnail
        # A failure from here on leaves the node in 'processing': the cleanup job removes it and its
        # objects later, so nothing is orphaned even if this process dies.
        await self.store.put_file(original, processed.original, fmt.mime)
        await self.store.put_bytes(thumbnail, processed.thumbnail, THUMBNAIL_MIME)
        if upload_key is not None:
            await self.store.remove([upload_key])
        props: dict[str, Any] = {
            "type": fmt.kind,
            "format": fmt.name,
            "mime": fmt.mime,
            "width": processed.width,
            "height": processed.height,
            "duration": processed.duration,
            "codec": processed.codec,
            "blurhash": processed.blurhash,
            "size": processed.original.stat().st_size,
            "original_key": original,
            "thumb_key": thumbnail,
        }
        media = await media_repo.finish(self.graph, media_id, props, now_ms())
        if media is None:
            raise Conflict("the upload was cleaned up while it was processed", code="upload_expired")
        return media

    async def _discard(self, media_id: int, keys: MediaKeys, upload_key: str) -> None:
        """Delete a refused presigned upload: its objects, then its node."""
        await self.store.remove([upload_key, *await self.store.list_keys(f"{keys.base}/")])
        await media_repo.delete_nodes(self.graph, [media_id], ["uploading", "processing"])

    # --- deletion --------------------------------------------------------------------------------

    async def handle_events(self, events: list[Event]) -> None:
        """Consumer group "media": the media of a deleted post or account are deleted, objects first,
        then nodes. Idempotent: a redelivered event finds the nodes gone (or deletes missing objects
        again)."""
        media_ids = [
            m for event in events if event.type in ("post_deleted", "user_deleted") for m in event.media_ids
        ]
        if media_ids:
            await self.delete_marked(await media_repo.deleting(self.graph, media_ids))

    async def delete_marked(self, rows: list[Record]) -> int:
        """Delete the objects of items marked 'deleting', then the items; returns how many."""
        if not rows:
            return 0
        keys: list[str] = []
        for row in rows:
            keys += await self.store.list_keys(f"{row['key_base']}/")
            if row.get("upload_key"):
                keys.append(str(row["upload_key"]))
        await self.store.remove(keys)
        return await media_repo.delete_nodes(self.graph, [r["media_id"] for r in rows], ["deleting"])

    # --- serving ---------------------------------------------------------------------------------

    def view(self, media: Record) -> dict[str, Any]:
        """What clients see of an item (the fields of MediaOut)."""
        return {
            "media_id": media["id"],
            "type": media["type"],
            "width": media["width"],
            "height": media["height"],
            "duration": media.get("duration"),
            "blurhash": media["blurhash"],
            "url": self.urls.url(media["original_key"]),
            "thumbnail_url": self.urls.url(media["thumb_key"]),
        }

    def for_post(self, post: Record) -> tuple[list[str], list[dict[str, Any]]]:
        """(media_urls, media views) of a post map that carries ``media`` (the post queries' projection)."""
        views = [self.view(m) for m in post.get("media") or []]
        return [v["url"] for v in views], views


@contextmanager
def _workdir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="feedgraph-media-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _create(path: Path) -> BinaryIO:
    return path.open("wb")


async def _quietly(awaitable: Any) -> None:
    try:
        await awaitable
    except Exception as exc:  # best effort: the cleanup job covers what this misses
        log.warning("media clean-up step failed: %r", exc)
