"""The benchmark dataset generator: reproducible from its seed, and shaped like a social network."""

from __future__ import annotations

from bench.dataset import SIZES, generate, username_prefix


def test_same_seed_same_graph() -> None:
    first, second = generate(SIZES["XS"], 42), generate(SIZES["XS"], 42)
    assert first.follows == second.follows
    assert first.posts == second.posts
    assert first.likes == second.likes
    assert first.shape() == second.shape()


def test_another_seed_another_graph() -> None:
    assert generate(SIZES["XS"], 1).follows != generate(SIZES["XS"], 2).follows


def test_follower_counts_are_heavy_tailed_with_a_few_celebrities() -> None:
    dataset = generate(SIZES["XS"], 7)
    counts = sorted(dataset.follower_counts(), reverse=True)
    mean = sum(counts) / len(counts)
    assert counts[0] > 5 * mean  # a power law, not a uniform graph
    celebrities = dataset.shape()["celebrities"]
    assert 1 <= celebrities <= len(counts) // 20
    assert all(a != b for a, b in dataset.follows)  # nobody follows themselves
    assert len(set(dataset.follows)) == len(dataset.follows)  # no duplicate edge


def test_bench_usernames_never_collide_with_other_data() -> None:
    dataset = generate(SIZES["XS"], 3)
    assert dataset.username(0).startswith("bench_xs3_")
    # Datasets are found and deleted by prefix: seed 3's prefix must not match seed 31's users.
    assert not username_prefix("S", 31).startswith(username_prefix("S", 3))
    assert dataset.username(0) != generate(SIZES["XS"], 4).username(0)
