"""Bearer tokens: HS256 JWTs signed with the secret from settings (PyJWT)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt

from core.errors import Unauthorized
from core.settings import Settings

_ALGORITHM = "HS256"
_ISSUER = "feedgraph"


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: int  # Unix seconds
    expires_in: int


class Tokens:
    def __init__(self, settings: Settings) -> None:
        self._secret = settings.jwt_secret.get_secret_value()
        self._ttl = settings.jwt_ttl_seconds

    def issue(self, user_id: int) -> IssuedToken:
        now = int(time.time())
        claims = {"sub": str(user_id), "iat": now, "exp": now + self._ttl, "iss": _ISSUER}
        return IssuedToken(jwt.encode(claims, self._secret, algorithm=_ALGORITHM), now + self._ttl, self._ttl)

    def user_id(self, token: str) -> int:
        """The user a valid token was issued to; expired, forged or malformed tokens are a 401."""
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[_ALGORITHM],
                issuer=_ISSUER,
                options={"require": ["exp", "sub"]},
            )
            return int(claims["sub"])
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("the token has expired; log in again", code="token_expired") from exc
        except (jwt.InvalidTokenError, ValueError) as exc:
            raise Unauthorized("the token is not valid", code="invalid_token") from exc
