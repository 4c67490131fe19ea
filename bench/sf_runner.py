"""Stream-Framework's side of benchmark 6, run by the Python of its own venv (.feedgraph/bench/sf-venv,
made by bench/stream_framework.py): stdlib, stream_framework 1.4.0 and redis-py 2.10.6 only, so it
imports nothing of FeedGraph's. Prints one JSON object.

Its feed managers (stream_framework.feed_managers.base) cannot be imported on Python 3.7+: a parameter
is named ``async``, a keyword since 3.7 (SyntaxError). The fan-out below is therefore the body of
``Manager.fanout`` itself: one timeline batch interface (a Redis pipeline) and ``feed.add_many`` per
follower, after ``insert_activities`` stores the activity, which reads require."""

import datetime
import json
import sys
import time


def main() -> None:
    followers, activities, reads, redis_db, redis_port = (int(v) for v in sys.argv[1:6])
    from stream_framework import settings  # type: ignore[import-not-found]

    settings.STREAM_REDIS_CONFIG = {
        "default": {"host": "127.0.0.1", "port": redis_port, "db": redis_db, "password": None}
    }
    from stream_framework.activity import Activity  # type: ignore[import-not-found]
    from stream_framework.feeds.redis import RedisFeed  # type: ignore[import-not-found]
    from stream_framework.verbs.base import Add  # type: ignore[import-not-found]

    class BenchFeed(RedisFeed):  # type: ignore[misc]
        key_format = "sfbench:feed:%(user_id)s"
        max_length = 800  # the same cap as FeedGraph's timelines

    follower_ids = list(range(1, followers + 1))
    started = time.perf_counter()
    for index in range(activities):
        activity = Activity(actor=1, verb=Add, object=1_000_000 + index, time=datetime.datetime.utcnow())
        BenchFeed.insert_activities([activity])
        with BenchFeed.get_timeline_batch_interface() as batch:
            for user_id in follower_ids:
                BenchFeed(user_id).add_many([activity], batch_interface=batch)
    fanout_seconds = time.perf_counter() - started
    latencies: list[float] = []
    for index in range(reads):
        feed = BenchFeed(follower_ids[(index * 7919) % len(follower_ids)])
        t0 = time.perf_counter()
        page = feed[:20]
        latencies.append(time.perf_counter() - t0)
        assert len(page) == min(20, activities), len(page)
    latencies.sort()
    for user_id in follower_ids:
        BenchFeed(user_id).delete()
    print(
        json.dumps(
            {
                "inserts": followers * activities,
                "fanout_seconds": fanout_seconds,
                "inserts_per_second": followers * activities / fanout_seconds,
                "reads": reads,
                "reads_per_second": reads / sum(latencies),
                "read_p50_ms": latencies[len(latencies) // 2] * 1000,
                "read_p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
            }
        )
    )


if __name__ == "__main__":
    main()
