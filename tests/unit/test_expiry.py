"""Cache lifetimes are spread (core/expiry.py): never longer than asked, at most a fifth shorter."""

from __future__ import annotations

from core.expiry import spread_seconds, spread_ttl


def test_spread_lifetimes_stay_within_a_fifth_below_the_asked_one_and_vary() -> None:
    draws = [spread_ttl(60) for _ in range(2_000)]
    assert all(48 <= d <= 60 for d in draws)
    assert len(set(draws)) > 5  # spread, not one value
    assert all(spread_ttl(1) == 1 for _ in range(100))  # never below a second
    assert all(300 - 60 <= spread_ttl(300) <= 300 for _ in range(100))


def test_lifetimes_kept_in_process_are_spread_below_the_asked_one() -> None:
    draws = [spread_seconds(10.0, 0.5) for _ in range(2_000)]
    assert all(5.0 <= d <= 10.0 for d in draws)
    assert min(draws) < 6.0 and max(draws) > 9.0  # the whole range is used, not one value
    assert all(0.8 * 0.25 <= spread_seconds(0.25) <= 0.25 for _ in range(100))
