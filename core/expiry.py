"""Cache lifetimes with a random spread.

Entries filled together (a cold start, a deploy, a benchmark's warm-up) would otherwise expire
together and send all of their readers to the graph in the same second: in the feed benchmark the
cached celebrity lists of 1,000 viewers, filled during the warm-up, expired at once a minute later and
stalled reads for seconds while they were all reloaded."""

from __future__ import annotations

import random

# The share of a lifetime taken off at most: a value filled now lives at least (1 - SPREAD) of it.
SPREAD = 0.2


def spread_ttl(seconds: int, spread: float = SPREAD) -> int:
    """``seconds`` shortened by up to ``spread`` of it, at random; never below one second. Only ever
    shorter: a lifetime that other code relies on as an upper bound stays one."""
    return max(1, seconds - int(random.random() * spread * seconds))


def spread_seconds(seconds: float, spread: float = SPREAD) -> float:
    """As :func:`spread_ttl`, for lifetimes kept in a process (fractions of a second, no floor)."""
    return seconds * (1 - random.random() * spread)
