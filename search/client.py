"""The OpenSearch connection."""

from __future__ import annotations

from opensearchpy import AsyncOpenSearch

from core.settings import Settings


def connect_opensearch(settings: Settings) -> AsyncOpenSearch:
    auth = None
    if settings.opensearch_user and settings.opensearch_password:
        auth = (settings.opensearch_user, settings.opensearch_password.get_secret_value())
    return AsyncOpenSearch(
        hosts=[settings.opensearch_url],
        http_auth=auth,
        timeout=settings.dependency_timeout_seconds * 5,
        max_retries=1,
        retry_on_timeout=False,
    )


async def opensearch_version(client: AsyncOpenSearch) -> str:
    """A real round trip: the root document's distribution and version."""
    info = await client.info()
    version = info.get("version", {})
    return f"{version.get('distribution', '?')} {version.get('number', '?')}"
