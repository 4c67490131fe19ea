"""Object keys. A key is ``<prefix>m/<random>/<name>``: 128 random bits, so keys cannot be guessed (which
matters when media are served through a public base URL) and say nothing about the user, the post or
the upload time. Upload staging objects (presigned PUT) live under ``<prefix>u/<random>``."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

THUMBNAIL_NAME = "thumb.webp"


@dataclass(frozen=True)
class MediaKeys:
    base: str  # every object of one media item is under f"{base}/"

    @classmethod
    def new(cls, prefix: str) -> MediaKeys:
        return cls(f"{prefix}m/{secrets.token_hex(16)}")

    def original(self, ext: str) -> str:
        return f"{self.base}/original.{ext}"

    @property
    def thumbnail(self) -> str:
        return f"{self.base}/{THUMBNAIL_NAME}"


def new_upload_key(prefix: str) -> str:
    return f"{prefix}u/{secrets.token_hex(16)}"
