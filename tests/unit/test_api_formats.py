"""How responses write ids and times: ids as strings, times as ISO-8601 UTC with milliseconds."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from api.schemas.common import IdStr, Timestamp, iso_utc
from api.schemas.posts import AuthorOut, FeedItemOut, FeedPageOut, PostOut


def test_iso_utc_matches_datetime_formatting_to_the_millisecond() -> None:
    rng = random.Random(7)
    samples = [0, 1, 999, 1_000, 1_764_500_000_123, -1_500, 4_102_444_800_000]
    samples += [rng.randrange(0, 4_102_444_800_000) for _ in range(2_000)]
    for ms in samples:
        expected = datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="milliseconds")
        assert iso_utc(ms) == expected.replace("+00:00", "Z")


def test_ids_and_times_in_json() -> None:
    class Item(BaseModel):
        id: IdStr
        at: Timestamp

    item = Item(id=2**63 - 1, at=1_704_067_200_005)
    assert item.model_dump_json() == '{"id":"9223372036854775807","at":"2024-01-01T00:00:00.005Z"}'
    assert item.model_dump() == {"id": 2**63 - 1, "at": 1_704_067_200_005}  # Python mode keeps ints


def _feed_rows() -> list[tuple[dict[str, Any], list[str], list[dict[str, Any]]]]:
    """Feed rows of every shape: a plain post, a repost with a quote, a post with an image and a video."""
    author = {"id": 2**62 + 5, "username": "ann", "display_name": None, "avatar_url": None}
    sharer = {
        "id": 77,
        "username": "bob",
        "display_name": 'Bob «B» "quoted"',
        "avatar_url": "http://s/a.webp",
    }
    post = {
        "id": 2**63 - 2,
        "author_id": author["id"],
        "content": "line one\nline two ✨ </script> \\ \u2028",
        "visibility": "public",
        "created_at": 1_704_067_200_005,
        "like_count": 3,
        "comment_count": 0,
        "share_count": 1,
        "counts_version": 9,  # a card field the response leaves out
    }
    image: dict[str, Any] = {
        "media_id": 11,
        "type": "image",
        "width": 640,
        "height": 480,
        "duration": None,
        "blurhash": "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
        "url": "http://s/o.jpg?X-Amz=1&b=2",
        "thumbnail_url": "http://s/t.webp",
    }
    video = {**image, "media_id": 12, "type": "video", "duration": 12.5, "url": "http://s/v.mp4"}
    return [
        ({"entry_id": post["id"], "post": post, "author": author}, [], []),
        (
            {
                "entry_id": 2**63 - 1,
                "post": {**post, "visibility": "followers"},
                "author": author,
                "shared_by": sharer,
                "quote": "look at this",
                "shared_at": 1_704_067_260_000,
                "is_liked": True,
                "is_shared": True,
            },
            [],
            [],
        ),
        (
            {"entry_id": 5, "post": {**post, "id": 5}, "author": sharer, "is_liked": False},
            [str(image["url"]), str(video["url"])],
            [image, video],
        ),
    ]


def test_a_feed_page_is_written_byte_for_byte_as_its_model_would_write_it() -> None:
    rows = _feed_rows()
    for next_cursor, has_more in ((None, False), ("abc_-", True)):
        reference = FeedPageOut(
            posts=[
                FeedItemOut(
                    **PostOut.from_record(row, urls, media).model_dump(),
                    entry_id=row["entry_id"],
                    shared_by=AuthorOut.from_record(row["shared_by"]) if row.get("shared_by") else None,
                    quote=row.get("quote"),
                    shared_at=row.get("shared_at"),
                )
                for row, urls, media in rows
            ],
            next_cursor=next_cursor,
            has_more=has_more,
        )
        written = FeedPageOut.render(
            (FeedItemOut.json_of(row, urls, media) for row, urls, media in rows), next_cursor, has_more
        )
        assert written == reference.model_dump_json().encode()
    assert FeedPageOut.render([], None, False) == b'{"posts":[],"next_cursor":null,"has_more":false}'


def test_a_page_recounted_is_the_page_rendered_with_the_new_counts() -> None:
    rows = _feed_rows()  # a post, a repost of it, and another post
    rows[2][0]["post"]["content"] = '"like_count":1,"comment_count":2,"share_count":3 {"post_id":"5"'

    def rendered(counts: dict[int, tuple[int, int, int]]) -> bytes:
        def recounted(post: dict[str, Any]) -> dict[str, Any]:
            if post["id"] not in counts:
                return post
            likes, comments, shares = counts[post["id"]]
            return {**post, "like_count": likes, "comment_count": comments, "share_count": shares}

        items = (FeedItemOut.json_of({**row, "post": recounted(row["post"])}, u, m) for row, u, m in rows)
        return FeedPageOut.render(items, None, False)

    body = rendered({})
    for counts in (
        {2**63 - 2: (4, 0, 1)},
        {5: (1000, 20, 3)},
        {2**63 - 2: (0, 7, 2), 5: (3, 0, 1)},
        {99: (1, 1, 1)},
    ):
        assert FeedPageOut.recount(body, counts) == rendered(counts)
    assert FeedPageOut.recount(body, {}) == body
