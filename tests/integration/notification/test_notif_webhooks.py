"""Outbound webhooks: signed with HMAC-SHA256, retried on 5xx, never sent to private addresses."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest_asyncio
from chatmesh.notification.v1 import notifications_pb2 as pb
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mesh.config import Settings
from tests.fakes.loopback import LoopbackServer
from tests.integration.notification.notif_harness import (
    ADMIN,
    Service,
    close_service,
    notif_config,
    open_service,
    settled,
)

SECRET = "whsec-test"


@dataclass
class Receiver:
    """A customer's endpoint: checks the signature the way our docs tell receivers to."""

    received: list[dict[str, object]] = field(default_factory=list)
    fail_next: int = 0

    async def hook(self, request: Request) -> Response:
        if self.fail_next:
            self.fail_next -= 1
            return Response(status_code=503)
        body = await request.body()
        parts = dict(p.split("=", 1) for p in request.headers["x-chatmesh-signature"].split(","))
        expected = hmac.new(SECRET.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, parts["v1"]):
            return Response(status_code=401)
        self.received.append(json.loads(body) | {"id_header": request.headers["x-chatmesh-notification-id"]})
        return Response(status_code=204)


@dataclass
class Hooked:
    receiver: Receiver
    url: str
    service: Service


@pytest_asyncio.fixture(loop_scope="session")
async def hooked(notif_settings: Settings) -> AsyncIterator[Hooked]:
    receiver = Receiver()
    server = LoopbackServer()
    base = await server.start(Starlette(routes=[Route("/hook", receiver.hook, methods=["POST"])]), "receiver")
    config = notif_config(webhook_secret=SECRET, webhook_allowed_hosts=["127.0.0.1"])
    service = await open_service(notif_settings, config)
    try:
        yield Hooked(receiver, f"{base}/hook", service)
    finally:
        await close_service(service)
        await server.stop(force=True)


async def _post(hooked: Hooked, url: str) -> pb.Notification:
    request = pb.SendRequest(
        idempotency_key=str(uuid.uuid4()),
        channel=pb.NOTIFICATION_CHANNEL_WEBHOOK,
        recipient=pb.Recipient(webhook_url=url),
        category="alerts",
        content=pb.NotificationContent(subject="Channel down", body="gpt-4o is failing"),
    )
    sent = (await hooked.service.stub.Send(request, metadata=ADMIN)).notification

    result: pb.Notification = await settled(hooked.service, sent.id)
    return result


async def test_a_webhook_is_signed_and_delivered(hooked: Hooked) -> None:
    note = await _post(hooked, hooked.url)
    assert note.status == pb.NOTIFICATION_STATUS_DELIVERED
    [got] = hooked.receiver.received
    assert got["id"] == got["id_header"] == note.id
    assert (got["subject"], got["tenant_id"]) == ("Channel down", "t1")


async def test_a_failing_receiver_is_retried(hooked: Hooked) -> None:
    hooked.receiver.fail_next = 1
    note = await _post(hooked, hooked.url)
    assert (note.status, note.attempts) == (pb.NOTIFICATION_STATUS_DELIVERED, 2)


async def test_private_or_plain_http_targets_are_refused(hooked: Hooked) -> None:
    plain = await _post(hooked, "http://example.com/hook")
    assert plain.status == pb.NOTIFICATION_STATUS_FAILED and "https" in plain.failure_reason
    private = await _post(hooked, "https://127.0.0.2/hook")
    assert private.status == pb.NOTIFICATION_STATUS_FAILED and "non-public" in private.failure_reason
    assert private.attempts == 1
