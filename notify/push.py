"""Push notifications to devices, through a sender interface.

FCM and APNs cannot be reached from here, so the sender that ships is a webhook: it POSTs each push as
JSON to a configured URL (a push gateway of your own, or a relay to FCM/APNs). Pushes are best effort:
a failed delivery is logged and never holds up the notification itself, which is already stored."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Push:
    token: str
    platform: str
    title: str
    body: str
    data: dict[str, Any]


class PushSender(Protocol):
    async def send(self, pushes: list[Push]) -> int:
        """Deliver the pushes; returns how many were accepted."""
        ...

    async def close(self) -> None: ...


class WebhookSender:
    def __init__(self, url: str, timeout_seconds: float = 5.0) -> None:
        self._url = url
        self._client = httpx.AsyncClient(timeout=timeout_seconds)

    async def send(self, pushes: list[Push]) -> int:
        accepted = 0
        for push in pushes:
            body = {"token": push.token, "platform": push.platform, "title": push.title, "body": push.body}
            try:
                response = await self._client.post(self._url, json={**body, "data": push.data})
                response.raise_for_status()
                accepted += 1
            except httpx.HTTPError as exc:
                log.warning("push to %s… failed: %s", push.token[:8], exc)
        return accepted

    async def close(self) -> None:
        await self._client.aclose()


class DisabledSender:
    """No push gateway configured (FEEDGRAPH_PUSH_WEBHOOK_URL unset): pushes are not sent, by choice."""

    async def send(self, pushes: list[Push]) -> int:
        return 0

    async def close(self) -> None:
        return None
