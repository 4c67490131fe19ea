"""Bearer tokens: HS256 JWTs signed with the secret from settings (PyJWT)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt
from cachetools import TLRUCache

from core.errors import Unauthorized
from core.settings import Settings

_ALGORITHM = "HS256"
_ISSUER = "feedgraph"
# Tokens this process has verified, remembered until they expire (least recently used forgotten
# first): an HS256 check costs ~60-100 µs, several percent of a feed read or a like. ~200 B each.
_VERIFIED_MEMORY = 100_000


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: int  # Unix seconds
    expires_in: int


class Tokens:
    def __init__(self, settings: Settings) -> None:
        self._secret = settings.jwt_secret.get_secret_value()
        self._ttl = settings.jwt_ttl_seconds
        # token -> (user id, exp), each entry dropped at its token's expiry. The timer looks time.time
        # up on each call, so it is the same clock as _verify's check.
        self._verified: TLRUCache[str, tuple[int, int]] = TLRUCache(
            maxsize=_VERIFIED_MEMORY, ttu=lambda _token, known, _now: known[1], timer=lambda: time.time()
        )

    def issue(self, user_id: int) -> IssuedToken:
        now = int(time.time())
        claims = {"sub": str(user_id), "iat": now, "exp": now + self._ttl, "iss": _ISSUER}
        return IssuedToken(jwt.encode(claims, self._secret, algorithm=_ALGORITHM), now + self._ttl, self._ttl)

    def user_id(self, token: str) -> int:
        """The user a valid token was issued to; expired, forged or malformed tokens are a 401."""
        known = self._verified.get(token)
        if known is None:
            known = self._verified[token] = self._verify(token)
        return known[0]

    def _verify(self, token: str) -> tuple[int, int]:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[_ALGORITHM],
                issuer=_ISSUER,
                options={"require": ["exp", "sub"]},
            )
            user_id, expires_at = int(claims["sub"]), int(claims["exp"])
        except jwt.ExpiredSignatureError as exc:
            raise _expired() from exc
        except (jwt.InvalidTokenError, ValueError) as exc:
            raise Unauthorized("the token is not valid", code="invalid_token") from exc
        if expires_at <= time.time():  # the same clock as the remembered tokens' check
            raise _expired()
        return user_id, expires_at


def _expired() -> Unauthorized:
    return Unauthorized("the token has expired; log in again", code="token_expired")
