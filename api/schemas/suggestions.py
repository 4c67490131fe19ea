from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from api.schemas.common import IdStr, Timestamp
from api.schemas.users import UserOut


def reason_text(kind: str, followed_by: list[str], mutual_count: int | None) -> str:
    """Why an account is suggested: "followed by alice and 3 others you follow", or "popular"."""
    if kind != "friends":
        return "popular on FeedGraph"
    count = max(mutual_count or 0, len(followed_by))
    if not followed_by:
        # The followees who explained it were unfollowed since: still true of the count at that time.
        return f"followed by {count} {'account' if count == 1 else 'accounts'} you followed"
    first, others = followed_by[0], count - 1
    if others == 0:
        return f"followed by {first}, whom you follow"
    return f"followed by {first} and {others} {'other' if others == 1 else 'others'} you follow"


class SuggestionOut(BaseModel):
    user: UserOut
    kind: Literal["friends", "popular"] = Field(
        description="friends: followed by accounts you follow; popular: the cold start"
    )
    reason: str
    followed_by: list[str] = Field(description="usernames of accounts you follow who follow this account")
    mutual_count: int | None = Field(
        description="how many accounts you follow follow this one (friends only)"
    )
    score: float
    computed_at: Timestamp

    @classmethod
    def from_record(cls, row: dict[str, Any]) -> SuggestionOut:
        return cls(
            user=UserOut.from_record(row["user"]),
            kind=row["kind"],
            reason=reason_text(row["kind"], row["followed_by"], row["mutual_count"]),
            followed_by=row["followed_by"],
            mutual_count=row["mutual_count"],
            score=row["score"],
            computed_at=row["computed_at"],
        )


class SuggestionPage(BaseModel):
    suggestions: list[SuggestionOut]
    next_cursor: str | None
    has_more: bool


class DismissOut(BaseModel):
    user_id: IdStr
    dismissed: bool
