"""The accepted media formats and how each is recognised from the file's first bytes.

The type of an upload is decided from its content only, never from its name or the client's content
type. Anything else gets a 415 that says what the file looks like instead (an empty file: 400)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from core.errors import Invalid, UnsupportedMedia

# Enough for every signature below, including a WebM DocType deep in its EBML header.
HEAD_BYTES = 4096

Kind = Literal["image", "video"]


@dataclass(frozen=True)
class MediaFormat:
    name: str
    label: str
    kind: Kind
    mime: str
    ext: str


JPEG = MediaFormat("jpeg", "JPEG", "image", "image/jpeg", "jpg")
PNG = MediaFormat("png", "PNG", "image", "image/png", "png")
GIF = MediaFormat("gif", "GIF", "image", "image/gif", "gif")
WEBP = MediaFormat("webp", "WebP", "image", "image/webp", "webp")
MP4 = MediaFormat("mp4", "MP4", "video", "video/mp4", "mp4")
MOV = MediaFormat("mov", "MOV", "video", "video/quicktime", "mov")
WEBM = MediaFormat("webm", "WebM", "video", "video/webm", "webm")
BY_NAME = {f.name: f for f in (JPEG, PNG, GIF, WEBP, MP4, MOV, WEBM)}

ACCEPTED = "JPEG, PNG, WebP or GIF images and MP4, WebM or MOV videos"

# ISO base media ("ftyp") brands that are still images or audio, not video.
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis"}
_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P "}


def sniff(head: bytes) -> MediaFormat:
    """The format of a file from its first bytes (at least :data:`HEAD_BYTES` when the file is longer).

    Raises ``Invalid`` (``empty_file``) or ``UnsupportedMedia`` naming what the file looks like."""
    if not head:
        raise Invalid("the file is empty", code="empty_file")
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return WEBP
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand == b"qt  ":
            return MOV
        if brand in _HEIF_BRANDS:
            raise _unsupported("a HEIF/AVIF image")
        if brand in _AUDIO_BRANDS:
            raise _unsupported("an MPEG-4 audio file")
        return MP4  # probing later refuses an MP4 without a video stream
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        if _ebml_doctype(head) == b"webm":
            return WEBM
        raise _unsupported("a Matroska file (of Matroska files only WebM is accepted)")
    raise _unsupported(describe(head))


def describe(head: bytes) -> str:
    """What a file that is not accepted media looks like, for the error message."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return "a ZIP archive"
    if start.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<script")):
        return "an HTML document"
    if start.startswith(b"<?xml") or start.startswith(b"<svg"):
        return "an XML/SVG document"
    if head.startswith(b"%PDF-"):
        return "a PDF document"
    if head.startswith(b"RIFF"):
        return "a RIFF file that is not WebP"
    if head.startswith((b"BM", b"II*\x00", b"MM\x00*")):
        return "an image format that is not accepted (BMP/TIFF)"
    return "of an unrecognised type"


def _unsupported(what: str) -> UnsupportedMedia:
    return UnsupportedMedia(
        f"the file is {what}; accepted are {ACCEPTED} (the type is read from the content, not the name)",
        code="unsupported_media_type",
    )


def _ebml_doctype(head: bytes) -> bytes | None:
    """The DocType ("webm", "matroska") of an EBML header: element id 0x4282, then a size, then text."""
    at = head.find(b"\x42\x82", 4, 64)
    if at < 0 or at + 3 > len(head):
        return None
    size_byte = head[at + 2]
    if not size_byte & 0x80:  # only the 1-byte size form occurs for these short strings
        return None
    size = size_byte & 0x7F
    return head[at + 3 : at + 3 + size]
