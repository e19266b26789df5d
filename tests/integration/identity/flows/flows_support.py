"""Shared pieces of identity's flow tests: the fake provider's clients and users, and a running identity.

:class:`Flows` is the real servicer (keys, tokens, Redis, Postgres) started with
mesh.server.start_server on a free port, configured to use the fake OAuth provider.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import grpc
import grpc.aio
import pyotp
from chatmesh.events.v1 import envelope_pb2, identity_events_pb2
from chatmesh.identity.v1 import auth_pb2, identity_pb2_grpc, mfa_pb2, tenants_pb2
from redis.asyncio import Redis
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from identity import api, store
from identity.assembly import close_deps, open_deps
from identity.config import IdentitySettings
from identity.deps import IdentityDeps
from mesh.config import Settings
from mesh.errors import DomainError, error_from_rpc
from mesh.events import unpack
from mesh.server import RunningServer, start_server
from tests.fakes.oauth_provider import FakeOAuthProvider, ProviderUser

CALLBACK = "https://app.example/oauth/callback"
RESET_PAGE = "https://app.example/reset"
PASSWORD = "Corr3ct-horse"
NEW_PASSWORD = "N3w-battery-staple"
ADMIN_PASSWORD = "Adm1n-password!"
CLIENTS = {
    "github": ("gh-client", "gh-secret"),
    "google": ("g-client.apps.googleusercontent.com", "g-secret"),
    "wechat": ("wx0123456789abcdef", "wx-secret"),
}
OCTOCAT = ProviderUser(id="583231", login="octocat", name="The Octocat", email="octocat@example.com")
GOOGLER = ProviderUser(id="110169484474386276334", name="Grace Hopper", email="grace@example.com")
WECHATTER = ProviderUser(
    id="o6_bmjrPTlm6_2sgVt7hMZOPfL2M", name="小明", unionid="o6_bmasdasdsad6_2sgVt7hMZOPfL"
)
# The tables the flows write: a refused call must leave every count unchanged.
FLOW_TABLES = (
    "users",
    "oauth_links",
    "password_reset_tokens",
    "mfa_totp",
    "mfa_recovery_codes",
    "sessions",
    "outbox",
)


def provider_settings(fake: FakeOAuthProvider, **secrets: str) -> dict[str, dict[str, str]]:
    """``IdentitySettings.oauth_providers`` for the fake; ``secrets`` overrides a provider's client secret."""
    return {
        provider: {
            "client_id": client_id,
            "client_secret": secrets.get(provider, secret),
            **fake.endpoints(provider),
        }
        for provider, (client_id, secret) in CLIENTS.items()
    }


def register_fake_clients(fake: FakeOAuthProvider) -> None:
    for provider, (client_id, secret) in CLIENTS.items():
        fake.register_client(provider, client_id, secret, CALLBACK)


