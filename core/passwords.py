"""Password hashing with argon2id (argon2-cffi). Hashing is deliberately slow: callers run it in a
worker thread so the event loop keeps serving."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core.settings import Settings


class Passwords:
    def __init__(self, settings: Settings) -> None:
        self._hasher = PasswordHasher(
            memory_cost=settings.argon2_memory_kib, time_cost=settings.argon2_time_cost
        )

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
