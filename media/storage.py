"""The object store (S3 API through the minio client): one bucket, created at start-up if missing."""

from __future__ import annotations

from urllib.parse import urlsplit

import anyio
from minio import Minio

from core.errors import Unavailable
from core.settings import Settings


class ObjectStore:
    """Thin async face over the (blocking) minio client: calls run in worker threads."""

    def __init__(self, client: Minio, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    @classmethod
    def connect(cls, settings: Settings) -> ObjectStore:
        endpoint = urlsplit(settings.s3_endpoint)
        client = Minio(
            endpoint.netloc,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key.get_secret_value(),
            secure=endpoint.scheme == "https",
            region=settings.s3_region,
        )
        return cls(client, settings.s3_bucket)

    async def ensure_bucket(self) -> None:
        """Create the bucket when missing (idempotent)."""

        def _ensure() -> None:
            if not self.client.bucket_exists(self.bucket):
                self.client.make_bucket(self.bucket)

        await anyio.to_thread.run_sync(_ensure)

    async def ping(self) -> str:
        """A real round trip: the bucket exists and is reachable."""
        if not await anyio.to_thread.run_sync(self.client.bucket_exists, self.bucket):
            raise Unavailable(f"bucket {self.bucket} is missing", code="dependency_unavailable")
        return f"bucket {self.bucket}"
