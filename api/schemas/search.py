"""Search and discovery responses (post and user pages reuse the posts and users schemas)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class TrendingTagOut(BaseModel):
    tag: str = Field(description="lower-case, without '#'")
    score: float = Field(description="time-decayed activity score (see docs/SEARCH.md)")


class TrendingTagPage(BaseModel):
    hashtags: list[TrendingTagOut]
    next_cursor: str | None
    has_more: bool
