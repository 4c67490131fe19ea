"""What processing an upload yields: the file to store and what the API reports about it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from media.formats import MediaFormat


@dataclass(frozen=True)
class Processed:
    fmt: MediaFormat
    original: Path  # the cleaned file to store (re-encoded image, remuxed video)
    width: int
    height: int
    thumbnail: bytes  # WebP: image thumbnail or video poster
    blurhash: str
    duration: float | None = None  # seconds, videos only
    codec: str | None = None  # videos only
