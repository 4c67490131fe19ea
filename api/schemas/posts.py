from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

import orjson
from pydantic import BaseModel, Field, field_validator

from api.schemas.common import IdStr, StrictBody, Timestamp, iso_utc
from api.schemas.media import MediaOut

MAX_CONTENT = 5000


class Visibility(StrEnum):
    public = "public"
    followers = "followers"
    private = "private"


def _content(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("content must not be empty")
    if len(value) > MAX_CONTENT:
        raise ValueError(f"content must be at most {MAX_CONTENT} characters")
    return value


class PostCreate(StrictBody):
    content: str
    # The rules (at most 4 images or 1 video, one's own, unattached) answer 400 from the route; the
    # bound here only keeps absurd bodies out.
    media_ids: list[str] = Field(default_factory=list, max_length=100)
    visibility: Visibility = Visibility.public

    _check_content = field_validator("content")(_content)


class CommentCreate(StrictBody):
    content: str

    _check_content = field_validator("content")(_content)


class ShareCreate(StrictBody):
    quote: str | None = Field(default=None, max_length=MAX_CONTENT)


class AuthorOut(BaseModel):
    user_id: IdStr
    username: str
    display_name: str | None
    avatar: str | None

    @classmethod
    def from_record(cls, user: dict[str, Any]) -> AuthorOut:
        """From a user map of the graph (``id``, ``username``, ``display_name``, ``avatar_url``)."""
        return cls.model_validate(_author_fields(user))


class PostOut(BaseModel):
    post_id: IdStr
    user_id: IdStr
    user: AuthorOut
    content: str
    media_urls: list[str]
    media: list[MediaOut] = []
    visibility: Visibility
    created_at: Timestamp
    like_count: int
    comment_count: int
    share_count: int
    is_liked: bool
    is_shared: bool

    @classmethod
    def from_record(
        cls,
        row: dict[str, Any],
        media_urls: list[str] | None = None,
        media: list[dict[str, Any]] | None = None,
    ) -> PostOut:
        return cls.model_validate(_post_fields(row, media_urls, media))


def _author_fields(user: dict[str, Any]) -> dict[str, Any]:
    return {
        "user_id": user["id"],
        "username": user["username"],
        "display_name": user.get("display_name"),
        "avatar": user.get("avatar_url"),
    }


def _post_fields(
    row: dict[str, Any], media_urls: list[str] | None, media: list[dict[str, Any]] | None
) -> dict[str, Any]:
    """PostOut's fields from a graph row, as plain data, validated once with the nested models (feed
    pages are written directly instead: FeedItemOut.json_of)."""
    post = row["post"]
    return {
        "post_id": post["id"],
        "user_id": post["author_id"],
        "user": _author_fields(row["author"]),
        "content": post["content"],
        "media_urls": media_urls or [],
        "media": media or [],
        "visibility": post["visibility"],
        "created_at": post["created_at"],
        "like_count": post["like_count"],
        "comment_count": post["comment_count"],
        "share_count": post["share_count"],
        "is_liked": row.get("is_liked", False),
        "is_shared": row.get("is_shared", False),
    }


class PostPage(BaseModel):
    posts: list[PostOut]
    next_cursor: str | None
    has_more: bool


class CommentOut(BaseModel):
    comment_id: IdStr
    post_id: IdStr
    user: AuthorOut
    content: str
    created_at: Timestamp

    @classmethod
    def from_record(cls, row: dict[str, Any]) -> CommentOut:
        comment, author = row["comment"], row["author"]
        return cls(
            comment_id=comment["id"],
            post_id=comment["post_id"],
            user=AuthorOut.from_record(author),
            content=comment["content"],
            created_at=comment["created_at"],
        )


class CommentPage(BaseModel):
    comments: list[CommentOut]
    next_cursor: str | None
    has_more: bool


class LikeOut(BaseModel):
    post_id: IdStr
    liked: bool
    like_count: int


class ShareOut(BaseModel):
    post_id: IdStr
    shared: bool
    share_count: int


class FeedItemOut(PostOut):
    """A post in a feed; a repost carries who shared it, when, and their quote."""

    entry_id: IdStr
    shared_by: AuthorOut | None = None
    quote: str | None = None
    shared_at: Timestamp | None = None

    @staticmethod
    def json_of(row: dict[str, Any], media_urls: list[str], media: list[dict[str, Any]]) -> dict[str, Any]:
        """The item as JSON-ready data from a feed row, fields in the model's order: what validating
        and dumping it would write (see FeedPageOut.render)."""
        post, sharer, shared_at = row["post"], row.get("shared_by"), row.get("shared_at")
        return {
            "post_id": str(post["id"]),
            "user_id": str(post["author_id"]),
            "user": _author_json(row["author"]),
            "content": post["content"],
            "media_urls": media_urls,
            "media": [_media_json(m) for m in media],
            "visibility": post["visibility"],
            "created_at": iso_utc(post["created_at"]),
            "like_count": post["like_count"],
            "comment_count": post["comment_count"],
            "share_count": post["share_count"],
            "is_liked": row.get("is_liked", False),
            "is_shared": row.get("is_shared", False),
            "entry_id": str(row["entry_id"]),
            "shared_by": _author_json(sharer) if sharer else None,
            "quote": row.get("quote"),
            "shared_at": None if shared_at is None else iso_utc(shared_at),
        }


class FeedPageOut(BaseModel):
    posts: list[FeedItemOut]
    next_cursor: str | None
    has_more: bool

    @staticmethod
    def render(items: Iterable[dict[str, Any]], next_cursor: str | None, has_more: bool) -> bytes:
        """The page's JSON from items made by :meth:`FeedItemOut.json_of`, written directly: a feed page is
        the API's most frequent response, and validating twenty items into models to dump them again
        took about two thirds of its serialization time. The model stays the contract (OpenAPI); the
        tests hold the two byte for byte equal (tests/unit/test_api_formats.py)."""
        return orjson.dumps({"posts": list(items), "next_cursor": next_cursor, "has_more": has_more})

    @staticmethod
    def recount(body: bytes, counts: Mapping[int, tuple[int, int, int]]) -> bytes:
        """A page written by :meth:`render` with these posts' counts (likes, comments, shares) replaced in
        every item showing the post (a post and a repost of it): what rendering the page again with
        those counts would write (tests/unit/test_api_formats.py). Every item starts with its
        ``{"post_id":"<id>"``, and JSON escapes each quote inside a string, so that opening and the
        count fields after it can only be the item's own."""
        spans: list[tuple[int, int, bytes]] = []
        for post_id, (likes, comments, shares) in counts.items():
            opening = b'{"post_id":"%d"' % post_id
            written = b'"like_count":%d,"comment_count":%d,"share_count":%d' % (likes, comments, shares)
            at = body.find(opening)
            while at >= 0:
                found = _COUNT_FIELDS.search(body, at)
                if found is None:
                    break
                spans.append((found.start(), found.end(), written))
                at = body.find(opening, found.end())
        parts, done = [], 0
        for start, end, written in sorted(spans):
            parts += [body[done:start], written]
            done = end
        return b"".join([*parts, body[done:]])


_COUNT_FIELDS = re.compile(rb'"like_count":-?\d+,"comment_count":-?\d+,"share_count":-?\d+')


def _author_json(user: dict[str, Any]) -> dict[str, Any]:
    return {
        "user_id": str(user["id"]),
        "username": user["username"],
        "display_name": user.get("display_name"),
        "avatar": user.get("avatar_url"),
    }


def _media_json(view: dict[str, Any]) -> dict[str, Any]:
    return {
        "media_id": str(view["media_id"]),
        "type": view["type"],
        "width": view["width"],
        "height": view["height"],
        "duration": view["duration"],
        "blurhash": view["blurhash"],
        "url": view["url"],
        "thumbnail_url": view["thumbnail_url"],
    }
