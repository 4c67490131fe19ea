from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from api.schemas.common import IdStr, StrictBody, Timestamp
from api.schemas.posts import AuthorOut


class NotificationOut(BaseModel):
    notification_id: IdStr
    kind: str = Field(description="like | comment | share | follow | mention")
    actor: AuthorOut
    post_id: IdStr | None
    created_at: Timestamp
    read: bool

    @classmethod
    def from_record(cls, row: dict[str, Any]) -> NotificationOut:
        note, actor = row["notification"], row["actor"]
        return cls(
            notification_id=note["id"],
            kind=note["kind"],
            actor=AuthorOut.from_record(actor),
            post_id=note.get("post_id"),
            created_at=note["created_at"],
            read=note["read"],
        )


class NotificationPage(BaseModel):
    notifications: list[NotificationOut]
    unread_count: int
    next_cursor: str | None
    has_more: bool


class MarkRead(StrictBody):
    """Which notifications to mark read: ``ids``, or all up to ``up_to`` (an id), or all of them."""

    ids: list[str] | None = Field(default=None, max_length=500)
    up_to: str | None = None


class MarkedOut(BaseModel):
    marked: int
    unread_count: int


class Platform(StrEnum):
    ios = "ios"
    android = "android"
    web = "web"


class DeviceIn(StrictBody):
    token: str = Field(min_length=8, max_length=4096, pattern=r"^\S+$")
    platform: Platform


class DeviceOut(BaseModel):
    token: str
    platform: Platform
