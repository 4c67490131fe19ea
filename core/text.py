"""Parsing of post content: hashtags and @mentions."""

from __future__ import annotations

import re

# A hashtag starts after a non-word character (or the start) so "a#b" and URLs' fragments are not tags.
_HASHTAG = re.compile(r"(?<![\w#])#(\w{1,100})", re.UNICODE)
# Mentions follow the username rule: [A-Za-z0-9_]{3,30}; an e-mail address is not a mention.
_MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9_]{3,30})(?![A-Za-z0-9_])")
MAX_TAGS = 30
MAX_MENTIONS = 30


def hashtags(content: str) -> list[str]:
    """Distinct hashtags, lower-cased, in order of first appearance (digits-only tags are not tags)."""
    seen: dict[str, None] = {}
    for match in _HASHTAG.finditer(content):
        tag = match.group(1).lower()
        if not tag.isdigit():
            seen.setdefault(tag, None)
    return list(seen)[:MAX_TAGS]


def mentions(content: str) -> list[str]:
    """Distinct mentioned usernames, lower-cased, in order of first appearance."""
    seen: dict[str, None] = {}
    for match in _MENTION.finditer(content):
        seen.setdefault(match.group(1).lower(), None)
    return list(seen)[:MAX_MENTIONS]
