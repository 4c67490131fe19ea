"""Which counts a page shows changed between two reads that differ in counts records alone
(cache/post_cards.py PostCards.counts_changes)."""

from __future__ import annotations

from cache.post_cards import PostCards, unstamped

KEYS = ["pc:1", "pc:2", "pn:1", "pn:2", "uc:9"]
CARD_1 = b'{"_fresh_until":7,"id":1,"like_count":3,"comment_count":1,"share_count":0,"counts_version":4}'
CARD_2 = b'{"_fresh_until":7,"id":2,"like_count":0,"comment_count":0,"share_count":0,"counts_version":null}'
USER = b'{"_fresh_until":7,"id":9}'


def test_only_the_posts_whose_shown_counts_changed_are_named_with_their_counts_now() -> None:
    before = [unstamped(CARD_1), unstamped(CARD_2), None, b"2,1,0,0", unstamped(USER)]
    now = [CARD_1, CARD_2, b"5,4,1,0", b"3,2,0,0", USER]
    assert PostCards.counts_changes(KEYS, before, now) == {1: (4, 1, 0), 2: (2, 0, 0)}
    # A record older than the card's own counts shows the card's: nothing changed on the page.
    assert PostCards.counts_changes(KEYS, before, [CARD_1, CARD_2, b"3,9,9,9", b"2,1,0,0", USER]) == {}
    # A changed record whose card is missing now: the page was not made from the cache.
    assert PostCards.counts_changes(KEYS, before, [CARD_1, None, None, b"3,2,0,0", USER]) is None


def test_reads_that_differ_in_more_than_stamps_and_counts_records_are_not_recounted() -> None:
    before = [unstamped(CARD_1), unstamped(CARD_2), None, b"2,1,0,0", unstamped(USER)]
    restamped = [CARD_1.replace(b":7,", b":8,", 1), CARD_2, b"5,4,1,0", b"2,1,0,0", USER]
    assert PostCards.counts_changes(KEYS, before, restamped) == {1: (4, 1, 0)}
    edited = CARD_2.replace(b'"id":2', b'"id":2,"content":"edited"')
    assert PostCards.counts_changes(KEYS, before, [CARD_1, edited, None, b"2,1,0,0", USER]) is None
    assert PostCards.counts_changes(KEYS, before, [CARD_1, CARD_2, b"5,4,1,0", b"2,1,0,0", b""]) is None
