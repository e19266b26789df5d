"""identity as `python -m identity` builds it: the outbox relay carries its events to Redis Streams."""

from __future__ import annotations

import asyncio
import time
import uuid

import grpc
from chatmesh.events.v1 import envelope_pb2, identity_events_pb2
from chatmesh.identity.v1 import auth_pb2, identity_pb2_grpc
from redis.asyncio import Redis

from identity.assembly import build
from identity.config import IdentitySettings
from mesh.config import Settings
from mesh.events import unpack
from mesh.migrate import migrate
from mesh.server import start_server

USER_REGISTERED = "chatmesh.events.v1.UserRegistered"


async def _registered_event(redis: Redis, email: str, deadline: float) -> identity_events_pb2.UserRegistered:
    while time.monotonic() < deadline:
        for _, fields in await redis.xrange("events:identity"):
            if fields[b"type"].decode() != USER_REGISTERED:
                continue
            envelope = envelope_pb2.EventEnvelope.FromString(fields[b"envelope"])
            event = unpack(envelope, identity_events_pb2.UserRegistered)
            if event.email == email:
                return event
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {USER_REGISTERED} for {email} on events:identity")


async def test_register_reaches_the_identity_stream(fresh_settings: Settings) -> None:
    settings = fresh_settings
    await migrate(settings, ["identity"])
    parts = await build(settings, IdentitySettings(admin_password="Adm1n-pass-for-tests"))
    running = await start_server(
        "identity", parts.bindings, settings, port=0, metrics_port=-1, on_shutdown=parts.on_shutdown
    )
    redis = Redis.from_url(settings.redis_url or "")
    try:
        email = f"wired-{uuid.uuid4().hex[:8]}@example.com"
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            stub = identity_pb2_grpc.IdentityServiceStub(channel)
            reply = await stub.Register(auth_pb2.RegisterRequest(email=email, password="Corr3ct-horse-9"))
        event = await _registered_event(redis, email, time.monotonic() + 10)
        assert event.user_id == reply.user.id
    finally:
        await redis.aclose()
        await running.stop(0)
        if parts.discovery is not None:
            await parts.discovery.close()
