"""A running model_router with the real quota, prices and usage deps, relaying to fake upstreams.

Channels are static (no channel rows needed); everything metered goes through the real
engine on the embedded Postgres. Stand-in auth: bearer tokens map to principals — an API key
(``KEY``), a plain user (``USER``) and a super_admin (``ADMIN``); the authorizer grants
every permission to super_admin only, as identity's Check would.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import grpc
import httpx
from chatmesh.model_router.v1 import model_router_pb2_grpc
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mesh import authz
from mesh.auth import Principal
from mesh.authz import Authorizer
from mesh.config import Settings
from mesh.db import create_engine
from mesh.errors import Unauthenticated
from mesh.server import start_server
from model_router import api
from model_router.assembly import close_deps, open_deps
from model_router.deps import ModelRouterDeps
from model_router.relay import Relay, RetryPolicy
from tests.fakes.llm_upstream import FakeLLMUpstream
from tests.integration.model_router.relay.relay_support import StaticChannels, channel_for

FAST = RetryPolicy(max_attempts=2, base_delay=0.001, max_delay=0.01, timeout_seconds=10.0)


@dataclass(frozen=True)
class Caller:
    tenant_id: str
    user_id: str
    api_key_id: str
    key: list[tuple[str, str]] = field(default_factory=list)
    user: list[tuple[str, str]] = field(default_factory=list)
    admin: list[tuple[str, str]] = field(default_factory=list)


class StandInVerifier:
    def __init__(self) -> None:
        self.principals: dict[str, Principal] = {}

    def caller(self) -> Caller:
        tenant, user, key = (f"{p}-{uuid.uuid4().hex[:10]}" for p in ("t", "u", "k"))
        tokens = {name: f"{name}-{uuid.uuid4().hex}" for name in ("key", "user", "admin")}
        self.principals[tokens["key"]] = Principal(
            kind="api_key", subject=user, tenant_id=tenant, token_id=key
        )
        self.principals[tokens["user"]] = Principal(kind="user", subject=user, tenant_id=tenant)
        self.principals[tokens["admin"]] = Principal(
            kind="user", subject="admin", tenant_id=tenant, roles=frozenset({"super_admin"})
        )
        return Caller(
            tenant,
            user,
            key,
            *([("authorization", f"Bearer {tokens[name]}")] for name in ("key", "user", "admin")),
        )

    async def verify(self, token: str) -> Principal:
        principal = self.principals.get(token)
        if principal is None:
            raise Unauthenticated("unknown token", reason="TOKEN_INVALID")
        return principal


class SuperAdminOnly:
    """identity's Check: super_admin holds everything everywhere, users chat and embed in their tenant."""

    async def check(self, principal: Principal, permission: str, tenant_id: str = "") -> bool:
        if "super_admin" in principal.roles:
            return True
        return not tenant_id and permission in ("chat:create", "embeddings:create")


@dataclass
class MeteredRouter:
    deps: ModelRouterDeps
    stub: Any
    verifier: StandInVerifier
    upstream: FakeLLMUpstream

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        return self.deps.sessions


@asynccontextmanager
async def metered_router(settings: Settings, upstream: FakeLLMUpstream) -> AsyncIterator[MeteredRouter]:
    engine = create_engine(settings, "model_router")
    redis = Redis.from_url(settings.redis_url or "")
    deps = await open_deps(settings, engine, redis, reload_seconds=60.0)
    assert deps.relay is not None
    await deps.relay.close()
    channels = StaticChannels.of(
        [channel_for(upstream, "fake", models=("gpt-4o-mini", "text-embedding-3-small"))]
    )
    deps.relay = Relay(channels, httpx.AsyncClient(), policy=FAST, rng=random.Random(5))
    verifier = StandInVerifier()
    server = await start_server(
        "model_router", [api.binding(deps)], settings, port=0, metrics_port=-1, verifier=verifier
    )
    authz.install(Authorizer(SuperAdminOnly(), ttl=0.0))
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{server.port}")
    try:
        yield MeteredRouter(deps, model_router_pb2_grpc.ModelRouterServiceStub(channel), verifier, upstream)
    finally:
        authz.install(None)
        await channel.close(None)
        await server.stop()
        await close_deps(deps)
        await redis.aclose()
        await engine.dispose()
