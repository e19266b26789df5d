"""The notification WebSocket against a test NotificationService over real gRPC and a real socket."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import grpc
import pytest
import pytest_asyncio
import redis.asyncio as aredis
import uvicorn
from chatmesh.notification.v1 import notification_pb2, notification_pb2_grpc, notifications_pb2
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from gateway.edge_auth import EdgeAuthenticator
from gateway.edge_routes import routes
from gateway.policies import middleware
from mesh.auth import Principal
from mesh.clients import ServiceClients
from mesh.config import RateLimitRule, load_settings
from mesh.discovery import make_discovery
from mesh.errors import Unauthenticated
from mesh.server import ServiceBinding, start_server
from mesh.telemetry import current_request_id

SERVICE = notification_pb2.DESCRIPTOR.services_by_name["NotificationService"].full_name
PING_SECONDS = 0.3


@dataclass
class Seen:
    request: notifications_pb2.SubscribeRequest
    metadata: dict[str, str]
    request_id: str | None
    cancelled: asyncio.Event = field(default_factory=asyncio.Event)


class FakeNotifications(notification_pb2_grpc.NotificationServiceServicer):
    """Subscribe yields what a test puts in ``outbox`` (an exception ends the call with it)."""

    def __init__(self) -> None:
        self.outbox: asyncio.Queue[Any] = asyncio.Queue()
        self.calls: list[Seen] = []

    def reset(self) -> None:
        self.outbox = asyncio.Queue()
        self.calls.clear()

    async def Subscribe(
        self, request: notifications_pb2.SubscribeRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[notifications_pb2.SubscribeResponse]:
        metadata = {k: str(v) for k, v in context.invocation_metadata() or ()}
        seen = Seen(request, metadata, current_request_id())
        self.calls.append(seen)
        try:
            while True:
                item = await self.outbox.get()
                if item is None:
                    return
                if isinstance(item, grpc.StatusCode):
                    await context.abort(item, f"test says {item.name}")
                yield item
        except asyncio.CancelledError:
            seen.cancelled.set()
            raise


class FakeVerifier:
    """Stands in for identity's JwtVerifier: "good-<user>" tokens are valid."""

    async def verify(self, token: str) -> Principal:
        if not token.startswith("good-"):
            raise Unauthenticated("token rejected by the test verifier")
        return Principal(kind="user", subject=token.removeprefix("good-"), tenant_id="t1")


class QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class Gateway:
    url: str
    servicer: FakeNotifications
    registry: CollectorRegistry


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def notifications() -> AsyncIterator[tuple[FakeNotifications, str]]:
    servicer = FakeNotifications()
    binding = ServiceBinding(
        SERVICE, notification_pb2_grpc.add_NotificationServiceServicer_to_server, servicer
    )
    running = await start_server(
        "notification", [binding], load_settings(_env_file=None), port=0, metrics_port=-1
    )
    yield servicer, f"127.0.0.1:{running.port}"
    await running.stop(0)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def served(notifications: tuple[FakeNotifications, str], edge_redis_url: str) -> AsyncIterator[Gateway]:
    servicer, address = notifications
    settings = load_settings(
        _env_file=None,
        static_addresses={"notification": address},
        gateway_ws_ping_seconds=PING_SECONDS,
        gateway_rate_limits=[RateLimitRule(scope="user", limit=1000, match="*NotificationService/*")],
    )
    discovery = make_discovery(settings)
    clients = ServiceClients(settings, discovery)
    redis = aredis.Redis.from_url(edge_redis_url)
    registry = CollectorRegistry()
    app = Starlette(
        routes=routes(settings, clients, EdgeAuthenticator(FakeVerifier(), clients)),
        middleware=middleware(settings, redis, registry=registry),
    )
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, access_log=False, lifespan="off")
    server = QuietServer(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield Gateway(f"ws://127.0.0.1:{port}/v1/notifications:subscribe", servicer, registry)
    server.should_exit = True
    await task
    await clients.close()
    await discovery.close()
    await redis.aclose()


@pytest.fixture
def gateway(served: Gateway) -> Gateway:
    served.servicer.reset()
    return served


def _event(event_id: str, subject: str) -> notifications_pb2.SubscribeResponse:
    return notifications_pb2.SubscribeResponse(
        event_id=event_id,
        notification=notifications_pb2.Notification(id=f"n-{event_id}", subject=subject, attempts=2),
    )


async def _frame(ws: ClientConnection) -> dict[str, Any]:
    """The next frame that is not a ping."""
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
        if "ping" not in frame:
            return frame  # type: ignore[no-any-return]


async def _close_code(ws: ClientConnection) -> tuple[int, str]:
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


async def test_messages_arrive_as_json_frames_for_the_requested_subscription(gateway: Gateway) -> None:
    url = f"{gateway.url}?token=good-u1&categories=security&categories=billing&lastEventId=e-9"
    async with connect(url, additional_headers={"X-Request-Id": "ws-request-1"}) as ws:
        await gateway.servicer.outbox.put(_event("e-10", "hello"))
        await gateway.servicer.outbox.put(
            notifications_pb2.SubscribeResponse(
                event_id="e-11", inbox_state=notifications_pb2.InboxState(unread_count=3)
            )
        )
        first, second = await _frame(ws), await _frame(ws)
    assert first["eventId"] == "e-10"
    assert {"id": "n-e-10", "subject": "hello", "attempts": 2, "read": False}.items() <= first[
        "notification"
    ].items()
    assert second == {
        "eventId": "e-11",
        "inboxState": {"unreadCount": 3, "readNotificationIds": [], "deletedNotificationIds": []},
    }
    (call,) = gateway.servicer.calls
    assert list(call.request.categories) == ["security", "billing"]
    assert call.request.last_event_id == "e-9"
    assert call.metadata["authorization"] == "Bearer good-u1"
    assert call.metadata["x-request-id"] == "ws-request-1"
    assert call.request_id == "ws-request-1"


async def test_credentials_may_come_in_the_authorization_header(gateway: Gateway) -> None:
    async with connect(gateway.url, additional_headers={"Authorization": "Bearer good-u2"}) as ws:
        await gateway.servicer.outbox.put(_event("e-1", "hi"))
        assert (await _frame(ws))["eventId"] == "e-1"
    assert gateway.servicer.calls[0].metadata["authorization"] == "Bearer good-u2"


async def test_pings_keep_an_idle_socket_alive(gateway: Gateway) -> None:
    async with connect(f"{gateway.url}?token=good-u1") as ws:
        frames = [json.loads(await asyncio.wait_for(ws.recv(), 5)) for _ in range(2)]
    assert all(set(frame) == {"ping"} for frame in frames)
    assert frames[0]["ping"].endswith("Z")


@pytest.mark.parametrize("query", ["?token=bad-token", "", "?key=not-a-key-format&token="])
async def test_bad_or_missing_credentials_close_with_1008(gateway: Gateway, query: str) -> None:
    async with connect(f"{gateway.url}{query}") as ws:
        code, reason = await _close_code(ws)
    assert code == 1008
    assert reason
    assert gateway.servicer.calls == [], "no RPC without a caller"


async def test_an_unknown_query_parameter_closes_with_1008(gateway: Gateway) -> None:
    async with connect(f"{gateway.url}?token=good-u1&colour=red") as ws:
        code, reason = await _close_code(ws)
    assert (code, reason) == (1008, "invalid request: unknown query parameter 'colour'")


async def test_an_upstream_error_closes_with_1011(gateway: Gateway) -> None:
    async with connect(f"{gateway.url}?token=good-u1") as ws:
        await gateway.servicer.outbox.put(_event("e-1", "first"))
        assert (await _frame(ws))["eventId"] == "e-1"
        await gateway.servicer.outbox.put(grpc.StatusCode.INTERNAL)
        code, reason = await _close_code(ws)
    assert code == 1011
    assert reason.startswith("INTERNAL")


async def test_an_upstream_auth_error_closes_with_1008(gateway: Gateway) -> None:
    async with connect(f"{gateway.url}?token=good-u1") as ws:
        await gateway.servicer.outbox.put(grpc.StatusCode.PERMISSION_DENIED)
        code, _ = await _close_code(ws)
    assert code == 1008


async def test_the_end_of_the_stream_closes_normally(gateway: Gateway) -> None:
    async with connect(f"{gateway.url}?token=good-u1") as ws:
        await gateway.servicer.outbox.put(None)
        code, _ = await _close_code(ws)
    assert code == 1000


async def test_closing_the_socket_cancels_the_rpc(gateway: Gateway) -> None:
    async with connect(f"{gateway.url}?token=good-u1") as ws:
        await gateway.servicer.outbox.put(_event("e-1", "x"))
        await _frame(ws)
        assert gateway.registry.get_sample_value("chatmesh_http_open_streams", {"kind": "websocket"}) == 1
    (call,) = gateway.servicer.calls
    await asyncio.wait_for(call.cancelled.wait(), 1.0)
    for _ in range(50):
        if gateway.registry.get_sample_value("chatmesh_http_open_streams", {"kind": "websocket"}) == 0:
            break
        await asyncio.sleep(0.02)
    assert gateway.registry.get_sample_value("chatmesh_http_open_streams", {"kind": "websocket"}) == 0


async def test_a_rate_limited_subscription_closes_with_1013(gateway: Gateway, edge_redis_url: str) -> None:
    redis = aredis.Redis.from_url(edge_redis_url)
    try:
        seconds, micros = await redis.time()
        now = seconds * 1_000_000 + micros
        key = "rl:user:limited:*NotificationService/*:w1000/60"
        await redis.zadd(key, {f"earlier-{i}": now - 30_000_000 for i in range(1000)})
        async with connect(f"{gateway.url}?token=good-limited") as ws:
            code, reason = await _close_code(ws)
    finally:
        await redis.aclose()
    assert (code, reason) == (1013, "rate limited; retry after 30 s")
    assert gateway.servicer.calls == []
