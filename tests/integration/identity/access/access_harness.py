"""A running identity servicer for the access tests: real server, Postgres, Redis; test principals.

The credential a test sends is ``user:<uuid>``; :class:`PrincipalsByUser` turns it into
that user's principal, so these tests exercise API keys, RBAC and audit without
depending on the token machinery (tested by the accounts area).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import grpc
import grpc.aio
from chatmesh.identity.v1 import identity_pb2_grpc
from redis.asyncio import Redis
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from identity import api, store
from identity.deps import IdentityDeps
from identity.sessions.tokens import TokenService
from identity.store.access_runtime import AccessRuntime
from mesh.auth import Principal
from mesh.config import Settings
from mesh.db import session_factory
from mesh.errors import DomainError, Unauthenticated, error_from_rpc
from mesh.secrets import secret_box
from mesh.server import RunningServer, start_server


class PrincipalsByUser:
    """TokenVerifier: ``user:<uuid>`` → that user's principal (tenant read from the database)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def verify(self, token: str) -> Principal:
        kind, _, ident = token.partition(":")
        if kind != "user":
            raise Unauthenticated("test verifier: unknown token")
        async with self._sessions() as session:
            tenant = (
                await session.execute(
                    select(store.users.c.tenant_id).where(store.users.c.id == uuid.UUID(ident))
                )
            ).scalar_one_or_none()
        if tenant is None:
            raise Unauthenticated("test verifier: unknown user")
        return Principal(kind="user", subject=ident, tenant_id=str(tenant), token_id=f"jti-{ident[:8]}")


@dataclass
class Instance:
    """One identity instance: its own caches, sharing Postgres and Redis with its siblings."""

    server: RunningServer
    channel: grpc.aio.Channel
    stub: identity_pb2_grpc.IdentityServiceStub
    access: AccessRuntime

    async def close(self) -> None:
        await self.channel.close(None)
        await self.server.stop(0)
        await self.access.close()


@dataclass
class Identity:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: Redis
    default_tenant: uuid.UUID
    admin: uuid.UUID
    instances: list[Instance] = field(default_factory=list)

    @property
    def stub(self) -> identity_pb2_grpc.IdentityServiceStub:
        return self.instances[0].stub

    @property
    def access(self) -> AccessRuntime:
        return self.instances[0].access

    async def start_instance(self, *, cache: bool = True) -> Instance:
        access = AccessRuntime.create(self.sessions, self.redis, cache=cache, last_used_interval=3600)
        await access.start()
        deps = IdentityDeps(
            settings=self.settings,
            engine=self.engine,
            sessions=self.sessions,
            redis=self.redis,
            secrets=secret_box(self.settings),
            # Session revocation (role and status changes) needs only Postgres and Redis.
            tokens=TokenService(self.settings, self.sessions, self.redis, None),  # type: ignore[arg-type]
            verifier=None,  # type: ignore[arg-type]
            access=access,
        )
        server = await start_server(
            "identity",
            [api.binding(deps)],
            self.settings,
            port=0,
            metrics_port=-1,
            verifier=PrincipalsByUser(self.sessions),
        )
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{server.port}")
        instance = Instance(server, channel, identity_pb2_grpc.IdentityServiceStub(channel), access)
        self.instances.append(instance)
        return instance

    async def tenant(self, slug: str) -> uuid.UUID:
        async with self.engine.begin() as conn:
            return await store.insert_tenant(conn, slug, slug.title())

    async def user(self, tenant_id: uuid.UUID, *roles: str, email: str | None = None) -> uuid.UUID:
        """A user holding the given built-in roles."""
        email = email or f"{uuid.uuid4().hex[:10]}@example.com"
        async with self.engine.begin() as conn:
            user_id = await store.insert_user(
                conn,
                tenant_id=tenant_id,
                email=email,
                username=email.partition("@")[0],
                display_name="",
                password_hash=None,
            )
            built_in = await store.built_in_roles(conn)
            for role in roles:
                await store.grant_role(conn, user_id, built_in[role].id)
        return user_id

    async def count(self, table: str, where: str = "TRUE") -> int:
        async with self.engine.connect() as conn:
            return int(
                (
                    await conn.execute(text(f"SELECT count(*) FROM identity.{table} WHERE {where}"))
                ).scalar_one()
            )

    async def audit_actions(self, tenant_id: uuid.UUID) -> list[str]:
        t = store.audit.audit_events
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(t.c.action).where(t.c.tenant_id == tenant_id).order_by(t.c.created_at)
            )
            return list(rows.scalars())

    async def outbox_types(self) -> list[str]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(store.outbox.c.event_type).order_by(store.outbox.c.created_at))
            return list(rows.scalars())

    async def row_count(self, *, audit: bool = True) -> int:
        """Rows in the tables the access RPCs write: a failed call must leave this unchanged
        (except for the audit row of a refused privilege change, left out with ``audit=False``)."""
        tables = ["api_keys", "roles", "role_parents", "user_roles", "outbox"] + (
            ["audit_events"] if audit else []
        )
        total = 0
        for table in tables:
            total += await self.count(table)
        return total

    async def denials(self, actor: uuid.UUID) -> list[str]:
        """Actions refused to ``actor`` as the audit log recorded them, oldest first."""
        t = store.audit.audit_events
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(t.c.action)
                .where(t.c.actor_id == str(actor), t.c.outcome == "denied")
                .order_by(t.c.created_at)
            )
            return list(rows.scalars())


def as_user(user_id: uuid.UUID, *extra: tuple[str, str]) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer user:{user_id}"), *extra]


async def call(method: Any, request: Any, user: uuid.UUID | None = None, **kwargs: Any) -> Any:
    metadata = as_user(user) if user is not None else None
    return await method(request, metadata=metadata, timeout=10, **kwargs)


async def fails(method: Any, request: Any, user: uuid.UUID | None = None) -> DomainError:
    """The DomainError a call ends with (the test fails if it succeeds)."""
    try:
        await call(method, request, user)
    except grpc.aio.AioRpcError as exc:
        return error_from_rpc(exc)
    raise AssertionError(f"{method} succeeded but was expected to fail")


def violation_fields(error: DomainError) -> Sequence[str]:
    return [v.field for v in getattr(error, "violations", ())]


async def now_in_db(engine: AsyncEngine) -> Any:
    async with engine.connect() as conn:
        return (await conn.execute(select(func.now()))).scalar_one()


async def close_all(identity: Identity) -> None:
    for instance in identity.instances:
        await instance.close()


def session_maker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(engine)
