"""Receive a multipart upload straight from the request stream into a temporary file, with a size cap.

Starlette's own form parsing reads the whole body before the route runs, without a limit for files.
Here the body is parsed as it arrives (python-multipart's streaming parser): only the ``file`` field is
written, to disk, chunk by chunk; the upload is refused (413) as soon as it exceeds the cap, and as soon
as its first bytes show it is not an accepted type (415): the rest is never read."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import BinaryIO

from python_multipart.multipart import MultipartParser, parse_options_header

from core.errors import Invalid, PayloadTooLarge, UnsupportedMedia
from media.formats import HEAD_BYTES, MediaFormat, sniff
from media.limits import Limits
from media.processing import check_size

FIELD = "file"
# Headers and boundaries around the file: what a body may carry beyond the file's own size.
_ENVELOPE_BYTES = 64 * 1024


@dataclass
class _Receiver:
    out: BinaryIO
    limits: Limits
    limit: int
    headers: dict[bytes, bytes] = field(default_factory=dict)
    header_field: bytes = b""
    header_value: bytes = b""
    in_file: bool = False
    files: int = 0
    size: int = 0
    head: bytes = b""
    fmt: MediaFormat | None = None

    def on_part_begin(self) -> None:
        self.headers, self.in_file = {}, False

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        self.headers[self.header_field.lower()] = self.header_value
        self.header_field, self.header_value = b"", b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.headers.get(b"content-disposition", b""))
        if options.get(b"name") == FIELD.encode():
            self.files += 1
            if self.files > 1:
                raise Invalid(f"send exactly one '{FIELD}' field", code="too_many_files")
            self.in_file = True

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if not self.in_file:
            return
        chunk = data[start:end]
        self.size += len(chunk)
        check_size(self.size, self.limit)
        if self.fmt is None:
            # Decide the type from the first bytes: the right size cap applies from then on, and a file
            # that is no accepted media is refused without reading the rest.
            self.head += chunk[: HEAD_BYTES - len(self.head)]
            if len(self.head) >= HEAD_BYTES:
                self._sniff()
        self.out.write(chunk)

    def on_part_end(self) -> None:
        if self.in_file and self.fmt is None and self.head:
            self._sniff()
        self.in_file = False

    def _sniff(self) -> None:
        self.fmt = sniff(self.head)
        self.limit = self.limits.max_bytes(self.fmt.kind)
        check_size(self.size, self.limit, self.fmt.kind)


async def spool_multipart(
    content_type: str | None,
    content_length: str | None,
    body: AsyncIterator[bytes],
    dest: BinaryIO,
    limits: Limits,
) -> int:
    """Write the ``file`` field of a multipart body to ``dest``; returns its size in bytes."""
    mime, options = parse_options_header(content_type or "")
    boundary = options.get(b"boundary")
    if mime != b"multipart/form-data" or not boundary:
        raise UnsupportedMedia(
            f"send the file as multipart/form-data in a field named '{FIELD}'", code="multipart_required"
        )
    if content_length and content_length.isdigit():
        check_size(int(content_length), limits.any_max_bytes + _ENVELOPE_BYTES, "request")
    receiver = _Receiver(out=dest, limits=limits, limit=limits.any_max_bytes)
    parser = MultipartParser(
        boundary,
        callbacks={
            "on_part_begin": receiver.on_part_begin,
            "on_header_field": receiver.on_header_field,
            "on_header_value": receiver.on_header_value,
            "on_header_end": receiver.on_header_end,
            "on_headers_finished": receiver.on_headers_finished,
            "on_part_data": receiver.on_part_data,
            "on_part_end": receiver.on_part_end,
        },
    )
    try:
        async for chunk in body:
            parser.write(chunk)
        parser.finalize()
    except (Invalid, PayloadTooLarge, UnsupportedMedia):
        raise
    except Exception as exc:  # python-multipart's parse errors: a malformed body
        raise Invalid(f"malformed multipart body ({exc})", code="malformed_multipart") from exc
    if receiver.files == 0:
        raise Invalid(f"the multipart body has no '{FIELD}' field", code="file_missing")
    if receiver.size == 0:
        raise Invalid("the file is empty", code="empty_file")
    return receiver.size
