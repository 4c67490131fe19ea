"""URLs that clients fetch media bytes from: ``{public base}/{key}`` behind a CDN, else presigned GETs.

Presigned URLs are signed for a time rounded down to a step of a tenth of their lifetime, so the same
object gets the same URL for that step: browsers and CDNs can cache it, and the signature (four
HMAC-SHA256) is computed once per step and key instead of once per post in every response. A URL
stays valid for at least 90% of the configured lifetime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache

from core.clock import now_ms
from core.settings import Settings
from media.storage import ObjectStore

_CACHE_SIZE = 50_000


class MediaUrls:
    def __init__(self, store: ObjectStore, settings: Settings) -> None:
        self._store = store
        self._base = settings.media_public_base_url.rstrip("/") if settings.media_public_base_url else None
        self._ttl = timedelta(seconds=settings.media_url_ttl_seconds)
        self._step_ms = max(1000, settings.media_url_ttl_seconds * 100)
        self._signed = lru_cache(maxsize=_CACHE_SIZE)(self._sign)

    def url(self, key: str) -> str:
        if self._base is not None:
            return f"{self._base}/{key}"
        step = now_ms() // self._step_ms
        return self._signed(key, step)

    def _sign(self, key: str, step: int) -> str:
        signed_at = datetime.fromtimestamp(step * self._step_ms / 1000, tz=UTC)
        return self._store.presigned_get(key, self._ttl, signed_at)
