"""Repositories, one module per domain; importing this package registers every query they use."""

from graph.repositories import interactions, posts, social, users

__all__ = ["interactions", "posts", "social", "users"]
