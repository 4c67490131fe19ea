"""Removal of media that are no longer wanted.

* Deleted posts: ``posts/delete_post`` marks the post's media 'deleting' and writes a ``post_deleted``
  outbox event carrying their ids in the same transaction; the "media" consumer group of the worker
  (:data:`GROUP`, ``MediaService.handle_events``) deletes the objects, then the nodes. A crash between the
  graph write and the object deletion is recovered by redelivery of the event.
* Never attached: :func:`run_media_cleanup` (the ``media-cleanup`` job) deletes items created more than
  ``FEEDGRAPH_MEDIA_ORPHAN_TTL_SECONDS`` ago that are not attached to a post, including presigned
  uploads never completed and uploads interrupted mid-way. It also finishes items left in 'deleting'.
  Only items under this deployment's ``FEEDGRAPH_MEDIA_KEY_PREFIX`` are considered.

An item attached to a post is never deleted by either path: attaching and claiming both take the item's
write lock and check its status."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.clock import now_ms
from graph.repositories import media as media_repo

if TYPE_CHECKING:
    from api.services import Services

GROUP = "media"
JOB_NAME = "media-cleanup"
_BATCH = 200


async def run_media_cleanup(services: Services) -> int:
    """Delete never-attached media older than the configured age; returns how many items were removed."""
    cutoff = now_ms() - services.settings.media_orphan_ttl_seconds * 1000
    removed = 0
    while True:
        rows = await media_repo.claim_orphans(
            services.graph, cutoff, services.settings.media_key_prefix, _BATCH
        )
        removed += await services.media.delete_marked(rows)
        if len(rows) < _BATCH:
            return removed
