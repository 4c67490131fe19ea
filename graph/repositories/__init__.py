"""Repositories, one module per domain; importing this package registers every query they use."""

from graph.repositories import (
    bench,
    feed,
    interactions,
    media,
    notifications,
    outbox,
    posts,
    search,
    social,
    suggestions,
    users,
)

__all__ = [
    "bench",
    "feed",
    "interactions",
    "media",
    "notifications",
    "outbox",
    "posts",
    "search",
    "social",
    "suggestions",
    "users",
]
