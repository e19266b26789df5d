"""A running identity (real servicer, keys, Redis, Postgres) plus a second service that trusts it.

The second service is conversation's servicer (its RPCs are not built yet, so a call that
gets past authentication answers UNIMPLEMENTED) behind a JwtVerifier whose keys come from
identity's GetJwks through mesh.clients: exactly how every other service checks tokens.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import grpc
import grpc.aio
from chatmesh.conversation.v1 import conversation_pb2_grpc, conversations_pb2
from chatmesh.identity.v1 import auth_pb2, identity_pb2_grpc
from redis.asyncio import Redis
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from identity import api, store
from identity.assembly import close_deps, open_deps
from identity.config import IdentitySettings
from identity.deps import IdentityDeps
from mesh import unbuilt
from mesh.auth_jwt import ClientJwksSource, JwtVerifier
from mesh.clients import ServiceClients
from mesh.config import Settings
from mesh.discovery import make_discovery
from mesh.errors import DomainError, error_from_rpc
from mesh.server import RunningServer, start_server

PASSWORD = "Corr3ct-horse"
ADMIN_PASSWORD = "Adm1n-password!"
# Low login limits, so the throttling tests reach them in a few calls.
CONFIG = IdentitySettings(
    admin_password=ADMIN_PASSWORD, login_max_failures_per_account=3, login_max_failures_per_ip=40
)


def bearer(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


@dataclass
class Accounts:
    settings: Settings
    engine: AsyncEngine
    redis: Redis
    deps: IdentityDeps
    server: RunningServer
    channel: grpc.aio.Channel
    stub: identity_pb2_grpc.IdentityServiceStub
    other: RunningServer
    other_channel: grpc.aio.Channel
    other_stub: conversation_pb2_grpc.ConversationServiceStub
    other_verifier: JwtVerifier
    clients: ServiceClients

    @classmethod
    async def start(
        cls, settings: Settings, engine: AsyncEngine, redis: Redis, config: IdentitySettings = CONFIG
    ) -> Accounts:
        deps = await open_deps(settings, engine, redis, config)
        server = await start_server(
            "identity", [api.binding(deps)], settings, metrics_port=-1, verifier=deps.verifier
        )
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{server.port}")
        clients = ServiceClients(settings, make_discovery(settings))
        other_verifier = JwtVerifier(settings, ClientJwksSource(clients), redis)
        other = await start_server(
            "conversation",
            [unbuilt.binding("conversation", "ConversationService", issue="a stand-in service")],
            settings,
            port=0,
            metrics_port=-1,
            verifier=other_verifier,
        )
        other_channel = grpc.aio.insecure_channel(f"127.0.0.1:{other.port}")
        return cls(
            settings,
            engine,
            redis,
            deps,
            server,
            channel,
            identity_pb2_grpc.IdentityServiceStub(channel),
            other,
            other_channel,
            conversation_pb2_grpc.ConversationServiceStub(other_channel),
            other_verifier,
            clients,
        )

    async def close(self) -> None:
        await self.other_channel.close(None)
        await self.other.stop(0)
        await self.clients.close()
        await self.channel.close(None)
        await self.server.stop(0)
        await close_deps(self.deps)

    async def register(
        self, email: str | None = None, password: str = PASSWORD, tenant: str = "", **fields: str
    ) -> auth_pb2.RegisterResponse:
        email = email or f"{uuid.uuid4().hex[:10]}@example.com"
        request = auth_pb2.RegisterRequest(email=email, password=password, tenant=tenant, **fields)
        response: auth_pb2.RegisterResponse = await self.stub.Register(request, timeout=10)
        return response

    async def login(self, email: str, password: str = PASSWORD, tenant: str = "") -> auth_pb2.LoginResponse:
        request = auth_pb2.LoginRequest(email=email, password=password, tenant=tenant)
        response: auth_pb2.LoginResponse = await self.stub.Login(request, timeout=10)
        return response

    async def admin_token(self) -> str:
        return (await self.login(self.deps.config.admin_email, ADMIN_PASSWORD)).access_token

    async def other_service_accepts(self, token: str) -> bool:
        """Whether the second service lets the token through (then its unbuilt RPC answers UNIMPLEMENTED)."""
        try:
            await self.other_stub.ListConversations(
                conversations_pb2.ListConversationsRequest(), metadata=bearer(token), timeout=10
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.UNIMPLEMENTED:
                return True
            if exc.code() == grpc.StatusCode.UNAUTHENTICATED:
                return False
            raise
        return True

    async def count(self, table: str, where: str = "TRUE") -> int:
        async with self.engine.connect() as conn:
            return int(
                (
                    await conn.execute(text(f"SELECT count(*) FROM identity.{table} WHERE {where}"))
                ).scalar_one()
            )

    async def row_counts(
        self, tables: Sequence[str] = ("users", "tenants", "sessions", "outbox", "user_roles")
    ) -> dict[str, int]:
        return {t: await self.count(t) for t in tables}

    async def tenant_id(self, slug: str) -> uuid.UUID:
        async with self.engine.connect() as conn:
            found = await store.tenant_id_by_slug(conn, slug)
        assert found is not None
        return found

    async def audit_actions(self, tenant_id: uuid.UUID | str) -> list[tuple[str, str]]:
        t = store.audit.audit_events
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(t.c.action, t.c.outcome)
                .where(t.c.tenant_id == uuid.UUID(str(tenant_id)))
                .order_by(t.c.created_at)
            )
            return [(r.action, r.outcome) for r in rows]


async def fails(call: Any, request: Any, metadata: Sequence[tuple[str, str]] | None = None) -> DomainError:
    """The DomainError a call ends with (the test fails if it succeeds)."""
    try:
        await call(request, metadata=metadata, timeout=10)
    except grpc.aio.AioRpcError as exc:
        return error_from_rpc(exc)
    raise AssertionError(f"{call} succeeded but was expected to fail")


def fields_of(error: DomainError) -> list[str]:
    return [v.field for v in getattr(error, "violations", ())]
