"""One entry point for an uploaded file on disk: sniff the type from the content, apply the size limit of
that type, refuse polyglots, then process it as an image or a video. Pure and blocking: run it in a
worker thread."""

from __future__ import annotations

from pathlib import Path

from core.errors import PayloadTooLarge
from media.formats import HEAD_BYTES, sniff
from media.images import process_image
from media.limits import Limits
from media.polyglot import check_not_polyglot
from media.processed import Processed
from media.videos import process_video


def process_file(path: Path, limits: Limits, workdir: Path) -> Processed:
    """Validate and process ``path``; every refusal is an ``AppError`` (4xx) naming the problem."""
    with path.open("rb") as f:
        head = f.read(HEAD_BYTES)
        size = f.seek(0, 2)
    fmt = sniff(head)
    check_size(size, limits.max_bytes(fmt.kind), fmt.kind)
    check_not_polyglot(path, fmt)
    if fmt.kind == "image":
        return process_image(path, fmt, limits, workdir)
    return process_video(path, fmt, limits, workdir)


def check_size(size: int, limit: int, what: str = "file") -> None:
    if size > limit:
        raise PayloadTooLarge(
            f"the {what} is larger than the limit of {limit:,} bytes", code="file_too_large"
        )
