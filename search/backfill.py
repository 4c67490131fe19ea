"""The backfill job: index every post and user of the graph (``feedgraph jobs run search-backfill``).

Needed once for data written before search existed, or after an index was lost; the event stream
keeps the indices current from then on. Idempotent and safe while the API runs: documents are
re-read from the graph and written with a fresh external version, like the indexer does."""

from __future__ import annotations

from typing import TYPE_CHECKING

from graph.repositories import search as search_graph

if TYPE_CHECKING:
    from api.services import Services

# Ids per graph page and bulk request.
BATCH = 500


async def run_backfill(services: Services, after_id: int = -1) -> int:
    """Index posts and users with ids above ``after_id`` (all by default); returns documents written."""
    indexer = services.search_service.indexer
    written = 0
    cursor = after_id
    while ids := await search_graph.post_ids_after(services.graph, cursor, BATCH):
        written += await indexer.index_posts(ids)
        cursor = ids[-1]
    cursor = after_id
    while ids := await search_graph.user_ids_after(services.graph, cursor, BATCH):
        written += await indexer.index_users(ids)
        cursor = ids[-1]
    return written
