"""The configured limits of uploads, in one object handed to the (pure, threaded) processing code."""

from __future__ import annotations

from dataclasses import dataclass

from core.settings import Settings
from media.formats import Kind


@dataclass(frozen=True)
class Limits:
    image_max_bytes: int = 16 * 1024 * 1024
    image_max_side: int = 8000
    image_stored_max_side: int = 4096
    thumbnail_side: int = 640
    video_max_bytes: int = 100 * 1024 * 1024
    video_max_seconds: float = 600.0
    video_max_side: int = 8192

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            image_max_bytes=settings.media_image_max_bytes,
            image_max_side=settings.media_image_max_side,
            image_stored_max_side=settings.media_image_stored_max_side,
            thumbnail_side=settings.media_thumbnail_side,
            video_max_bytes=settings.media_video_max_bytes,
            video_max_seconds=settings.media_video_max_seconds,
            video_max_side=settings.media_video_max_side,
        )

    def max_bytes(self, kind: Kind) -> int:
        return self.image_max_bytes if kind == "image" else self.video_max_bytes

    @property
    def any_max_bytes(self) -> int:
        """The cap while the type is not known yet."""
        return max(self.image_max_bytes, self.video_max_bytes)

    @property
    def image_max_pixels(self) -> int:
        """Pixels of all frames together: what decoding costs in memory and time (bomb guard)."""
        return self.image_max_side * self.image_max_side
