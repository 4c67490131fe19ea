"""Refuse files that are accepted media and at the same time another format that a program would act on.

The rule, applied to the uploaded bytes before anything is stored:

* No embedded ZIP archive. ZIP readers (unzip, JAR loaders, Office) find an archive from its *end*, so
  a valid image can carry one. We look for an End Of Central Directory record in the last 64 KiB + 22
  bytes whose central directory really starts with a central-directory header where the record says:
  the same test ZIP readers apply. A random 4-byte match in compressed data does not pass it.
* No markup where browsers and document readers look: the first 1024 bytes must not contain an HTML,
  SVG, PHP or PDF marker (browsers sniff the first bytes, PDF readers accept ``%PDF-`` within 1 KiB).
* No ``<script`` or ``<iframe`` anywhere in the file (case-insensitive). These 7-byte tokens occur by
  chance in compressed data about once per 2^42 bytes, so false refusals are negligible.

Images are re-encoded and videos remuxed anyway, which drops trailing data; the check still refuses
such a file outright so that a crafted upload is named as what it is."""

from __future__ import annotations

import re
import struct
from pathlib import Path
from typing import BinaryIO

from core.errors import Invalid
from media.formats import MediaFormat

_EOCD = b"PK\x05\x06"
_CENTRAL_HEADER = b"PK\x01\x02"
_EOCD_SIZE = 22
_ZIP_TAIL = 65_535 + _EOCD_SIZE
_HEAD_MARKUP = re.compile(rb"<html|<script|<iframe|<svg|<body|<!doctype|<\?php|%PDF-", re.IGNORECASE)
_ANYWHERE = re.compile(rb"<script|<iframe", re.IGNORECASE)
_CHUNK = 1024 * 1024
_OVERLAP = 16


def check_not_polyglot(path: Path, fmt: MediaFormat) -> None:
    """Raise ``Invalid`` (``polyglot_file``) when the file is also a ZIP archive or carries markup."""
    with path.open("rb") as f:
        size = f.seek(0, 2)
        if _has_zip(f, size):
            raise _polyglot(fmt, "a ZIP archive")
        f.seek(0)
        if _HEAD_MARKUP.search(f.read(1024)):
            raise _polyglot(fmt, "HTML/SVG/PDF markup at its start")
        f.seek(0)
        carry = b""
        while chunk := f.read(_CHUNK):
            if _ANYWHERE.search(carry + chunk):
                raise _polyglot(fmt, "an HTML script or frame")
            carry = chunk[-_OVERLAP:]


def _polyglot(fmt: MediaFormat, other: str) -> Invalid:
    return Invalid(
        f"the file is a {fmt.label} but also contains {other}; "
        "files that are two formats at once are refused",
        code="polyglot_file",
    )


def _has_zip(f: BinaryIO, size: int) -> bool:
    start = max(0, size - _ZIP_TAIL)
    f.seek(start)
    tail = f.read()
    at = tail.rfind(_EOCD)
    while at >= 0:
        record = tail[at : at + _EOCD_SIZE]
        if len(record) == _EOCD_SIZE:
            entries, cd_size, _cd_offset, comment_len = struct.unpack("<HIIH", record[10:22])
            eocd_pos = start + at
            cd_start = eocd_pos - cd_size
            fits = eocd_pos + _EOCD_SIZE + comment_len <= size
            if entries and fits and cd_start >= 0:
                f.seek(cd_start)
                if f.read(4) == _CENTRAL_HEADER:
                    return True
        at = tail.rfind(_EOCD, 0, at)
    return False
