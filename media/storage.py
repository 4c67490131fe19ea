"""The object store (S3 API through the minio client): one bucket, created at start-up if missing."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

import anyio
from minio import Minio
from minio.deleteobjects import DeleteObject
from minio.error import MinioException, S3Error
from urllib3.exceptions import HTTPError

from core.errors import AppError, PayloadTooLarge, Unavailable
from core.settings import Settings

T = TypeVar("T")


def _client(endpoint_url: str, settings: Settings) -> Minio:
    endpoint = urlsplit(endpoint_url)
    return Minio(
        endpoint.netloc,
        access_key=settings.s3_access_key,
        secret_key=settings.s3_secret_key.get_secret_value(),
        secure=endpoint.scheme == "https",
        # With the region given, the client never asks the server for it: presigning stays local.
        region=settings.s3_region,
    )


class ObjectStore:
    """Thin async face over the (blocking) minio client: calls run in worker threads.

    ``signer`` presigns URLs for clients: the same client unless clients reach the bucket on another
    host (``FEEDGRAPH_S3_PUBLIC_ENDPOINT``), since the host is part of the signature."""

    def __init__(self, client: Minio, bucket: str, signer: Minio | None = None) -> None:
        self.client = client
        self.bucket = bucket
        self.signer = signer or client

    @classmethod
    def connect(cls, settings: Settings) -> ObjectStore:
        client = _client(settings.s3_endpoint, settings)
        signer = _client(settings.s3_public_endpoint, settings) if settings.s3_public_endpoint else None
        return cls(client, settings.s3_bucket, signer)

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

    async def put_file(self, key: str, path: Path, content_type: str) -> None:
        """Upload a file from disk (multipart for large files: never read whole into memory)."""
        await self._call(
            lambda: self.client.fput_object(self.bucket, key, str(path), content_type=content_type)
        )

    async def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        await self._call(
            lambda: self.client.put_object(
                self.bucket, key, io.BytesIO(data), len(data), content_type=content_type
            )
        )

    async def size_of(self, key: str) -> int | None:
        """The object's size in bytes, or None when it does not exist."""

        def _stat() -> int | None:
            try:
                return int(self.client.stat_object(self.bucket, key).size or 0)
            except S3Error as exc:
                if exc.code in ("NoSuchKey", "NoSuchObject", "NotFound"):
                    return None
                raise

        return await self._call(_stat)

    async def download(self, key: str, path: Path, max_bytes: int) -> int:
        """Stream an object to ``path``; returns the bytes written. Refuses (413) past ``max_bytes``: the
        object may have been replaced by a larger one since its size was checked."""

        def _download() -> int:
            response = self.client.get_object(self.bucket, key)
            written = 0
            try:
                with path.open("wb") as out:
                    for chunk in response.stream(1024 * 1024):
                        written += len(chunk)
                        if written > max_bytes:
                            raise PayloadTooLarge(
                                f"the file is larger than the limit of {max_bytes:,} bytes",
                                code="file_too_large",
                            )
                        out.write(chunk)
            finally:
                response.close()
                response.release_conn()
            return written

        return await self._call(_download)

    async def remove(self, keys: list[str]) -> None:
        """Delete objects; missing ones are fine (idempotent). Raises if any deletion failed."""
        if not keys:
            return

        def _remove() -> None:
            errors = list(self.client.remove_objects(self.bucket, [DeleteObject(k) for k in keys]))
            failed = [e for e in errors if e.code not in ("NoSuchKey", "NoSuchObject")]
            if failed:
                raise Unavailable(
                    f"could not delete {len(failed)} object(s): {failed[0].code}", code="storage_unavailable"
                )

        await self._call(_remove)

    async def list_keys(self, prefix: str) -> list[str]:
        """Every key under ``prefix`` (tests and audits; not for request paths)."""

        def _list() -> list[str]:
            return [o.object_name for o in self.client.list_objects(self.bucket, prefix, recursive=True)]

        return await self._call(_list)

    def presigned_get(self, key: str, expires: timedelta, signed_at: datetime) -> str:
        """A GET URL for clients, signed locally (no round trip)."""
        return str(
            self.signer.presigned_get_object(self.bucket, key, expires=expires, request_date=signed_at)
        )

    def presigned_put(self, key: str, expires: timedelta) -> str:
        return str(self.signer.presigned_put_object(self.bucket, key, expires=expires))

    @staticmethod
    async def _call(fn: Callable[[], T]) -> T:
        """Run a blocking client call in a thread; S3 and connection errors become ``Unavailable``."""
        try:
            return await anyio.to_thread.run_sync(fn)
        except AppError:
            raise
        except (MinioException, HTTPError, OSError) as exc:
            raise Unavailable(f"object storage failed: {exc}", code="storage_unavailable") from exc
