"""What the feed page memo keeps and recalls (feed/page_memo.py); serving from it is tested against real
servers in tests/integration/test_page_memo.py."""

from __future__ import annotations

import time

from cache.exchange import pack
from cache.page_state import PageQuestion, PageRead
from feed.page_memo import PageMemo, PageTrace

KEYS = ("p:{1}", "c:{1}")
FLAGS = ("sha", 4, "vs:{7}", 1)
STANDALONE = PageQuestion(KEYS, FLAGS, "vs:{7}", pack([("MGET", *KEYS), ("EVALSHA", *FLAGS)]))
CLUSTER = PageQuestion(KEYS, FLAGS, "vs:{7}")
READ = PageRead(STANDALONE, ([b"card", b"1,0,0,0"], None))
KEY = (7, None, 20)


def made_by_one_read() -> PageTrace:
    return PageTrace(read=READ, hydrations=1)


def test_a_page_made_by_one_read_is_recalled_for_the_same_entries_only() -> None:
    memo: PageMemo[bytes] = PageMemo(pages=8, seconds=60)
    memo.keep(KEY, [3, 2, 1], made_by_one_read(), b"page")
    kept = memo.recall(KEY, [3, 2, 1])
    assert kept is not None and kept.page == b"page"
    assert kept.question.packed == STANDALONE.packed and kept.fingerprint == READ.fingerprint()
    assert memo.recall(KEY, [4, 3, 2]) is None  # a new entry on top
    assert memo.recall(KEY, [3, 1]) is None  # one gone
    assert memo.recall((7, None, 10), [3, 2, 1]) is None  # another limit
    assert memo.recall((8, None, 20), [3, 2, 1]) is None  # another viewer


def test_pages_not_made_by_one_read_alone_are_not_kept() -> None:
    memo: PageMemo[bytes] = PageMemo(pages=8, seconds=60)
    memo.keep(KEY, [1], PageTrace(read=None, hydrations=1), b"graph path")
    assert memo.recall(KEY, [1]) is None
    memo.keep(KEY, [1], PageTrace(read=READ, hydrations=2), b"refilled")
    assert memo.recall(KEY, [1]) is None
    memo.keep(KEY, [1], PageTrace(read=READ, hydrations=0), b"empty")
    assert memo.recall(KEY, [1]) is None


def test_a_kept_page_is_forgotten_after_its_lifetime_and_when_full() -> None:
    memo: PageMemo[bytes] = PageMemo(pages=2, seconds=0.05)
    memo.keep(KEY, [1], made_by_one_read(), b"page")
    time.sleep(0.1)
    assert memo.recall(KEY, [1]) is None
    memo = PageMemo(pages=2, seconds=60)
    for viewer in (1, 2, 3):
        memo.keep((viewer, None, 20), [1], made_by_one_read(), b"page")
    assert memo.recall((1, None, 20), [1]) is None
    assert memo.recall((3, None, 20), [1]) is not None


def test_pages_kept_together_are_forgotten_at_different_times_within_their_lifetime() -> None:
    clock = [100.0]
    memo: PageMemo[bytes] = PageMemo(pages=2_000, seconds=10, timer=lambda: clock[0])
    viewers = range(1_000)
    for viewer in viewers:
        memo.keep((viewer, None, 20), [1], made_by_one_read(), b"page")

    def remembered() -> int:
        return sum(memo.recall((viewer, None, 20), [1]) is not None for viewer in viewers)

    clock[0] = 107.99
    assert remembered() == 1_000  # at least 80 % of ``seconds``
    clock[0] = 109.0
    assert 100 < remembered() < 900  # not one burst ``seconds`` later: spread over its last fifth
    clock[0] = 110.0
    assert remembered() == 0  # at most ``seconds``


def test_a_memo_of_no_pages_keeps_nothing() -> None:
    for memo in (PageMemo[bytes](pages=0, seconds=60), PageMemo[bytes](pages=8, seconds=0)):
        memo.keep(KEY, [1], made_by_one_read(), b"page")
        assert memo.recall(KEY, [1]) is None


def test_a_read_answers_only_the_question_it_asked_kept_or_not() -> None:
    kept = STANDALONE.kept()
    assert kept.keys == () and kept.flags_command == ()  # the packed exchange asks it again
    assert kept.packed == STANDALONE.packed and kept.marker == STANDALONE.marker
    assert CLUSTER.kept() is CLUSTER  # asked key by key: kept whole
    for question in (STANDALONE, kept, CLUSTER, CLUSTER.kept()):
        read = PageRead(question, ([b"card"], None))
        assert read.asks(KEYS, FLAGS)
        assert not read.asks(("p:{1}",), FLAGS)
        assert not read.asks(KEYS, ("sha", 4, "vs:{7}", 2))
        assert not read.asks(("p:{1}", "c:{2}"), FLAGS)


