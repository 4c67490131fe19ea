"""Repositories, one module per domain; importing this package registers every query they use."""

from graph.repositories import feed, interactions, outbox, posts, social, users

__all__ = ["feed", "interactions", "outbox", "posts", "social", "users"]
