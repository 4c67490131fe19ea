from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, EmailStr, Field, field_validator

from api.schemas.common import IdStr, StrictBody, Timestamp

USERNAME = re.compile(r"^[A-Za-z0-9_]{3,30}$")


class RegisterRequest(StrictBody):
    username: str = Field(description="3-30 letters, digits or underscores; unique ignoring case")
    email: EmailStr
    password: str = Field(min_length=8, max_length=256)

    @field_validator("username")
    @classmethod
    def _username_shape(cls, value: str) -> str:
        if not USERNAME.fullmatch(value):
            raise ValueError("username must be 3-30 letters, digits or underscores")
        return value


class AccountDeletion(StrictBody):
    password: str = Field(min_length=1, max_length=256, description="the account's password, to confirm")


class ProfileUpdate(StrictBody):
    display_name: str | None = Field(default=None, min_length=1, max_length=50)
    bio: str | None = Field(default=None, max_length=500)
    avatar_url: str | None = Field(default=None, max_length=1000, pattern=r"^https?://\S+$")


class UserOut(BaseModel):
    user_id: IdStr
    username: str
    display_name: str | None
    bio: str | None
    avatar_url: str | None
    follower_count: int
    following_count: int
    post_count: int
    created_at: Timestamp
    is_following: bool | None = None
    follows_you: bool | None = None
    is_blocked: bool | None = None
    is_muted: bool | None = None

    @classmethod
    def from_record(cls, user: dict[str, Any], flags: dict[str, Any] | None = None) -> UserOut:
        flags = flags or {}
        return cls(
            user_id=user["id"],
            username=user["username"],
            display_name=user.get("display_name"),
            bio=user.get("bio"),
            avatar_url=user.get("avatar_url"),
            follower_count=user["follower_count"],
            following_count=user["following_count"],
            post_count=user.get("post_count", 0),
            created_at=user["created_at"],
            **{k: flags[k] for k in ("is_following", "follows_you", "is_blocked", "is_muted") if k in flags},
        )


class UserPage(BaseModel):
    users: list[UserOut]
    next_cursor: str | None
    has_more: bool


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    expires_at: Timestamp
    user_id: IdStr


class FollowOut(BaseModel):
    user_id: IdStr
    following: bool
    follower_count: int
    following_count: int


class RelationOut(BaseModel):
    user_id: IdStr
    blocked: bool | None = None
    muted: bool | None = None
