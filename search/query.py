"""What a user typed into the post search box, split into free text, quoted phrases, #hashtags and
@mentions. Nothing here is ever passed to OpenSearch's query-string syntax: free text goes into a
``match`` query, which treats every character as text, so reserved characters (``+ - ( ) : ^ ~ * ?
\\ /`` ...) cannot make a query fail."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from core import text

MAX_QUERY_LENGTH = 200
# Each adds a clause; a handful is all a person types, and it bounds the work of one request.
MAX_TERMS = 10

_TOKEN = re.compile(r'"([^"]*)"|(\S+)')
_USERNAME = re.compile(r"^@?([A-Za-z0-9_]{3,30})$")
_TAG = re.compile(r"^#?(\w{1,100})$", re.UNICODE)


@dataclass(frozen=True)
class PostQuery:
    words: str = ""
    phrases: list[str] = field(default_factory=list)
    hashtags: list[str] = field(default_factory=list)
    mentions: list[str] = field(default_factory=list)

    @property
    def has_text(self) -> bool:
        return bool(self.words or self.phrases)

    @property
    def is_empty(self) -> bool:
        return not (self.has_text or self.hashtags or self.mentions)


def parse_post_query(raw: str) -> PostQuery:
    """``#tag`` and ``@name`` tokens become exact filters, ``"quoted words"`` phrases, the rest words.
    Hashtags and mentions are recognised by core/text.py, the code that parses them in posts."""
    words: list[str] = []
    phrases: list[str] = []
    tags: dict[str, None] = {}
    mentions: dict[str, None] = {}
    for match in _TOKEN.finditer(raw[:MAX_QUERY_LENGTH]):
        phrase, token = match.group(1), match.group(2)
        if phrase is not None:
            if phrase.strip() and len(phrases) < MAX_TERMS:
                phrases.append(phrase.strip())
            continue
        if token.startswith("#") and (found := text.hashtags(token)):
            for tag in found:
                if len(tags) < MAX_TERMS:
                    tags.setdefault(tag, None)
            continue
        if token.startswith("@") and (named := text.mentions(token)):
            for name in named:
                if len(mentions) < MAX_TERMS:
                    mentions.setdefault(name, None)
            continue
        words.append(token)
    return PostQuery(" ".join(words), phrases, list(tags), list(mentions))


def normalize_username(raw: str) -> str | None:
    """``@Alice`` or ``alice`` -> ``alice``; None when it cannot be a username."""
    match = _USERNAME.match(raw.strip())
    return match.group(1).lower() if match else None


def normalize_tag(raw: str) -> str | None:
    """``#Rust`` or ``rust`` -> ``rust``; None when it cannot be a hashtag (as core/text.py decides)."""
    match = _TAG.match(raw.strip())
    if not match:
        return None
    tag = match.group(1).lower()
    return None if tag.isdigit() else tag
