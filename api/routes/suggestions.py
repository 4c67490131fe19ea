"""Friend suggestions computed by the `friend-suggestions` job."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CurrentUser, GraphDep, Writer
from api.pagination import cursor_one, page
from api.schemas.common import Cursor, Limit, parse_id
from api.schemas.suggestions import DismissOut, SuggestionOut, SuggestionPage
from core.clock import now_ms
from core.errors import Invalid
from graph.repositories import suggestions

router = APIRouter(prefix="/suggestions", tags=["suggestions"])


@router.get("", response_model=SuggestionPage)
async def list_suggestions(
    graph: GraphDep,
    viewer: CurrentUser,
    limit: Limit = 20,
    before: Cursor = None,
) -> SuggestionPage:
    """Accounts to follow, best first, with the reason. Accounts followed, blocked, muted or dismissed
    since the job last ran are left out. Empty until the job has run for this user."""
    after_rank = cursor_one(before)
    if after_rank is not None and not 0 <= after_rank < 2**31:
        raise Invalid("the cursor is not valid; use next_cursor from a previous page", code="invalid_cursor")
    rows = await suggestions.list_for(graph, viewer, after_rank, limit + 1)
    items, next_cursor, has_more = page(rows, limit, lambda r: (r["rank"],))
    return SuggestionPage(
        suggestions=[SuggestionOut.from_record(r) for r in items], next_cursor=next_cursor, has_more=has_more
    )


@router.delete("/{user_id}", response_model=DismissOut)
async def dismiss(user_id: str, graph: GraphDep, me: Writer) -> DismissOut:
    """Dismiss a suggestion: that account is never suggested again. Idempotent; 404 for an unknown user."""
    target = parse_id(user_id, "user_id")
    await suggestions.dismiss(graph, me, target, now_ms())
    return DismissOut(user_id=target, dismissed=True)
