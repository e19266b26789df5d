"""A running notification service with stand-in auth, its workers, its relay and a real SMTP sink.

Bearer tokens name principals: alice and bob are users of tenant t1, admin administers t1,
mallory is in tenant t2 and carries alice's user id (only the tenant keeps her out), root is
a platform admin. Identity's events are published the way its relay does (XADD of the
envelope to ``events:identity``).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import grpc
from chatmesh.notification.v1 import notification_pb2_grpc
from google.protobuf.message import Message
from redis.asyncio import Redis

from mesh import authz
from mesh.auth import Principal
from mesh.authz import Authorizer
from mesh.config import Settings
from mesh.db import create_engine
from mesh.errors import Unauthenticated
from mesh.events import OutboxRelay, build_envelope
from mesh.server import RunningServer, start_server
from notification import api
from notification.assembly import Running, close_deps, open_deps
from notification.config import NotificationSettings
from notification.store import outbox
from tests.support.eventually import eventually as poll

ALICE_ID = "11111111-1111-1111-1111-111111111111"
BOB_ID = "22222222-2222-2222-2222-222222222222"
ADMIN_ID = "33333333-3333-3333-3333-333333333333"
PRINCIPALS = {
    "alice": Principal(kind="user", subject=ALICE_ID, tenant_id="t1", roles=frozenset({"user"})),
    "bob": Principal(kind="user", subject=BOB_ID, tenant_id="t1", roles=frozenset({"user"})),
    "admin": Principal(kind="user", subject=ADMIN_ID, tenant_id="t1", roles=frozenset({"tenant_admin"})),
    "mallory": Principal(kind="user", subject=ALICE_ID, tenant_id="t2", roles=frozenset({"tenant_admin"})),
    "root": Principal(kind="user", subject="root", tenant_id="t0", roles=frozenset({"super_admin"})),
}


def as_user(name: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {name}")]


ALICE, BOB, ADMIN, MALLORY, ROOT = (as_user(n) for n in ("alice", "bob", "admin", "mallory", "root"))


class StandInVerifier:
    async def verify(self, token: str) -> Principal:
        principal = PRINCIPALS.get(token)
        if principal is None:
            raise Unauthenticated("unknown token", reason="TOKEN_INVALID")
        return principal


class RoleCheck:
    """identity's answers for these principals: admins hold notifications:* in their own tenant."""

    async def check(self, principal: Principal, permission: str, tenant_id: str = "") -> bool:
        if "super_admin" in principal.roles:
            return True
        if tenant_id and tenant_id != principal.tenant_id:
            return False
        return "tenant_admin" in principal.roles and permission.startswith("notifications:")


@dataclass
class Service:
    running: Running
    server: RunningServer
    relay: OutboxRelay
    channel: grpc.aio.Channel
    stub: Any
    redis: Redis

    @property
    def deps(self) -> Any:
        return self.running.deps


def notif_config(**overrides: Any) -> NotificationSettings:
    values: dict[str, Any] = {
        "retry_backoff_seconds": 0.05,
        "schedule_poll_seconds": 0.2,
        "live_poll_seconds": 1.0,
        "max_attempts": 3,
    }
    return NotificationSettings(**(values | overrides))


async def open_service(settings: Settings, config: NotificationSettings, *, workers: bool = True) -> Service:
    engine = create_engine(settings, "notification")
    redis = Redis.from_url(settings.redis_url or "")
    running = await open_deps(
        settings, engine, redis, config=config, workers=workers, name=f"test-{uuid.uuid4().hex[:8]}"
    )
    relay = OutboxRelay(engine, outbox, redis)
    await relay.start()
    authz.install(Authorizer(RoleCheck(), ttl=0.0))
    server = await start_server(
        "notification",
        [api.binding(running.deps)],
        settings,
        port=0,
        metrics_port=-1,
        verifier=StandInVerifier(),
    )
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{server.port}")
    stub = notification_pb2_grpc.NotificationServiceStub(channel)
    return Service(running, server, relay, channel, stub, redis)


async def close_service(service: Service) -> None:
    await service.channel.close(None)
    await service.server.stop()
    authz.install(None)
    await close_deps(service.running)
    await service.relay.stop()
    await service.redis.aclose()
    await service.deps.sessions.kw["bind"].dispose()


async def publish(redis: Redis, source: str, event: Message, *, tenant_id: str, event_id: str = "") -> str:
    """Put ``event`` on ``events:<source>`` as that service's relay would; returns the event id."""
    envelope = build_envelope(event, source=source, tenant_id=tenant_id, event_id=event_id or None)
    await redis.xadd(
        f"events:{source}",
        {"envelope": envelope.SerializeToString(), "type": envelope.type, "id": envelope.id, "subject": ""},
    )
    return envelope.id


async def settled(service: Service, notification_id: str) -> Any:
    """The notification once it left PENDING (delivered, sent, failed ...), read as an admin."""
    from chatmesh.notification.v1 import notifications_pb2 as pb

    async def done() -> Any:
        got = await service.stub.GetNotification(
            pb.GetNotificationRequest(notification_id=notification_id), metadata=ADMIN, timeout=10
        )
        return got.notification if got.notification.status != pb.NOTIFICATION_STATUS_PENDING else None

    return await eventually(done)


async def eventually(check: Callable[[], Awaitable[Any]], *, seconds: float = 20.0) -> Any:
    """Poll ``check`` until it returns something truthy (work done by background consumers)."""
    return await poll(check, within=seconds)
