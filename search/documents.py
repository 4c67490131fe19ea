"""Search documents built from graph rows (pure functions: the graph is the source of truth)."""

from __future__ import annotations

from typing import Any

from core import text

# Weights of the popularity signal stored with each post (explore ranks on it): a share spreads a
# post furthest, a comment costs more effort than a like.
LIKE_WEIGHT, COMMENT_WEIGHT, SHARE_WEIGHT = 1, 2, 3


def engagement(like_count: int, comment_count: int, share_count: int) -> int:
    return LIKE_WEIGHT * like_count + COMMENT_WEIGHT * comment_count + SHARE_WEIGHT * share_count


def post_document(post: dict[str, Any], author_username: str, indexed_at: int) -> dict[str, Any]:
    """The indexed form of a post. Hashtags and mentions are parsed from the content by the same code
    that parses them when the post is written (core/text.py), so queries and documents agree."""
    content: str = post["content"]
    likes, comments, shares = post["like_count"], post["comment_count"], post["share_count"]
    return {
        "post_id": post["id"],
        "author_id": post["author_id"],
        "author_username": author_username.lower(),
        "content": content,
        "hashtags": text.hashtags(content),
        "mentions": text.mentions(content),
        "visibility": post["visibility"],
        "created_at": post["created_at"],
        "like_count": likes,
        "comment_count": comments,
        "share_count": shares,
        "engagement": engagement(likes, comments, shares),
        "indexed_at": indexed_at,
    }


def user_document(user: dict[str, Any], indexed_at: int) -> dict[str, Any]:
    return {
        "user_id": user["id"],
        "username": user["username"],
        "username_lower": user["username_lower"],
        "username_text": user["username"],
        "display_name": user.get("display_name") or user["username"],
        "bio": user.get("bio") or "",
        "follower_count": user.get("follower_count") or 0,
        "created_at": user["created_at"],
        "indexed_at": indexed_at,
    }
