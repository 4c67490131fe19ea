"""The synthetic social graph of the benchmarks: pure, seeded, reproducible (same seed, same graph).

Followees are drawn from a Zipf distribution over a seeded ranking of the users, so follower counts
follow a power law: a handful of accounts gather a large share of all follows (celebrities above the
dataset's threshold, pulled at read time) and a long tail has a few followers each. Out-degrees are
exponential around the size's mean. Posts are spread over the last ``POST_WINDOW_DAYS`` days.

Everything here is positions (user 0 .. n-1, post 0 .. m-1), not ids: the loader mints the real
64-bit ids, so two loads of one dataset have the same shape and different ids."""

from __future__ import annotations

import bisect
import itertools
import random
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from typing import overload

POST_WINDOW_DAYS = 30
_DAY_MS = 86_400_000
# Zipf exponent of followee choice: 1.0 is the classic in-degree power law of follower graphs.
_ZIPF_EXPONENT = 1.0


@dataclass(frozen=True)
class Size:
    name: str
    users: int
    follows_per_user: int  # mean out-degree
    posts_per_user: int
    likes_per_user: int
    # Follower count from which an author is a celebrity (pulled at read time) in this dataset. The
    # Zipf shape is scale-free, so the threshold scales with the users (40%): every size then has about
    # the same handful of celebrities per reader, and the growth benchmark compares like with like.
    celebrity_threshold: int


SIZES: dict[str, Size] = {
    # XS: the smoke tests' size (seconds to load).
    "XS": Size("XS", 300, 20, 3, 2, 120),
    "S": Size("S", 10_000, 50, 10, 5, 4_000),
    "M": Size("M", 100_000, 50, 10, 5, 40_000),
    "L": Size("L", 1_000_000, 50, 10, 5, 400_000),
}


class Pairs:
    """A list of (int, int) pairs stored as two int32 columns: L's 50M follows take 400 MB this way,
    against ~10 GB as a list of tuples."""

    def __init__(self, second_type: str = "i") -> None:
        self.first = array("i")
        self.second = array(second_type)

    def add(self, a: int, b: int) -> None:
        self.first.append(a)
        self.second.append(b)

    def __len__(self) -> int:
        return len(self.first)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return zip(self.first, self.second, strict=True)

    @overload
    def __getitem__(self, index: int) -> tuple[int, int]: ...
    @overload
    def __getitem__(self, index: slice) -> list[tuple[int, int]]: ...
    def __getitem__(self, index: int | slice) -> tuple[int, int] | list[tuple[int, int]]:
        if isinstance(index, slice):
            return list(zip(self.first[index], self.second[index], strict=True))
        return self.first[index], self.second[index]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Pairs) and self.first == other.first and self.second == other.second

    __hash__ = None  # type: ignore[assignment]  # mutable, like a list


@dataclass(frozen=True)
class Dataset:
    """Positions only: ``follows`` (follower, followee), ``posts`` (author, ms before load), ``likes``
    (user, post)."""

    size: Size
    seed: int
    follows: Pairs
    posts: Pairs
    likes: Pairs

    @property
    def prefix(self) -> str:
        """Username prefix of this dataset's users (``bench_s7_``): bench data never collides with
        tests or demo data, and two datasets never collide with each other."""
        return username_prefix(self.size.name, self.seed)

    def username(self, position: int) -> str:
        return f"{self.prefix}{position:07d}"

    def follower_counts(self) -> list[int]:
        counts = [0] * self.size.users
        for followee in self.follows.second:
            counts[followee] += 1
        return counts

    def counts(self) -> dict[str, int]:
        """How many of each there are (what a complete load leaves in the graph)."""
        return {
            "users": self.size.users,
            "follows": len(self.follows),
            "posts": len(self.posts),
            "likes": len(self.likes),
        }

    def shape(self) -> dict[str, int]:
        """A summary to compare two generations (the reproducibility test) and to print."""
        counts = self.follower_counts()
        return {
            **self.counts(),
            "max_followers": max(counts),
            "celebrities": sum(1 for c in counts if c >= self.size.celebrity_threshold),
        }


def username_prefix(size: str, seed: int) -> str:
    return f"bench_{size.lower()}{seed}_"


def generate(size: Size, seed: int) -> Dataset:
    rng = random.Random(seed)
    n = size.users
    ranking = list(range(n))
    rng.shuffle(ranking)  # who is popular is random, not the lowest positions
    cumulative = list(itertools.accumulate(1.0 / (rank + 1) ** _ZIPF_EXPONENT for rank in range(n)))
    total = cumulative[-1]
    follows = Pairs()
    for follower in range(n):
        degree = min(n - 1, max(1, int(rng.expovariate(1.0 / size.follows_per_user))))
        chosen: set[int] = set()
        # Bounded retries: a draw of oneself or a duplicate is redrawn a few times, then given up.
        for _ in range(degree * 3):
            if len(chosen) == degree:
                break
            followee = ranking[bisect.bisect_left(cumulative, rng.random() * total)]
            if followee != follower:
                chosen.add(followee)
        for followee in sorted(chosen):
            follows.add(follower, followee)
    posts = Pairs(second_type="q")  # ages in ms pass 2**31 after 25 days
    window = POST_WINDOW_DAYS * _DAY_MS
    for author in range(n):
        for _ in range(int(rng.expovariate(1.0 / size.posts_per_user))):
            posts.add(author, rng.randrange(window))
    likes = Pairs()
    if posts:
        for user in range(n):
            picked = {rng.randrange(len(posts)) for _ in range(size.likes_per_user)}
            for post in sorted(picked):
                likes.add(user, post)
    return Dataset(size, seed, follows, posts, likes)
