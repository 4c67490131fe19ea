"""Image validation and processing with Pillow: limits checked before decoding, full decode (a truncated
or corrupt file fails here), EXIF orientation applied, then a re-encode that keeps pixels, the ICC colour
profile, transparency and animation and drops every other metadata (EXIF, GPS, XMP, comments)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, BinaryIO

from PIL import Image, ImageOps, ImageSequence

from core.errors import AppError, Invalid
from media.formats import GIF, JPEG, PNG, WEBP, MediaFormat
from media.limits import Limits
from media.previews import blurhash_of, flatten, thumbnail_webp
from media.processed import Processed

_PILLOW_FORMAT = {JPEG.name: "JPEG", PNG.name: "PNG", GIF.name: "GIF", WEBP.name: "WEBP"}
_QUALITY = 88
# GIF frames without a delay are shown for 100 ms by browsers.
_DEFAULT_FRAME_MS = 100


def process_image(path: Path, fmt: MediaFormat, limits: Limits, workdir: Path) -> Processed:
    """Validate and re-encode the image at ``path``; raises ``Invalid`` naming the problem."""
    try:
        return _process(path, fmt, limits, workdir)
    except AppError:
        raise
    except Image.DecompressionBombError as exc:
        raise Invalid(
            f"the image decodes to too many pixels (decompression bomb guard): {exc}", code="image_too_large"
        ) from exc
    except Exception as exc:  # any decoder failure on client bytes is the client's bad file, never a 500
        raise Invalid(
            f"the {fmt.label} image is truncated or corrupt and could not be decoded ({exc})",
            code="corrupt_image",
        ) from exc


def _process(path: Path, fmt: MediaFormat, limits: Limits, workdir: Path) -> Processed:
    pillow_format = [_PILLOW_FORMAT[fmt.name]]
    # 1. Header only: refuse oversized and bomb images before a single pixel is decoded.
    with Image.open(path, formats=pillow_format) as header:
        width, height = header.size
        frames = _frame_count(path, header, fmt, limits, width * height)
    # 2. Structural checks that are cheap without decoding (PNG chunk CRCs, for one).
    with Image.open(path, formats=pillow_format) as probe:
        probe.verify()
    # 3. Decode, clean and re-encode.
    out = workdir / f"processed.{fmt.ext}"
    with Image.open(path, formats=pillow_format) as image:
        icc = image.info.get("icc_profile")
        if frames == 1:
            first = _still(image, fmt, limits)
            _save_still(first, fmt, out, icc)
        else:
            first = _save_animated(image, fmt, limits, out)
    return Processed(
        fmt=fmt,
        original=out,
        width=first.width,
        height=first.height,
        thumbnail=thumbnail_webp(first, limits.thumbnail_side),
        blurhash=blurhash_of(first),
    )


def _check_dimensions(width: int, height: int, limits: Limits) -> None:
    if width < 1 or height < 1:
        raise Invalid("the image has no pixels", code="corrupt_image")
    side = limits.image_max_side
    if width > side or height > side:
        raise Invalid(
            f"the image is {width}x{height} px; the limit is {side}x{side} px", code="image_too_large"
        )


def _frame_count(path: Path, header: Image.Image, fmt: MediaFormat, limits: Limits, pixels: int) -> int:
    _check_dimensions(header.width, header.height, limits)
    budget = limits.image_max_pixels
    # Pillow counts GIF frames by decoding them all: a crafted GIF could make that very slow, so count
    # them from the block structure instead. WebP and APNG declare their frame count in a header.
    if fmt is GIF:
        with path.open("rb") as f:
            frames = _gif_frames(f, stop_after=budget // pixels + 1)
    else:
        frames = int(getattr(header, "n_frames", 1))
    if pixels * frames > budget:
        raise Invalid(
            f"the image would decode to {frames} frame(s) of {header.width}x{header.height} px, more than "
            f"the {budget:,} pixels allowed (decompression bomb guard)",
            code="image_too_large",
        )
    return frames


def _gif_frames(f: BinaryIO, stop_after: int) -> int:
    """Image descriptors in a GIF, counted by walking its blocks (no decoding); at most ``stop_after``."""
    header = f.read(13)
    if len(header) < 13:
        raise Invalid("the GIF image is truncated", code="corrupt_image")
    if header[10] & 0x80:
        f.seek(3 * (2 << (header[10] & 7)), 1)
    frames = 0
    while frames < stop_after:
        block = f.read(1)
        if block in (b"", b"\x3b"):  # end of file, trailer
            break
        if block == b"\x21":  # extension: a label, then data sub-blocks
            f.seek(1, 1)
        elif block == b"\x2c":  # image descriptor, optional local colour table, LZW code size
            descriptor = f.read(9)
            if len(descriptor) < 9:
                break
            if descriptor[8] & 0x80:
                f.seek(3 * (2 << (descriptor[8] & 7)), 1)
            f.seek(1, 1)
            frames += 1
        else:
            break  # not a block: let the decoder report the corruption
        while (size := f.read(1)) not in (b"", b"\x00"):
            f.seek(size[0], 1)
    return max(frames, 1)


def _fit(image: Image.Image, side: int) -> Image.Image:
    if max(image.size) > side:
        image = image.copy() if image.readonly else image
        image.thumbnail((side, side), Image.Resampling.LANCZOS)
    return image


def _still(image: Image.Image, fmt: MediaFormat, limits: Limits) -> Image.Image:
    side = limits.image_stored_max_side
    if fmt is JPEG and max(image.size) > side:
        # Decode at a reduced DCT scale when the image will be downscaled anyway: less memory and time.
        scale = side / max(image.size)
        image.draft(None, (math.ceil(image.width * scale), math.ceil(image.height * scale)))
    image.load()
    transparency = image.info.get("transparency")
    # Upright, without the orientation tag; in place: a copy of a full-size decode costs up to 256 MB.
    ImageOps.exif_transpose(image, in_place=True)
    cleaned = _fit(image, side)
    cleaned.info = {} if transparency is None else {"transparency": transparency}
    return cleaned


def _save_still(image: Image.Image, fmt: MediaFormat, out: Path, icc: bytes | None) -> None:
    # Only the options given here are written: im.info was emptied, so no metadata is carried over.
    options: dict[str, Any] = {"icc_profile": icc} if icc else {}
    if "transparency" in image.info:
        options["transparency"] = image.info["transparency"]
    if fmt is JPEG:
        if image.mode not in ("RGB", "L", "CMYK"):
            image = image.convert("RGB")
        image.save(out, "JPEG", quality=_QUALITY, progressive=True, **options)
    elif fmt is PNG:
        image.save(out, "PNG", **options)
    elif fmt is WEBP:
        image = flatten(image)
        image.save(out, "WEBP", quality=_QUALITY, method=4, **options)
    else:
        image.save(out, "GIF", **options)


def _save_animated(image: Image.Image, fmt: MediaFormat, limits: Limits, out: Path) -> Image.Image:
    side = limits.image_stored_max_side
    loop = image.info.get("loop", 0)
    frames: list[Image.Image] = []
    durations: list[int] = []
    for frame in ImageSequence.Iterator(image):
        durations.append(int(frame.info.get("duration") or _DEFAULT_FRAME_MS))
        copy = _fit(flatten(frame), side)
        copy.info = {}
        frames.append(copy)
    first, rest = frames[0], frames[1:]
    options: dict[str, Any] = {"save_all": True, "append_images": rest, "duration": durations, "loop": loop}
    if fmt is GIF:
        first.save(out, "GIF", disposal=2, **options)
    elif fmt is WEBP:
        first.save(out, "WEBP", quality=_QUALITY, method=4, **options)
    else:
        first.save(out, "PNG", **options)
    return first
