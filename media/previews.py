"""Thumbnails and blurhashes, shared by images and video posters."""

from __future__ import annotations

import io

import blurhash
from PIL import Image

# 4x3 components: the blurhash default, a good balance of detail and length (~28 characters).
_BLURHASH_COMPONENTS = (4, 3)
# Blurhash only keeps low frequencies: a tiny image gives the same hash much faster.
_BLURHASH_SOURCE_SIDE = 32
_THUMBNAIL_QUALITY = 80


def flatten(image: Image.Image) -> Image.Image:
    """RGB or RGBA, whatever the source mode (palette, grey, CMYK, 16-bit ...)."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    return image.convert("RGBA" if has_alpha else "RGB")


def thumbnail_webp(image: Image.Image, side: int) -> bytes:
    """A WebP of at most ``side`` px on the long side (WebP keeps transparency, unlike JPEG)."""
    thumb = flatten(image)
    thumb.thumbnail((side, side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    thumb.save(out, "WEBP", quality=_THUMBNAIL_QUALITY, method=4)
    return out.getvalue()


def blurhash_of(image: Image.Image) -> str:
    small = image.convert("RGB")
    small.thumbnail((_BLURHASH_SOURCE_SIDE, _BLURHASH_SOURCE_SIDE), Image.Resampling.BILINEAR)
    width, height = small.size
    raw = small.tobytes()  # RGB triplets, row by row; a 3-byte slice indexes like an (r, g, b) tuple
    rows = [[raw[(y * width + x) * 3 : (y * width + x) * 3 + 3] for x in range(width)] for y in range(height)]
    x, y = _BLURHASH_COMPONENTS
    return str(blurhash.encode(rows, components_x=x, components_y=y))
