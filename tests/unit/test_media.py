"""Media logic without servers: type sniffing, the polyglot rule, GIF frame counting, attachment rules,
keys, URL signing and the streaming multipart spool."""

from __future__ import annotations

import asyncio
import io
import os
import re
import struct
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image

from core.errors import AppError, Invalid, PayloadTooLarge, UnsupportedMedia
from core.settings import Settings
from media import formats
from media.attach import check_attachment, check_request
from media.images import _gif_frames
from media.keys import MediaKeys, new_upload_key
from media.limits import Limits
from media.polyglot import check_not_polyglot
from media.spool import spool_multipart
from media.storage import ObjectStore
from media.urls import MediaUrls


def jpeg(size: tuple[int, int] = (300, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (1, 2, 3)).save(out, "JPEG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\xff\xd8\xff\xe0rest", formats.JPEG),
        (b"\x89PNG\r\n\x1a\n....", formats.PNG),
        (b"GIF89a....", formats.GIF),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", formats.WEBP),
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00", formats.MP4),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00", formats.MOV),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm\x42\x87", formats.WEBM),
    ],
)
def test_sniff_recognises_accepted_formats_from_content(head: bytes, expected: formats.MediaFormat) -> None:
    assert formats.sniff(head) is expected


@pytest.mark.parametrize(
    ("head", "named"),
    [
        (b"PK\x03\x04\x14\x00", "ZIP"),
        (b"  <!DOCTYPE html><html>", "HTML"),
        (b"%PDF-1.7", "PDF"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x88matroska", "Matroska"),
        (b"\x00\x00\x00\x18ftypheic", "HEIF"),
        (b"BM\x00\x00", "BMP"),
        (b"hello world", "unrecognised"),
    ],
)
def test_sniff_refuses_other_content_naming_it(head: bytes, named: str) -> None:
    with pytest.raises(UnsupportedMedia) as caught:
        formats.sniff(head)
    assert named in caught.value.detail


def test_sniff_refuses_an_empty_file() -> None:
    with pytest.raises(Invalid) as caught:
        formats.sniff(b"")
    assert caught.value.code == "empty_file"


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("a.txt", "x")
    return out.getvalue()


@pytest.mark.parametrize(
    ("tail", "refused"),
    [
        (b"", False),
        (_zip(), True),
        (_zip() + b"trailing junk", True),  # ZIP readers still open it
        (b"<html><body><SCRIPT>x</SCRIPT>", True),
        (b"<IFRAME src=x>", True),
        (b"\x00" * 100 + b"PK\x05\x06" + b"\x00" * 18, False),  # a lone signature with no directory
        (b"innocent <htm text", False),
    ],
)
def test_polyglot_rule(tmp_path: Path, tail: bytes, refused: bool) -> None:
    path = tmp_path / "f"
    path.write_bytes(jpeg() + os.urandom(5000) + tail)
    if refused:
        with pytest.raises(Invalid) as caught:
            check_not_polyglot(path, formats.JPEG)
        assert caught.value.code == "polyglot_file"
    else:
        check_not_polyglot(path, formats.JPEG)


def test_polyglot_rule_checks_markup_at_the_start(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"\xff\xd8\xff\xe0\x00\x10<svg onload=alert(1)>" + os.urandom(3000))
    with pytest.raises(Invalid):
        check_not_polyglot(path, formats.JPEG)


def test_random_media_bytes_are_not_taken_for_polyglots(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(jpeg() + os.urandom(4 * 1024 * 1024))
    check_not_polyglot(path, formats.JPEG)


def test_gif_frames_are_counted_without_decoding() -> None:
    frames = [Image.new("RGB", (10, 10), c) for c in ("red", "green", "blue", "white")]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=50)
    out.seek(0)
    assert _gif_frames(out, stop_after=100) == 4
    out.seek(0)
    assert _gif_frames(out, stop_after=2) == 2  # stops as soon as the budget is exceeded
    bomb = b"GIF89a" + struct.pack("<HHBBB", 9, 9, 0, 0, 0) + (b"\x2c" + bytes(9) + b"\x02\x00") * 7 + b";"
    assert _gif_frames(io.BytesIO(bomb), stop_after=100) == 7


def _rows(*items: tuple[int, int, str, str]) -> list[dict[str, object]]:
    return [{"id": i, "owner_id": o, "status": s, "type": t} for i, o, s, t in items]


def test_attachment_rules() -> None:
    me = 7
    check_attachment([1, 2], _rows((1, me, "ready", "image"), (2, me, "ready", "image")), me)
    check_attachment([3], _rows((3, me, "ready", "video")), me)
    cases = {
        "unknown_media": ([1], _rows((1, 8, "ready", "image"))),
        "media_attached": ([1], _rows((1, me, "attached", "image"))),
        "media_not_ready": ([1], _rows((1, me, "uploading", "image"))),
        "too_many_media": ([1, 2], _rows((1, me, "ready", "video"), (2, me, "ready", "image"))),
    }
    for code, (requested, found) in cases.items():
        with pytest.raises(Invalid) as caught:
            check_attachment(requested, found, me)
        assert caught.value.code == code
    with pytest.raises(Invalid) as missing:
        check_attachment([5], [], me)
    assert missing.value.code == "unknown_media"
    for bad, code in (([1, 2, 3, 4, 5], "too_many_media"), ([1, 1], "duplicate_media")):
        with pytest.raises(Invalid) as caught:
            check_request(bad)
        assert caught.value.code == code


def test_keys_are_random_and_say_nothing_about_the_user() -> None:
    keys = MediaKeys.new("env/")
    assert re.fullmatch(r"env/m/[0-9a-f]{32}", keys.base)
    assert keys.original("jpg") == f"{keys.base}/original.jpg" and keys.thumbnail.endswith("/thumb.webp")
    assert MediaKeys.new("").base != MediaKeys.new("").base
    assert re.fullmatch(r"u/[0-9a-f]{32}", new_upload_key(""))


def test_presigned_urls_are_stable_within_a_step_and_public_urls_are_plain() -> None:
    settings = Settings(_env_file=None, media_url_ttl_seconds=3600, s3_public_endpoint="https://cdn.example")
    urls = MediaUrls(ObjectStore.connect(settings), settings)
    first, second = urls.url("m/abc/original.jpg"), urls.url("m/abc/original.jpg")
    assert first == second  # same signing step: cacheable by browsers and CDNs
    parts = urlsplit(first)
    assert parts.netloc == "cdn.example" and parts.path.endswith("/m/abc/original.jpg")
    assert parse_qs(parts.query)["X-Amz-Expires"] == ["3600"]
    public = Settings(_env_file=None, media_public_base_url="https://media.example/")
    assert (
        MediaUrls(ObjectStore.connect(public), public).url("m/x/thumb.webp")
        == "https://media.example/m/x/thumb.webp"
    )


class _Body:
    """A request body arriving in chunks; counts how many were read."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks, self.read = chunks, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            self.read += 1
            yield chunk


def _multipart(data: bytes, field: str = "file", chunk: int = 64 * 1024) -> tuple[str, list[bytes]]:
    boundary = "XyZ123"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="a.jpg"\r\n'
            f"Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return f"multipart/form-data; boundary={boundary}", [
        body[i : i + chunk] for i in range(0, len(body), chunk)
    ]


def _spool(content_type: str, body: _Body, limits: Limits) -> tuple[int, bytes]:
    out = io.BytesIO()
    size = asyncio.run(spool_multipart(content_type, None, body, out, limits))  # type: ignore[arg-type]
    return size, out.getvalue()


def test_spool_writes_the_file_field_only() -> None:
    data = jpeg() + os.urandom(200_000)
    content_type, chunks = _multipart(data)
    size, written = _spool(content_type, _Body(chunks), Limits())
    assert size == len(data) and written == data


def test_spool_stops_reading_once_over_the_limit() -> None:
    limits = Limits(image_max_bytes=100_000, video_max_bytes=300_000)
    content_type, chunks = _multipart(jpeg() + bytes(5_000_000))
    body = _Body(chunks)
    with pytest.raises(PayloadTooLarge):
        _spool(content_type, body, limits)
    assert body.read <= 3  # the image cap applies as soon as the first bytes show an image


def test_spool_refuses_non_media_from_its_first_bytes() -> None:
    content_type, chunks = _multipart(b"<html>" + bytes(5_000_000))
    body = _Body(chunks)
    with pytest.raises(UnsupportedMedia):
        _spool(content_type, body, Limits())
    assert body.read == 1


@pytest.mark.parametrize(
    ("content_type", "field", "code"),
    [("application/json", "file", "multipart_required"), (None, "other", "file_missing")],
)
def test_spool_names_malformed_requests(content_type: str | None, field: str, code: str) -> None:
    multipart, chunks = _multipart(jpeg(), field=field)
    with pytest.raises(AppError) as caught:
        _spool(content_type or multipart, _Body(chunks), Limits())
    assert caught.value.code == code
