"""A running model_router with stand-in auth, for the model_router integration tests.

The verifier maps bearer tokens to principals; the authorizer grants ``channels:*`` to
the "admin" principal only, as identity's Check would for a super_admin.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import grpc
from chatmesh.model_router.v1 import model_router_pb2_grpc
from redis.asyncio import Redis
from sqlalchemy import Table, delete

from mesh import authz
from mesh.auth import Principal
from mesh.authz import Authorizer
from mesh.config import Settings
from mesh.db import create_engine
from mesh.errors import Unauthenticated
from mesh.server import RunningServer, start_server
from model_router import api
from model_router.assembly import close_deps, open_deps
from model_router.deps import ModelRouterDeps

ADMIN = [("authorization", "Bearer admin-token")]
USER = [("authorization", "Bearer user-token")]
_PRINCIPALS = {
    "admin-token": Principal(kind="user", subject="admin", tenant_id="t1", roles=frozenset({"super_admin"})),
    "user-token": Principal(kind="user", subject="someone", tenant_id="t1", roles=frozenset({"user"})),
}


class StandInVerifier:
    async def verify(self, token: str) -> Principal:
        principal = _PRINCIPALS.get(token)
        if principal is None:
            raise Unauthenticated("unknown token", reason="TOKEN_INVALID")
        return principal


# What every signed-up user holds (identity's built-in user role) of what model_router asks.
EVERYONE = frozenset({"chat:create", "embeddings:create", "models:list"})


class AdminOnly:
    """Plays identity's Check: super_admin holds every permission (in every tenant), others
    only what every user holds, in their own tenant."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def check(self, principal: Principal, permission: str, tenant_id: str = "") -> bool:
        self.asked.append(permission)
        if "super_admin" in principal.roles:
            return True
        return not tenant_id and permission in EVERYONE


@dataclass
class Router:
    deps: ModelRouterDeps
    server: RunningServer
    channel: grpc.aio.Channel
    stub: Any
    checker: AdminOnly


async def open_router(settings: Settings, *, reload_seconds: float = 2.0) -> Router:
    engine = create_engine(settings, "model_router")
    redis = Redis.from_url(settings.redis_url or "")
    deps = await open_deps(settings, engine, redis, reload_seconds=reload_seconds)
    checker = AdminOnly()
    server = await start_server(
        "model_router", [api.binding(deps)], settings, port=0, metrics_port=-1, verifier=StandInVerifier()
    )
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{server.port}")
    return Router(deps, server, channel, model_router_pb2_grpc.ModelRouterServiceStub(channel), checker)


async def close_router(router: Router) -> None:
    await router.channel.close(None)
    await router.server.stop()
    await close_deps(router.deps)
    if router.deps.redis is not None:
        await router.deps.redis.aclose()
    await router.deps.engine.dispose()


@asynccontextmanager
async def running_router(
    settings: Settings, *, clear: Table, reload_seconds: float = 2.0
) -> AsyncIterator[Router]:
    """model_router over ``settings`` with ``clear`` emptied first (the database lives for the module)."""
    engine = create_engine(settings, "model_router")
    async with engine.begin() as conn:
        await conn.execute(delete(clear))
    await engine.dispose()
    running = await open_router(settings, reload_seconds=reload_seconds)
    authz.install(Authorizer(running.checker, ttl=0.0))
    try:
        yield running
    finally:
        authz.install(None)
        await close_router(running)
