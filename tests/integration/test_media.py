"""Media against the real S3 server (VersityGW), Neo4j and Redis: uploads of every type, the presigned
path, attachment rules, deletion, cleanup, and every bad input (4xx naming the problem, nothing stored).

The module runs its own app with a unique object-key prefix, so listing that prefix shows exactly what
these tests stored. Test files are generated here (Pillow, PyAV): tiny, nothing binary is committed."""

from __future__ import annotations

import dataclasses
import inspect
import io
import secrets
import struct
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import av
import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from api.app import create_app
from api.services import Services
from core.settings import Settings
from feed.fanout import GROUP as FANOUT_GROUP
from feed.worker import Worker, consumer_groups
from media.cleanup import GROUP as MEDIA_GROUP
from media.cleanup import run_media_cleanup
from tests.conftest import Account, app_services, register, run, wait_until_prepared

IMAGE_LIMIT = 2 * 1024 * 1024
VIDEO_LIMIT = 3 * 1024 * 1024


@pytest.fixture(scope="module")
def media_client(settings: Settings) -> Iterator[TestClient]:
    """An app of its own: a unique key prefix (to list what these tests stored) and small size limits."""
    isolated = settings.model_copy(
        update={
            "media_key_prefix": f"test-{secrets.token_hex(6)}/",
            "media_image_max_bytes": IMAGE_LIMIT,
            "media_video_max_bytes": VIDEO_LIMIT,
        }
    )
    with TestClient(create_app(isolated)) as client:
        wait_until_prepared(client)
        yield client


@pytest.fixture
def user(media_client: TestClient) -> Account:
    return register(media_client)


# --- generated files ------------------------------------------------------------------------------