def test_equal_replies_have_equal_fingerprints_and_any_change_another() -> None:
    def read(replies: tuple[list[object], object]) -> PageRead:
        return PageRead(STANDALONE, replies)

    flags = [b"1700000000000", [1, 0], [0, 0], [0]]
    same = read(([b"card" * 50, None], [b"1700000000000", [1, 0], [0, 0], [0]]))
    assert read(([b"card" * 50, None], flags)).fingerprint() == same.fingerprint()
    changed: list[tuple[list[object], object]] = [
        ([b"card" * 50 + b"!", None], flags),  # a card edited
        ([b"card" * 50, b"new"], flags),  # a card appeared
        ([b"card" * 50, None], [b"1700000000000", [0, 0], [0, 0], [0]]),  # a like withdrawn
        ([b"card" * 50, None], [b"1700000000001", [1, 0], [0, 0], [0]]),  # the state refilled
        ([b"card" * 50, None], None),  # the state forgotten
    ]
    for replies in changed:
        assert read(replies).fingerprint() != same.fingerprint(), replies


def stamped_read(stamp: int, content: bytes = b'"content":"hi"}') -> PageRead:
    """A read whose card carries the freshness stamp ``stamp`` (cache/post_cards.py)."""
    card = b'{"_fresh_until":' + str(stamp).encode() + b"," + content
    return PageRead(STANDALONE, ([card, b"1,0,0,0"], None))


def test_a_page_whose_cards_changed_only_in_their_stamps_is_served_and_due() -> None:
    memo: PageMemo[bytes] = PageMemo(pages=8, seconds=60)
    memo.keep(KEY, [1], PageTrace(read=stamped_read(100), hydrations=1), b"page")
    kept = memo.recall(KEY, [1])
    assert kept is not None
    assert memo.serves(kept, stamped_read(100)) and not memo.due(kept)  # the same replies, just made
    restamped = stamped_read(200)
    assert memo.serves(kept, restamped) and memo.due(kept)  # the reader notices stamps past
    assert not memo.due(kept)  # once
    assert kept.fingerprint == restamped.fingerprint()  # the next check is the quick one
    assert memo.serves(kept, stamped_read(200)) and not memo.due(kept)
    assert (memo.hits, memo.restamped, memo.misses) == (3, 1, 0)
    assert not memo.serves(kept, stamped_read(300, b'"content":"edited"}'))
    assert not memo.serves(kept, PageRead(STANDALONE, ([b'{"content":"hi"}', b"1,0,0,0"], None)))
    assert (memo.hits, memo.misses) == (3, 2)


def test_a_served_page_is_due_for_its_notices_every_check_seconds() -> None:
    clock = [100.0]
    memo: PageMemo[bytes] = PageMemo(pages=8, seconds=600, check_seconds=60, timer=lambda: clock[0])
    memo.keep(KEY, [1], made_by_one_read(), b"page")
    kept = memo.recall(KEY, [1])
    assert kept is not None and not memo.due(kept)
    clock[0] += 59
    assert not memo.due(kept)
    clock[0] += 2
    assert memo.due(kept) and not memo.due(kept)
    clock[0] += 61
    assert memo.due(kept)
    clock[0] += 600  # past any lifetime drawn: made afresh
    assert memo.recall(KEY, [1]) is None


def test_a_kept_question_still_names_its_cards() -> None:
    assert STANDALONE.kept().keys == () and STANDALONE.kept().card_keys() == KEYS
    assert CLUSTER.kept().card_keys() == KEYS


def test_a_question_kept_again_is_the_same_question() -> None:
    """A page made afresh from its memo's question asked again keeps that kept question once more."""
    again = STANDALONE.kept().kept()
    assert again.card_keys() == KEYS and again.same(KEYS, FLAGS) and again.packed == STANDALONE.packed


def test_a_page_whose_counts_alone_changed_is_served_recounted() -> None:
    counted = PageRead(STANDALONE, ([b'{"_fresh_until":1,"id":1}', b"2,5,0,0"], None))
    memo: PageMemo[bytes] = PageMemo(pages=8, seconds=60)
    memo.keep(KEY, [1], PageTrace(read=counted, hydrations=1), b"5 likes")
    kept = memo.recall(KEY, [1])
    assert kept is not None
    asked: list[tuple[bytes, bytes]] = []

    def recount(page: bytes, read: PageRead, before: bytes) -> bytes | None:
        """As feed/reader.py's: None unless only counts changed (here: the card is still post 1's)."""
        asked.append((page, before))
        card, record = read.replies[0]
        return None if record == b"4,9,0,0" or b'"id":1}' not in card else b"6 likes"

    recounted = PageRead(STANDALONE, ([b'{"_fresh_until":2,"id":1}', b"3,6,0,0"], None))
    assert memo.serves(kept, recounted, recount) and kept.page == b"6 likes" and memo.due(kept)
    assert asked == [(b"5 likes", counted.content())] and kept.content == recounted.content()
    assert memo.serves(kept, recounted, recount) and len(asked) == 1  # the quick check again
    assert not memo.serves(
        kept, PageRead(STANDALONE, ([b'{"_fresh_until":2,"id":1}', b"4,9,0,0"], None)), recount
    )
    assert not memo.serves(
        kept, PageRead(STANDALONE, ([b'{"_fresh_until":2,"id":2}', b"5,9,0,0"], None)), recount
    )
    assert len(asked) == 3 and kept.page == b"6 likes"  # a card changed: the recount refused
    assert not memo.serves(kept, PageRead(STANDALONE, ([b'{"_fresh_until":2,"id":1}', b"5,9,0,0"], None)))
    assert (memo.hits, memo.recounted, memo.misses) == (2, 1, 3)
