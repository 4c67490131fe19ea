"""Which media a post may carry: at most 4 images or 1 video, each uploaded by the post's author, ready,
and not attached to another post. Pure rules; the post's write transaction applies them to the items'
state read under their write locks (graph/repositories/posts.create_post)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from core.errors import Invalid

MAX_IMAGES = 4
MAX_VIDEOS = 1
_RULE = f"a post carries at most {MAX_IMAGES} images or {MAX_VIDEOS} video"


def check_request(media_ids: Sequence[int]) -> None:
    """What can be refused before reading the graph: too many ids, repeated ids."""
    if len(media_ids) > MAX_IMAGES:
        raise Invalid(f"{len(media_ids)} media given; {_RULE}", code="too_many_media")
    repeated = [str(i) for i, n in Counter(media_ids).items() if n > 1]
    if repeated:
        raise Invalid(f"media {repeated[0]} is given more than once", code="duplicate_media")


def check_attachment(requested: Sequence[int], found: Sequence[Mapping[str, Any]], author_id: int) -> None:
    """Raise ``Invalid`` (400) unless every requested item may be attached to the author's new post."""
    by_id = {row["id"]: row for row in found}
    for media_id in requested:
        row = by_id.get(media_id)
        # Someone else's item is reported like a missing one: ids of others' uploads are not confirmed.
        if row is None or row["owner_id"] != author_id or row["status"] == "deleting":
            raise Invalid(f"media {media_id} does not exist or was not uploaded by you", code="unknown_media")
        if row["status"] == "attached":
            raise Invalid(f"media {media_id} is already attached to another post", code="media_attached")
        if row["status"] != "ready":
            raise Invalid(
                f"media {media_id} is not processed yet (complete the upload first)", code="media_not_ready"
            )
    kinds = Counter(by_id[m]["type"] for m in requested)
    if kinds["video"] > MAX_VIDEOS or (kinds["video"] and kinds["image"]):
        raise Invalid(
            f"{kinds['video']} video(s) and {kinds['image']} image(s) given; {_RULE}", code="too_many_media"
        )