def image_bytes(fmt: str, size: tuple[int, int] = (1000, 600), exif: bool = True) -> bytes:
    """A picture (two colours, so orientation is visible) with EXIF camera and GPS tags when the format
    carries EXIF."""
    mode = "P" if fmt == "GIF" else "RGB"
    picture = Image.new("RGB", size, (200, 30, 30))
    picture.paste((30, 30, 200), (0, 0, size[0] // 2, size[1]))
    if mode == "P":
        picture = picture.convert("P")
    out = io.BytesIO()
    options: dict[str, Any] = {}
    if exif and fmt in ("JPEG", "PNG", "WEBP"):
        tags = Image.Exif()
        tags[0x010F] = "SpyCam"  # Make
        tags[0x8825] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}  # GPSInfo
        options["exif"] = tags
    picture.save(out, fmt, **options)
    return out.getvalue()


def video_bytes(
    fmt: str,
    codec: str | None,
    frames: int = 5,
    size: tuple[int, int] = (64, 48),
    audio: bool = False,
    metadata: dict[str, str] | None = None,
) -> bytes:
    """A tiny video (a few frames at 5 fps), optionally with an audio track and container metadata."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=fmt) as out:
        out.metadata.update(metadata or {})
        video: av.VideoStream | None = None
        if codec:
            stream = out.add_stream(codec, rate=5)
            assert isinstance(stream, av.VideoStream)
            video = stream
            video.width, video.height = size
            video.pix_fmt = "yuv420p"
        sound: av.AudioStream | None = out.add_stream("aac", rate=8000, layout="mono") if audio else None
        if video is not None:
            for i in range(frames):
                picture = Image.new("RGB", size, (i * 40, 120, 200))
                frame = av.VideoFrame.from_image(picture)  # type: ignore[no-untyped-call]
                for packet in video.encode(frame):
                    out.mux(packet)
            for packet in video.encode():
                out.mux(packet)
        if sound is not None:
            for i in range(4):
                samples = av.AudioFrame(format="fltp", layout="mono", samples=1024)
                for plane in samples.planes:
                    plane.update(bytes(plane.buffer_size))
                samples.sample_rate, samples.pts = 8000, i * 1024
                for packet in sound.encode(samples):
                    out.mux(packet)
            for packet in sound.encode():
                out.mux(packet)
    return buffer.getvalue()


def png_bomb(side: int = 30_000) -> bytes:
    """A valid ~100 KB PNG that decodes to side x side pixels (1-bit grey, all black)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    compressor = zlib.compressobj(9)
    row = b"\x00" + bytes((side + 7) // 8)
    idat = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def gif_bomb(side: int = 5000, frames: int = 10) -> bytes:
    """A few hundred bytes of GIF declaring ``frames`` frames of side x side pixels."""
    body = b"GIF89a" + struct.pack("<HHBBB", side, side, 0, 0, 0)
    for _ in range(frames):
        body += b"\x2c" + struct.pack("<HHHHB", 0, 0, side, side, 0) + b"\x02\x02\x4c\x01\x00"
    return body + b"\x3b"


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.txt", "not an image")
    return out.getvalue()


# --- API helpers ------------------------------------------------------------------------------------


def upload(client: TestClient, account: Account, data: bytes, name: str = "photo.jpg") -> httpx.Response:
    # The client's name and content type are deliberately generic or wrong: only the content counts.
    response: httpx.Response = client.post(
        "/api/v1/media", files={"file": (name, data, "image/jpeg")}, headers=account.headers
    )
    return response


def uploaded(client: TestClient, account: Account, data: bytes, name: str = "file.bin") -> dict[str, Any]:
    response = upload(client, account, data, name)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def post_with(client: TestClient, account: Account, media_ids: list[str]) -> httpx.Response:
    response: httpx.Response = client.post(
        "/api/v1/posts", json={"content": "look", "media_ids": media_ids}, headers=account.headers
    )
    return response


def fetch(url: str) -> bytes:
    response = httpx.get(url, timeout=30)
    assert response.status_code == 200, (url, response.status_code, response.text[:200])
    return response.content


def services_of(client: TestClient) -> Services:
    return app_services(client)


def stored_keys(client: TestClient) -> set[str]:
    services = services_of(client)
    return set(run(client, lambda: services.store.list_keys(services.settings.media_key_prefix)))


def drain(client: TestClient) -> None:
    """Relay the outbox and run the fan-out and media consumer groups (the worker's other groups are
    other features' business)."""
    services = services_of(client)
    groups = consumer_groups(services)
    # Registered with the worker (wrapped: an outage is retried, feed/worker.py waiting_out_outages).
    assert inspect.unwrap(groups[MEDIA_GROUP]) == services.media.handle_events
    mine = {name: groups[name] for name in (FANOUT_GROUP, MEDIA_GROUP)}
    worker = Worker(services.feed, mine, consumer="test-media-worker")
    # The default sweep age: events younger than that may belong to another test process's request.
    run(client, worker.drain)


def drained_until(client: TestClient, done: Callable[[], bool], attempts: int = 100) -> bool:
    """Drain until ``done()``: another test process's worker in the same consumer group may have taken
    the event and be handling it right now (the result is asserted, not how long it took)."""
    for _ in range(attempts):
        drain(client)
        if done():
            return True
        time.sleep(0.1)
    return done()


# --- round trips ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF"])
def test_each_image_type_round_trips_without_metadata(
    media_client: TestClient, user: Account, fmt: str
) -> None:
    original = image_bytes(fmt)
    media = uploaded(media_client, user, original, name="holiday.txt")
    assert media["type"] == "image" and (media["width"], media["height"]) == (1000, 600)
    assert media["duration"] is None and len(media["blurhash"]) >= 6

    created = post_with(media_client, user, [media["media_id"]])
    assert created.status_code == 201, created.text
    post = created.json()
    assert post["media_urls"] == [media["url"]] and post["media"][0]["media_id"] == media["media_id"]
    fetched = media_client.get(f"/api/v1/posts/{post['post_id']}", headers=user.headers).json()
    assert len(fetched["media_urls"]) == 1

    stored = Image.open(io.BytesIO(fetch(fetched["media_urls"][0])))
    assert stored.format == fmt and stored.size == (1000, 600)
    assert dict(stored.getexif()) == {}
    assert stored.getpixel((10, 10)) != stored.getpixel((990, 10))  # the pixels survived
    raw = fetch(fetched["media_urls"][0])
    assert b"SpyCam" not in raw and b"Exif" not in raw

    thumbnail = Image.open(io.BytesIO(fetch(fetched["media"][0]["thumbnail_url"])))
    assert thumbnail.format == "WEBP" and thumbnail.size == (640, 384)


def test_jpeg_orientation_is_applied_and_large_images_are_capped(
    media_client: TestClient, user: Account
) -> None:
    picture = Image.new("RGB", (4600, 300), (10, 200, 10))
    tags = Image.Exif()
    tags[0x0112] = 6  # "rotate 90° clockwise to display"
    out = io.BytesIO()
    picture.save(out, "JPEG", exif=tags, quality=50)
    media = uploaded(media_client, user, out.getvalue())
    # Upright (portrait) and capped at 4096 px on the long side.
    assert (media["width"], media["height"]) == (267, 4096)
    stored = Image.open(io.BytesIO(fetch(media["url"])))
    assert stored.size == (267, 4096) and dict(stored.getexif()) == {}


def test_animated_gif_keeps_its_frames(media_client: TestClient, user: Account) -> None:
    frames = [Image.new("RGB", (80, 60), colour) for colour in ("red", "green", "blue")]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    media = uploaded(media_client, user, out.getvalue())
    stored = Image.open(io.BytesIO(fetch(media["url"])))
    assert stored.format == "GIF" and getattr(stored, "n_frames", 1) == 3


@pytest.mark.parametrize(
    ("fmt", "codec", "audio", "expected_codec"),
    [("mp4", "libx264", True, "h264"), ("mov", "libx264", False, "h264"), ("webm", "libvpx", False, "vp8")],
)
def test_each_video_type_round_trips_without_metadata(
    media_client: TestClient, user: Account, fmt: str, codec: str, audio: bool, expected_codec: str
) -> None:
    data = video_bytes(fmt, codec, audio=audio, metadata={"location": "+48.8584+002.2945/", "title": "home"})
    media = uploaded(media_client, user, data, name="clip.jpg")
    assert media["type"] == "video" and (media["width"], media["height"]) == (64, 48)
    assert media["duration"] == pytest.approx(1.0, abs=0.25)

    created = post_with(media_client, user, [media["media_id"]])
    assert created.status_code == 201, created.text
    url = created.json()["media_urls"][0]
    with av.open(io.BytesIO(fetch(url))) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (64, 48)
        assert stream.codec_context.name == expected_codec
        assert len(container.streams.audio) == (1 if audio else 0)
        assert not {"location", "location-eng", "title"} & set(container.metadata)
    poster = Image.open(io.BytesIO(fetch(created.json()["media"][0]["thumbnail_url"])))
    assert poster.format == "WEBP" and poster.size == (64, 48)


def test_media_urls_resolve_in_feeds_and_author_pages(media_client: TestClient, user: Account) -> None:
    media = uploaded(media_client, user, image_bytes("PNG", (40, 30)))
    post_id = post_with(media_client, user, [media["media_id"]]).json()["post_id"]
    drain(media_client)
    feed = media_client.get("/api/v1/feed", headers=user.headers).json()["posts"]
    page = media_client.get(f"/api/v1/users/{user.user_id}/posts", headers=user.headers).json()["posts"]
    for entries in (feed, page):
        entry = next(p for p in entries if p["post_id"] == post_id)
        assert Image.open(io.BytesIO(fetch(entry["media_urls"][0]))).size == (40, 30)


# --- presigned uploads ----------------------------------------------------------------------------


def start_upload(client: TestClient, account: Account) -> dict[str, Any]:
    response = client.post("/api/v1/media/uploads", headers=account.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    assert body["method"] == "PUT" and body["max_bytes"] == VIDEO_LIMIT
    return body


def put(url: str, data: bytes) -> None:
    response = httpx.put(url, content=data, timeout=30)
    assert response.status_code == 200, response.text


def complete(client: TestClient, account: Account, upload_id: str) -> httpx.Response:
    response: httpx.Response = client.post(
        f"/api/v1/media/uploads/{upload_id}/complete", headers=account.headers
    )
    return response


def test_presigned_upload_is_processed_like_a_direct_one(media_client: TestClient, user: Account) -> None:
    before = stored_keys(media_client)
    ticket = start_upload(media_client, user)
    early = complete(media_client, user, ticket["upload_id"])
    assert early.status_code == 400 and early.json()["error"] == "upload_missing"

    put(ticket["url"], video_bytes("mp4", "libx264", metadata={"location": "+01.0+002.0/"}))
    done = complete(media_client, user, ticket["upload_id"])
    assert done.status_code == 200, done.text
    media = done.json()
    assert media["media_id"] == ticket["upload_id"] and media["type"] == "video"
    again = complete(media_client, user, ticket["upload_id"])
    assert again.status_code == 200 and again.json()["media_id"] == media["media_id"]
    stranger = register(media_client)
    assert complete(media_client, stranger, ticket["upload_id"]).status_code == 404

    # The staging object is gone; the processed video and its poster are stored.
    added = stored_keys(media_client) - before
    assert len(added) == 2 and not any("/u/" in key for key in added)
    post = post_with(media_client, user, [media["media_id"]])
    assert post.status_code == 201, post.text
    with av.open(io.BytesIO(fetch(post.json()["media_urls"][0]))) as container:
        assert "location" not in container.metadata


@pytest.mark.parametrize(
    ("data", "status", "error"),
    [
        (b"<!doctype html><html><script>alert(1)</script></html>", 415, "unsupported_media_type"),
        (image_bytes("JPEG", (100, 100))[:400], 400, "corrupt_image"),
        (b"\xff\xd8\xff" + bytes(VIDEO_LIMIT), 413, "file_too_large"),
        (b"", 400, "empty_file"),
    ],
    ids=["html", "truncated", "oversized", "empty"],
)
def test_presigned_upload_of_a_bad_file_is_deleted(
    media_client: TestClient, user: Account, data: bytes, status: int, error: str
) -> None:
    before = stored_keys(media_client)
    ticket = start_upload(media_client, user)
    put(ticket["url"], data)
    response = complete(media_client, user, ticket["upload_id"])
    assert response.status_code == status and response.json()["error"] == error, response.text
    assert stored_keys(media_client) == before  # the uploaded object was deleted
    assert complete(media_client, user, ticket["upload_id"]).status_code == 404


# --- bad input ------------------------------------------------------------------------------------


def _jpeg() -> bytes:
    return image_bytes("JPEG", (120, 80), exif=False)


BAD_INPUTS: list[tuple[str, Callable[[], bytes], int, str, str]] = [
    ("truncated-jpeg", lambda: _jpeg()[: len(_jpeg()) // 2], 400, "corrupt_image", "truncated"),
    ("truncated-png", lambda: image_bytes("PNG", (300, 200))[:-40], 400, "corrupt_image", "PNG"),
    ("zip-named-jpg", zip_bytes, 415, "unsupported_media_type", "ZIP"),
    ("html-named-jpg", lambda: b"<html><body>hi</body></html>", 415, "unsupported_media_type", "HTML"),
    ("empty", lambda: b"", 400, "empty_file", "empty"),
    ("oversized-image", lambda: _jpeg() + bytes(IMAGE_LIMIT), 413, "file_too_large", "limit"),
    ("png-bomb", png_bomb, 400, "image_too_large", "decompression bomb"),
    ("png-too-wide", lambda: png_bomb(9000), 400, "image_too_large", "9000x9000"),
    ("gif-frame-bomb", gif_bomb, 400, "image_too_large", "decompression bomb"),
    ("video-without-video", lambda: video_bytes("mp4", None, audio=True), 400, "no_video_stream", "no video"),
    (
        "truncated-video",
        lambda: video_bytes("mp4", "libx264")[:600],
        400,
        "corrupt_video",
        "corrupt",
    ),
    ("jpeg-zip-polyglot", lambda: _jpeg() + zip_bytes(), 400, "polyglot_file", "ZIP archive"),
    (
        "jpeg-html-polyglot",
        lambda: image_bytes("JPEG", (400, 300)) + b"<html><script>alert(document.cookie)</script></html>",
        400,
        "polyglot_file",
        "HTML",
    ),
    ("heic", lambda: b"\x00\x00\x00\x18ftypheic" + bytes(64), 415, "unsupported_media_type", "HEIF"),
]


@pytest.mark.parametrize(
    ("make", "status", "error", "named"), [case[1:] for case in BAD_INPUTS], ids=[c[0] for c in BAD_INPUTS]
)
def test_bad_input_gets_a_clear_4xx_and_stores_nothing(
    media_client: TestClient, user: Account, make: Callable[[], bytes], status: int, error: str, named: str
) -> None:
    before = stored_keys(media_client)
    response = upload(media_client, user, make())
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "detail"} and body["error"] == error
    assert named.lower() in body["detail"].lower(), body["detail"]
    assert stored_keys(media_client) == before


def test_malformed_requests_get_4xx(media_client: TestClient, user: Account) -> None:
    no_multipart = media_client.post(
        "/api/v1/media", content=_jpeg(), headers={**user.headers, "Content-Type": "image/jpeg"}
    )
    assert no_multipart.status_code == 415 and no_multipart.json()["error"] == "multipart_required"
    wrong_field = media_client.post(
        "/api/v1/media", files={"picture": ("a.jpg", _jpeg(), "image/jpeg")}, headers=user.headers
    )
    assert wrong_field.status_code == 400 and wrong_field.json()["error"] == "file_missing"
    anonymous = media_client.post("/api/v1/media", files={"file": ("a.jpg", _jpeg(), "image/jpeg")})
    assert anonymous.status_code == 401


# --- attachment rules -----------------------------------------------------------------------------


def test_attachment_rules(media_client: TestClient, user: Account) -> None:
    images = [uploaded(media_client, user, image_bytes("PNG", (20 + i, 20)))["media_id"] for i in range(5)]
    video = uploaded(media_client, user, video_bytes("webm", "libvpx", frames=2))["media_id"]
    video2 = uploaded(media_client, user, video_bytes("webm", "libvpx", frames=2))["media_id"]
    someone = register(media_client)
    theirs = uploaded(media_client, someone, image_bytes("PNG", (20, 20)))["media_id"]
    pending = start_upload(media_client, user)["upload_id"]

    refused = {
        "too_many_media": [images, [video, images[0]], [video, video2]],
        "unknown_media": [[theirs], ["123456789"]],
        "duplicate_media": [[images[0], images[0]]],
        "media_not_ready": [[pending]],
        "invalid_id": [["not-a-number"]],
    }
    for error, cases in refused.items():
        for media_ids in cases:
            response = post_with(media_client, user, media_ids)
            assert response.status_code == 400, (media_ids, response.text)
            assert response.json()["error"] == error, (media_ids, response.text)

    four = post_with(media_client, user, images[3::-1])
    assert four.status_code == 201, four.text
    assert [m["media_id"] for m in four.json()["media"]] == images[3::-1]  # order kept
    one_video = post_with(media_client, user, [video])
    assert one_video.status_code == 201 and one_video.json()["media"][0]["type"] == "video"
    again = post_with(media_client, user, [images[0]])
    assert again.status_code == 400 and again.json()["error"] == "media_attached"


def test_two_posts_racing_for_one_item_attach_it_once(media_client: TestClient, user: Account) -> None:
    media_id = uploaded(media_client, user, image_bytes("PNG", (30, 30)))["media_id"]
    with ThreadPoolExecutor(4) as pool:
        codes = sorted(pool.map(lambda _: post_with(media_client, user, [media_id]).status_code, range(4)))
    assert codes == [201, 400, 400, 400]


# --- deletion and cleanup -------------------------------------------------------------------------


def keys_of(url: str) -> str:
    """The object key in a presigned URL: the path after the bucket."""
    path = httpx.URL(url).path
    return path.split("/", 2)[2]


def test_deleting_a_post_deletes_its_media_and_nothing_still_referenced(
    media_client: TestClient, user: Account
) -> None:
    doomed = uploaded(media_client, user, image_bytes("PNG", (30, 30)))
    kept = uploaded(media_client, user, image_bytes("PNG", (31, 30)))
    loose = uploaded(media_client, user, image_bytes("PNG", (32, 30)))
    doomed_post = post_with(media_client, user, [doomed["media_id"]]).json()["post_id"]
    kept_post = post_with(media_client, user, [kept["media_id"]]).json()["post_id"]
    doomed_keys = {keys_of(doomed["url"]), keys_of(doomed["thumbnail_url"])}
    assert doomed_keys <= stored_keys(media_client)

    deleted = media_client.delete(f"/api/v1/posts/{doomed_post}", headers=user.headers)
    assert deleted.status_code == 204
    assert drained_until(media_client, lambda: not doomed_keys & stored_keys(media_client))

    remaining = stored_keys(media_client)
    assert {keys_of(kept["url"]), keys_of(loose["url"])} <= remaining
    kept_now = media_client.get(f"/api/v1/posts/{kept_post}", headers=user.headers).json()
    assert Image.open(io.BytesIO(fetch(kept_now["media_urls"][0]))).size == (31, 30)
    assert media_client.get(f"/api/v1/media/{doomed['media_id']}", headers=user.headers).status_code == 404


def test_media_deletion_survives_a_crash_and_redelivery(media_client: TestClient, user: Account) -> None:
    """The post is deleted in the graph but the process dies before publishing the event: the worker's
    outbox sweep publishes it later and the media consumer deletes the objects; handling the same event
    twice is harmless."""
    from cache.events import Event
    from core.clock import now_ms
    from core.ids import new_id
    from graph.repositories import posts as posts_repo

    media = uploaded(media_client, user, video_bytes("mp4", "mpeg4", frames=2))
    post_id = int(post_with(media_client, user, [media["media_id"]]).json()["post_id"])
    services = services_of(media_client)
    event_id = new_id()
    media_ids = run(
        media_client,
        lambda: posts_repo.delete_post(services.graph, post_id, int(user.user_id), event_id, now_ms()),
    )
    assert media_ids == [int(media["media_id"])]
    assert keys_of(media["url"]) in stored_keys(media_client)  # nothing deleted yet: "crash"

    assert drained_until(media_client, lambda: keys_of(media["url"]) not in stored_keys(media_client))
    event = Event(
        id=event_id,
        type="post_deleted",
        post_id=post_id,
        actor_id=int(user.user_id),
        media_ids=tuple(media_ids),
    )
    run(media_client, lambda: services.media.handle_events([event]))  # redelivered: nothing left to do


def test_cleanup_removes_only_never_attached_media_after_the_configured_time(
    media_client: TestClient, user: Account
) -> None:
    attached = uploaded(media_client, user, image_bytes("PNG", (33, 30)))
    post_with(media_client, user, [attached["media_id"]])
    orphan = uploaded(media_client, user, image_bytes("PNG", (34, 30)))
    abandoned = start_upload(media_client, user)
    put(abandoned["url"], image_bytes("PNG", (35, 30)))  # uploaded but never completed
    services = services_of(media_client)

    # Within the configured time (a day by default) nothing is removed.
    run(media_client, lambda: run_media_cleanup(services))
    assert keys_of(orphan["url"]) in stored_keys(media_client)

    # Once that time has passed (a zero age here), never-attached media go, attached ones stay.
    expired = dataclasses.replace(
        services, settings=services.settings.model_copy(update={"media_orphan_ttl_seconds": 0})
    )
    removed = run(media_client, lambda: run_media_cleanup(expired))
    assert removed >= 2
    remaining = stored_keys(media_client)
    assert keys_of(orphan["url"]) not in remaining and keys_of(orphan["thumbnail_url"]) not in remaining
    assert not any("/u/" in key for key in remaining)  # the abandoned upload's staging object
    assert keys_of(attached["url"]) in remaining
    assert fetch(attached["url"])
    assert media_client.get(f"/api/v1/media/{orphan['media_id']}", headers=user.headers).status_code == 404
    assert complete(media_client, user, abandoned["upload_id"]).status_code == 404
