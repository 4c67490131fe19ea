from __future__ import annotations

from core.text import hashtags, mentions


def test_hashtags_are_lower_cased_distinct_and_ordered() -> None:
    assert hashtags("Loving #Python and #python, #FastAPI! #2024 a#b") == ["python", "fastapi"]


def test_hashtags_accept_unicode_letters() -> None:
    assert hashtags("#café #東京") == ["café", "東京"]


def test_mentions_follow_the_username_rule_and_skip_emails() -> None:
    assert mentions("hi @Alice_1 and @bob, mail me at carol@example.com, @ab is too short") == [
        "alice_1",
        "bob",
    ]


def test_no_tags_or_mentions_in_plain_text() -> None:
    assert hashtags("nothing here") == []
    assert mentions("nothing here") == []
