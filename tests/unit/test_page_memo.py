"""What the feed page memo keeps and recalls (feed/page_memo.py); serving from it is tested against real
servers in tests/integration/test_page_memo.py."""

from __future__ import annotations

import time

from cache.page_state import PageRead
from feed.page_memo import PageMemo, PageTrace

READ = PageRead(("p:{1}", "c:{1}"), ("sha", 4, "vs:{7}", 1), "vs:{7}", ((b"card", b"1,0,0,0"), None))
KEY = (7, None, 20)


def made_by_one_read() -> PageTrace:
    return PageTrace(read=READ, hydrations=1)


def test_a_page_made_by_one_read_is_recalled_for_the_same_entries_only() -> None:
    memo: PageMemo[bytes] = PageMemo(pages=8, seconds=60)
    memo.keep(KEY, [3, 2, 1], made_by_one_read(), b"page")
    kept = memo.recall(KEY, [3, 2, 1])
    assert kept is not None and kept.page == b"page" and kept.read is READ
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


def test_a_memo_of_no_pages_keeps_nothing() -> None:
    for memo in (PageMemo[bytes](pages=0, seconds=60), PageMemo[bytes](pages=8, seconds=0)):
        memo.keep(KEY, [1], made_by_one_read(), b"page")
        assert memo.recall(KEY, [1]) is None


def test_a_read_answers_only_the_question_it_asked() -> None:
    assert READ.asks(("p:{1}", "c:{1}"), ("sha", 4, "vs:{7}", 1))
    assert not READ.asks(("p:{1}",), ("sha", 4, "vs:{7}", 1))
    assert not READ.asks(("p:{1}", "c:{1}"), ("sha", 4, "vs:{7}", 2))
