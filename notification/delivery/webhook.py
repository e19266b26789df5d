"""Outbound webhooks: the notification as JSON, POSTed and signed with HMAC-SHA256.

Receivers verify ``X-Chatmesh-Signature`` (see notification.domain.signatures) and
deduplicate on ``X-Chatmesh-Notification-Id``: a crash after the receiver answered but before
we recorded it sends the same id again. Because a tenant admin chooses the URL, requests
only go to https hosts whose addresses are all public, unless the operator allowed the host
(``webhook_allowed_hosts``); redirects are not followed. The client comes from
:func:`guarded_client` (mesh.safe_fetch): the address is checked in the connection itself and
the connection goes to the address that was checked, so a DNS answer that changes between a
check and the connect (DNS rebinding) cannot point a webhook inside the mesh.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlsplit

import httpx

from mesh.safe_fetch import FetchPolicy, FetchRefused, httpx_transport
from notification.delivery.errors import DeliveryFailed
from notification.domain.signatures import webhook_signature

__all__ = ["WebhookSender", "guarded_client", "payload"]


def guarded_client(allowed_hosts: list[str], timeout: float) -> httpx.AsyncClient:
    """A client connecting only to public addresses, or anywhere for the hosts the operator allowed."""
    policy = FetchPolicy.of(None, trusted_hosts=allowed_hosts)
    return httpx.AsyncClient(timeout=timeout, transport=httpx_transport(policy), trust_env=False)


def payload(row: Any) -> bytes:
    return json.dumps(
        {
            "id": str(row.id),
            "tenant_id": row.tenant_id,
            "user_id": row.user_id,
            "category": row.category,
            "priority": row.priority,
            "subject": row.subject,
            "body": row.body,
            "data": row.data,
            "create_time": row.created_at.isoformat(),
        },
        ensure_ascii=False,
    ).encode()


class WebhookSender:
    name = "webhook"

    def __init__(self, http: httpx.AsyncClient, secret: bytes, allowed_hosts: list[str]) -> None:
        self._http = http
        self._secret = secret
        self._allowed = {h.lower() for h in allowed_hosts}

    async def _check_target(self, url: str) -> None:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme != "https" and host not in self._allowed:
            raise DeliveryFailed("webhook URL must be https", transient=False, provider=self.name)

    async def send(self, row: Any) -> str:
        if not self._secret:
            raise DeliveryFailed("webhooks are not configured", transient=False, provider=self.name)
        await self._check_target(row.webhook_url)
        body = payload(row)
        headers = {
            "content-type": "application/json",
            "x-chatmesh-signature": webhook_signature(self._secret, body, int(time.time())),
            "x-chatmesh-notification-id": str(row.id),
        }
        try:
            response = await self._http.post(
                row.webhook_url, content=body, headers=headers, follow_redirects=False
            )
        except FetchRefused as refused:
            raise DeliveryFailed(str(refused), transient=False, provider=self.name) from None
        except httpx.HTTPError as exc:
            raise DeliveryFailed(
                f"unreachable: {type(exc).__name__}", transient=True, provider=self.name
            ) from exc
        if 200 <= response.status_code < 300:
            return str(row.id)
        transient = response.status_code in (408, 425, 429) or response.status_code >= 500
        raise DeliveryFailed(f"HTTP {response.status_code}", transient=transient, provider=self.name)
