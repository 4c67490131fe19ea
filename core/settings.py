"""The one settings class of FeedGraph. Every knob is an env var with the ``FEEDGRAPH_`` prefix."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Refused outside dev mode: a token signed with a published secret can be forged by anyone.
DEV_JWT_SECRET = "feedgraph-dev-secret-change-me-0123456789abcdef"


class Settings(BaseSettings):
    """Defaults point at the local servers started by ``make services``."""

    model_config = SettingsConfigDict(env_prefix="FEEDGRAPH_", env_file=".env", extra="ignore")

    env: Literal["dev", "test", "prod"] = "dev"
    log_level: str = "INFO"
    # Young-object collections every this many net allocations in the API and worker (core/gc_tuning.py
    # says why 5,000); 700 is CPython's default.
    gc_gen0_threshold: int = Field(default=5_000, ge=1)
    # ... and on a clock: the young generation every this many seconds (0: off), everything every
    # gc_full_every-th time (core/gc_tuning.py says why: 600 x 0.1 s = a full collection a minute).
    gc_young_seconds: float = Field(default=0.1, ge=0)
    gc_full_every: int = Field(default=600, ge=1)

    # Neo4j
    neo4j_uri: str = "bolt://127.0.0.1:7687"
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr = SecretStr("")
    neo4j_auth: bool = False
    neo4j_database: str = "neo4j"
    neo4j_max_pool_size: int = 100
    # How long the driver retries a transaction on transient errors or an unreachable server before
    # the request gets its 503 (the driver's own default, 30 s, would hold clients far too long).
    neo4j_retry_seconds: float = Field(default=5.0, ge=0)

    # Redis
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_cluster: bool = False
    redis_max_connections: int = 200
    # The feed read's exchanges share one connection per process (cache/multiplex.py); off: a pooled
    # connection each, as every other command (standalone Redis over plain TCP only).
    redis_multiplexed: bool = True
    # The caches (home timelines, pull lists, post cards, viewer states, activity marks) on a Redis of
    # their own, run without persistence: writing each timeline insert to the AOF was ~40 % of its
    # Redis time, and every cache is rebuilt from the graph. It must come back empty after a restart,
    # never from a snapshot (a stale timeline would look complete). Unset: everything on redis_url.
    # The durable state (the event stream, job locks, rate limits, trending) stays on redis_url.
    # Same topology as redis_url (redis_cluster applies to both).
    cache_redis_url: str | None = None

    # S3 object storage (MinIO in production, VersityGW locally)
    s3_endpoint: str = "http://127.0.0.1:9000"
    s3_access_key: str = "feedgraph"
    s3_secret_key: SecretStr = SecretStr("feedgraph-secret-key")
    s3_bucket: str = "feedgraph-media"
    s3_region: str = "us-east-1"

    # Media (media/): limits of uploads, processing and serving
    # Host that clients reach the bucket on, signed into presigned URLs (unset: s3_endpoint), e.g. when
    # the app talks to minio:9000 inside a network and clients to https://media.example.com.
    s3_public_endpoint: str | None = None
    # Served media URLs are {base}/{key} when set (a CDN in front of the bucket), else presigned GETs.
    media_public_base_url: str | None = None
    # Lifetime of presigned GET URLs (S3 caps it at 7 days).
    media_url_ttl_seconds: int = Field(default=3600, ge=60, le=604_800)
    # Lifetime of the presigned PUT URL handed out by POST /media/uploads.
    media_upload_url_ttl_seconds: int = Field(default=900, ge=60, le=604_800)
    media_image_max_bytes: int = Field(default=16 * 1024 * 1024, ge=1)
    # Larger sides (or more pixels than side x side, all frames counted) are refused before decoding.
    media_image_max_side: int = Field(default=8000, ge=16)
    # Accepted images are re-encoded, downscaled to this long side when larger.
    media_image_stored_max_side: int = Field(default=4096, ge=16)
    media_thumbnail_side: int = Field(default=640, ge=16)
    media_video_max_bytes: int = Field(default=100 * 1024 * 1024, ge=1)
    media_video_max_seconds: float = Field(default=600.0, gt=0)
    media_video_max_side: int = Field(default=8192, ge=16)
    # Uploaded media never attached to a post are deleted by the cleanup job after this long.
    media_orphan_ttl_seconds: int = Field(default=86_400, ge=60)
    # Uploads decoded at once per process: decoding is CPU- and memory-heavy (up to ~256 MB per image).
    media_processing_concurrency: int = Field(default=2, ge=1)
    # Prefix of every object key (lets environments share one bucket); "" or ending with "/".
    media_key_prefix: str = Field(default="", pattern=r"^([A-Za-z0-9_.-]+/)*$")

    # OpenSearch
    opensearch_url: str = "http://127.0.0.1:9200"
    opensearch_user: str | None = None
    opensearch_password: SecretStr | None = None
    opensearch_index_prefix: str = "feedgraph"
    # Shards and replicas of each new search index (index templates; a change applies at the next reindex).
    # One shard holds tens of millions of posts; replicas need as many more nodes (0 on a single node).
    opensearch_shards: int = Field(default=1, ge=1, le=1024)
    opensearch_replicas: int = Field(default=0, ge=0, le=10)

    # API and auth
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    jwt_secret: SecretStr = SecretStr(DEV_JWT_SECRET)
    jwt_ttl_seconds: int = Field(default=3600, ge=60)
    # argon2 cost: memory (KiB) and passes; defaults follow RFC 9106's second recommended option.
    argon2_memory_kib: int = 65536
    argon2_time_cost: int = 3
    write_rate_limit_per_minute: int = Field(default=120, ge=1)

    # Feed
    timeline_cap: int = Field(default=800, ge=20)
    celebrity_threshold: int = Field(default=10_000, ge=1)
    active_days: int = Field(default=7, ge=1)
    fanout_batch_size: int = Field(default=2000, ge=1)
    # A stream entry left unacknowledged this long (its worker died mid-batch) is taken over by another.
    event_reclaim_idle_ms: int = Field(default=30_000, ge=0)
    # How long a reader caches which celebrities they follow; fan-out keeps pushing a new celebrity's
    # posts this long (plus a margin) so that no stale cache misses them. Follows, unfollows and
    # switches forget the cache, so this only bounds a missed forget; each expiry costs a graph query
    # on the reader's next read (at 60 s: one per active reader per minute, which in the benchmark
    # came in waves that cut throughput by a quarter).
    pull_cache_ttl_seconds: int = Field(default=600, ge=1)
    # How long a process keeps the newest entries of a celebrity's pull list it read (0: not kept).
    # Changes are announced over pub/sub and forget every copy at once; this bounds a lost announcement.
    pull_head_cache_ms: int = Field(default=1000, ge=0)
    # The post cache (posts, reposts, profiles) and viewer states (likes, shares, blocks, mutes) live
    # this long after they are filled; writes forget them at once (cards are also repaired from the
    # outbox after a crash), so the TTL only bounds what a lost invalidation leaves. An hour: at 5
    # minutes every hot card was refilled through the graph path every 5 minutes (in the benchmark,
    # waves of whole pages read from Neo4j for ~40 s after each expiry).
    post_cache_ttl_seconds: int = Field(default=3600, ge=1)
    # Feed pages each API process keeps with what they were made from, served again while every input
    # reads the same (feed/page_memo.py); 0 pages: none kept. Each is ~30 KB (the page, its replies twice).
    feed_page_memo_pages: int = Field(default=2048, ge=0)
    # How long a kept page may be served again (80-100 % of this at random; at most a quarter of
    # media_url_ttl_seconds, so the signed URLs on a kept page stay valid: feed/service.py). Not a
    # freshness bound: every hit is checked against Redis. Each process makes each of its pages once per
    # lifetime: at 10 s a fifth of the benchmark's reads were pages made afresh, at 60 s up to 1 in 20.
    feed_page_memo_seconds: float = Field(default=600.0, ge=0)
    # How often a served kept page gives the refresh-ahead notices a page made afresh gives (cards and
    # viewer state due for a refresh, whose window is the last tenth of post_cache_ttl_seconds, 6
    # minutes): it bounds how late those are seen (feed/page_memo.py).
    feed_page_memo_check_seconds: float = Field(default=60.0, gt=0)

    # The 10 worker bits of ids made by this process (0-1023). Unset: random per process, which makes
    # a collision between two processes in the same millisecond unlikely but not impossible.
    id_worker: int | None = Field(default=None, ge=0, le=1023)

    # Push notifications are POSTed as JSON to this URL (a push gateway relaying to FCM/APNs); unset:
    # no pushes are sent (notifications are still stored and streamed).
    push_webhook_url: str | None = None

    # Readiness probes must answer fast even when a dependency hangs.
    dependency_timeout_seconds: float = 2.0

    # Jobs (jobs/): friend suggestions and the schedule of `feedgraph jobs schedule`
    # Suggestions kept per user, and users computed per batch (one read and one write transaction).
    suggestions_top_k: int = Field(default=20, ge=1, le=100)
    suggestions_batch_size: int = Field(default=500, ge=1)
    # A job's lock expires this long after its last renewal (renewed every third of it while the job
    # runs), so a crashed run blocks the next one for at most this long.
    job_lock_ttl_seconds: int = Field(default=60, ge=3)
    # Cron expressions (5 fields, UTC) by job name; a job left out or given "" is not scheduled.
    job_schedules: dict[str, str] = Field(
        default_factory=lambda: {
            "friend-suggestions": "30 3 * * *",
            "media-cleanup": "10 * * * *",
            "feed-housekeeping": "* * * * *",
        }
    )

    @model_validator(mode="after")
    def _refuse_default_secret_outside_dev(self) -> Settings:
        if self.env == "prod" and self.jwt_secret.get_secret_value() == DEV_JWT_SECRET:
            raise ValueError("FEEDGRAPH_JWT_SECRET must be set to a private value outside dev/test")
        if len(self.jwt_secret.get_secret_value()) < 32:
            raise ValueError("FEEDGRAPH_JWT_SECRET must be at least 32 characters")
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings read once per process from the environment (and ``.env``)."""
    return Settings()