def bearer(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


def unique_email() -> str:
    return f"{uuid.uuid4().hex[:10]}@example.com"


def totp_code(secret: str, offset_steps: int = 0) -> str:
    """The code of the current time step, or of one ``offset_steps`` away."""
    return pyotp.TOTP(secret).at(time.time() + offset_steps * 30)


async def fails(call: Any, request: Any, metadata: Sequence[tuple[str, str]] | None = None) -> DomainError:
    """The DomainError a call ends with (the test fails if it succeeds)."""
    try:
        await call(request, metadata=metadata, timeout=10)
    except grpc.aio.AioRpcError as exc:
        return error_from_rpc(exc)
    raise AssertionError(f"{call} succeeded but was expected to fail")


def fields_of(error: DomainError) -> list[str]:
    return [v.field for v in getattr(error, "violations", ())]


@dataclass
class Flows:
    settings: Settings
    engine: AsyncEngine
    redis: Redis
    deps: IdentityDeps
    server: RunningServer
    channel: grpc.aio.Channel
    stub: identity_pb2_grpc.IdentityServiceStub

    @classmethod
    async def start(
        cls, settings: Settings, engine: AsyncEngine, redis: Redis, config: IdentitySettings
    ) -> Flows:
        deps = await open_deps(settings, engine, redis, config)
        server = await start_server(
            "identity", [api.binding(deps)], settings, port=0, metrics_port=-1, verifier=deps.verifier
        )
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{server.port}")
        return cls(
            settings, engine, redis, deps, server, channel, identity_pb2_grpc.IdentityServiceStub(channel)
        )

    async def close(self) -> None:
        await self.channel.close(None)
        await self.server.stop(0)
        await close_deps(self.deps)

    async def register(self, email: str | None = None, password: str = PASSWORD) -> auth_pb2.RegisterResponse:
        request = auth_pb2.RegisterRequest(email=email or unique_email(), password=password)
        response: auth_pb2.RegisterResponse = await self.stub.Register(request, timeout=10)
        return response

    async def login(self, email: str, password: str = PASSWORD) -> auth_pb2.LoginResponse:
        response: auth_pb2.LoginResponse = await self.stub.Login(
            auth_pb2.LoginRequest(email=email, password=password), timeout=10
        )
        return response

    async def register_in_new_tenant(self) -> auth_pb2.RegisterResponse:
        """A user of a tenant of its own (made by the super-admin)."""
        admin = await self.login(self.deps.config.admin_email, ADMIN_PASSWORD)
        slug = f"t-{uuid.uuid4().hex[:10]}"
        created = await self.stub.CreateTenant(
            tenants_pb2.CreateTenantRequest(
                tenant=tenants_pb2.Tenant(
                    slug=slug,
                    display_name=slug,
                    signup=tenants_pb2.TenantSignupPolicy(mode=tenants_pb2.SIGNUP_MODE_OPEN),
                )
            ),
            metadata=bearer(admin.access_token),
            timeout=10,
        )
        request = auth_pb2.RegisterRequest(email=unique_email(), password=PASSWORD, tenant=created.tenant.id)
        response: auth_pb2.RegisterResponse = await self.stub.Register(request, timeout=10)
        return response

    async def enable_totp(self, token: str) -> tuple[str, list[str]]:
        """Enrol and confirm TOTP for the token's user; returns (secret, recovery codes)."""
        enrolled = await self.stub.EnrollTotp(mfa_pb2.EnrollTotpRequest(), metadata=bearer(token), timeout=10)
        confirmed = await self.stub.ConfirmTotp(
            mfa_pb2.ConfirmTotpRequest(code=pyotp.TOTP(enrolled.secret).now()),
            metadata=bearer(token),
            timeout=10,
        )
        return enrolled.secret, list(confirmed.recovery_codes)

    async def count(self, table: str, where: str = "TRUE") -> int:
        async with self.engine.connect() as conn:
            return int(
                (
                    await conn.execute(text(f"SELECT count(*) FROM identity.{table} WHERE {where}"))
                ).scalar_one()
            )

    async def row_counts(self) -> dict[str, int]:
        return {table: await self.count(table) for table in FLOW_TABLES}

    async def audit_actions(self, user_id: str) -> list[tuple[str, str]]:
        t = store.audit.audit_events
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(t.c.action, t.c.outcome).where(t.c.actor_id == user_id).order_by(t.c.created_at)
            )
            return [(r.action, r.outcome) for r in rows]

    async def reset_events(self, user_id: str) -> list[identity_events_pb2.PasswordResetRequested]:
        """PasswordResetRequested events in the outbox for the user, oldest first."""
        o = store.outbox
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(o.c.payload)
                .where(o.c.aggregate_id == user_id, o.c.event_type.like("%PasswordResetRequested"))
                .order_by(o.c.created_at)
            )
            payloads = list(rows.scalars())
        events = []
        for payload in payloads:
            envelope = envelope_pb2.EventEnvelope.FromString(payload)
            events.append(unpack(envelope, identity_events_pb2.PasswordResetRequested))
        return events


def token_of(event: identity_events_pb2.PasswordResetRequested) -> str:
    return parse_qs(urlsplit(event.reset_url).query)["token"][0]
