"""Live inbox push: memory per connected subscriber and P50/P99 push latency of a broadcast.

Subject: SUBSCRIBERS users each hold NotificationService.Subscribe open against the real
servicer (per-user Redis stream + one pub/sub wake-up per process); one in-app notification
to every one of them is accepted the way SendBatch accepts it and pushed by the delivery
workers. Latency runs from just before the batch is accepted to each subscriber reading its
notification; throughput is subscribers reached per second.
Baseline: the same proto, server stack and connections, but a Subscribe that yields from an
in-process asyncio queue per subscriber, filled directly: the floor of the gRPC streaming
itself, without the database, Redis or outbox.
Clients and server share this process, so the memory per connection includes both sides.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import grpc
from chatmesh.notification.v1 import notification_pb2_grpc
from chatmesh.notification.v1 import notifications_pb2 as pb

from bench.bench_notification import TENANT, _close, _stores
from bench.harness import Figures, Report, peak_rss_mb, percentile
from mesh.auth import Principal, current_principal
from mesh.db import create_engine
from mesh.events import OutboxRelay
from mesh.redis_client import connect_redis
from mesh.server import ServiceBinding, start_server, unimplemented
from notification import api
from notification.assembly import close_deps, open_deps
from notification.config import NotificationSettings
from notification.domain.kinds import Channel
from notification.sending.request import Addressee, Outgoing
from notification.sending.service import send
from notification.store.tables import outbox

SUBSCRIBERS = 1000


class EveryTokenIsAUser:
    async def verify(self, token: str) -> Principal:
        return Principal(kind="user", subject=token, tenant_id=TENANT, roles=frozenset({"user"}))


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20


class QueueFeed(unimplemented(notification_pb2_grpc.NotificationServiceServicer, issue="bench")):  # type: ignore[misc]
    """Baseline servicer: Subscribe yields whatever is put into the caller's queue."""

    def __init__(self) -> None:
        self.queues: dict[str, asyncio.Queue[pb.SubscribeResponse]] = {}

    async def Subscribe(
        self, request: pb.SubscribeRequest, context: Any
    ) -> AsyncIterator[pb.SubscribeResponse]:
        queue: asyncio.Queue[pb.SubscribeResponse] = asyncio.Queue()
        self.queues[current_principal().subject] = queue
        yield pb.SubscribeResponse(event_id="0-0", inbox_state=pb.InboxState())
        while True:
            yield await queue.get()


async def _connect(port: int, users: list[str]) -> tuple[list[Any], grpc.aio.Channel, float]:
    """Open one Subscribe per user (read its first frame); returns the calls and MB per connection."""
    before = _rss_mb()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    stub = notification_pb2_grpc.NotificationServiceStub(channel)
    calls = [
        stub.Subscribe(pb.SubscribeRequest(), metadata=[("authorization", f"Bearer {u}")]) for u in users
    ]
    for i in range(0, len(calls), 100):
        await asyncio.gather(*(call.read() for call in calls[i : i + 100]))
    return calls, channel, (_rss_mb() - before) / len(users)


async def _reached(calls: list[Any], started: float) -> list[float]:
    async def one(call: Any) -> float:
        while True:
            message = await call.read()
            if message.HasField("notification"):
                return time.perf_counter() - started

    return sorted(await asyncio.gather(*(one(call) for call in calls)))


def _figures(subject: str, latencies: list[float]) -> Figures:
    return Figures(
        subject,
        len(latencies),
        len(latencies),
        percentile(latencies, 0.5) * 1000,
        percentile(latencies, 0.99) * 1000,
        len(latencies) / latencies[-1],
    )


async def _baseline(settings: Any, users: list[str]) -> tuple[Figures, float]:
    feed = QueueFeed()
    binding = ServiceBinding(
        name=api.SERVICE_NAME,
        add_to_server=notification_pb2_grpc.add_NotificationServiceServicer_to_server,
        servicer=feed,
    )
    server = await start_server(
        "notification", [binding], settings, port=0, metrics_port=-1, verifier=EveryTokenIsAUser()
    )
    calls, channel, per_connection = await _connect(server.port, users)
    try:
        started = time.perf_counter()
        waiting = asyncio.ensure_future(_reached(calls, started))
        message = pb.SubscribeResponse(event_id="1-0", notification=pb.Notification(subject="hi"))
        for user in users:
            feed.queues[user].put_nowait(message)
        return _figures("baseline: in-process queues", await waiting), per_connection
    finally:
        for call in calls:
            call.cancel()
        await channel.close(None)
        await server.stop(0)


async def _subject(settings: Any, users: list[str]) -> tuple[Figures, float]:
    engine = create_engine(settings, "notification")
    redis = connect_redis(settings)
    running = await open_deps(settings, engine, redis, config=NotificationSettings(triggers=False))
    relay = OutboxRelay(engine, outbox, redis)
    await relay.start()
    server = await start_server(
        "notification",
        [api.binding(running.deps)],
        settings,
        port=0,
        metrics_port=-1,
        verifier=EveryTokenIsAUser(),
    )
    calls, channel, per_connection = await _connect(server.port, users)
    try:
        started = time.perf_counter()
        waiting = asyncio.ensure_future(_reached(calls, started))
        out = Outgoing(tenant_id=TENANT, channel=Channel.IN_APP, category="product", subject="hi", body="all")
        async with running.deps.sessions.begin() as db:
            await send(db, out, [Addressee(user_id=u, key=f"live:{uuid.uuid4()}") for u in users])
        return _figures("subscribe: broadcast push", await waiting), per_connection
    finally:
        for call in calls:
            call.cancel()
        await channel.close(None)
        await server.stop(0)
        await relay.stop()
        await close_deps(running)
        await redis.aclose()
        await engine.dispose()


async def run() -> Report:
    report = Report(name="notification_live")
    stores = await _stores()
    users = [f"user-{i}" for i in range(SUBSCRIBERS)]
    try:
        base, base_mb = await _baseline(stores.settings, users)
        mine, mine_mb = await _subject(stores.settings, users)
    finally:
        await _close(stores)
    report.rows += [base, mine]
    report.peak_rss_mb = peak_rss_mb()
    report.notes += [
        f"  {SUBSCRIBERS} subscribers; conc = subscribers reached, rps = subscribers reached per second",
        f"  memory per connection (client + server in one process): {mine_mb * 1024:.0f} KiB "
        f"vs {base_mb * 1024:.0f} KiB baseline",
        f"  broadcast P99 {mine.p99_ms:.0f} ms vs {base.p99_ms:.0f} ms baseline",
    ]
    return report


if __name__ == "__main__":
    from bench.harness import render

    print(render(asyncio.run(run())))
