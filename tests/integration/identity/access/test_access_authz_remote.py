"""mesh.authz as another service uses it: identity's Check over mesh.clients, cached, cleared on change."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from chatmesh.identity.v1 import api_keys_pb2, rbac_pb2

from mesh.auth import Principal, reset_principal, set_principal
from mesh.auth_api_keys import RemoteApiKeyVerifier
from mesh.authz import Authorizer, IdentityCheck, remote_authorizer
from mesh.clients import ServiceClients
from mesh.discovery import make_discovery
from mesh.errors import PermissionDenied, Unauthenticated
from tests.integration.identity.access.access_harness import Identity, call


@pytest_asyncio.fixture
async def identity_stub(identity: Identity) -> AsyncIterator[Any]:
    """identity as another service reaches it: discovery, mesh.clients, propagated credentials."""
    address = f"127.0.0.1:{identity.instances[0].server.port}"
    settings = identity.settings.model_copy(update={"static_addresses": {"identity": address}})
    discovery = make_discovery(settings)
    clients = ServiceClients(settings, discovery)
    try:
        yield clients.stub("identity")
    finally:
        await clients.close()
        await discovery.close()


@pytest.fixture
def identity_check(identity_stub: Any) -> IdentityCheck:
    return IdentityCheck(identity_stub)


@pytest_asyncio.fixture
async def authorizer(identity: Identity, identity_stub: Any) -> AsyncIterator[Authorizer]:
    checker = await remote_authorizer(identity_stub, identity.redis, ttl=60)
    try:
        yield checker
    finally:
        await checker.close()


def _acting_as(user: uuid.UUID, tenant: uuid.UUID) -> object:
    """Be ``user`` for the code that follows, as the auth layer would set it for an RPC."""
    principal = Principal(kind="user", subject=str(user), tenant_id=str(tenant))
    return set_principal(principal, (("authorization", f"Bearer user:{user}"),))


async def test_require_asks_identity_with_the_callers_credentials(
    identity: Identity, authorizer: Authorizer
) -> None:
    dev = await identity.user(identity.default_tenant, "developer")
    tokens = _acting_as(dev, identity.default_tenant)
    try:
        await authorizer.require("api_keys:create", "chat:create")
        with pytest.raises(PermissionDenied) as denied:
            await authorizer.require("chat:create", "users:delete")
        assert denied.value.metadata["permission"] == "users:delete"
    finally:
        reset_principal(tokens)  # type: ignore[arg-type]


async def test_decisions_are_cached_and_cleared_when_roles_change(
    identity: Identity, authorizer: Authorizer, identity_check: IdentityCheck
) -> None:
    deaf = Authorizer(identity_check, ttl=60)  # caches, but hears no invalidation
    admin = await identity.user(identity.default_tenant, "tenant_admin")
    member = await identity.user(identity.default_tenant, "user")
    principal = Principal(kind="user", subject=str(member), tenant_id=str(identity.default_tenant))
    tokens = _acting_as(member, identity.default_tenant)
    try:
        assert not await authorizer.allowed(principal, "knowledge_bases:create")
        assert not await deaf.allowed(principal, "knowledge_bases:create")
        await call(
            identity.stub.AssignRole,
            rbac_pb2.AssignRoleRequest(user_id=str(member), role_id="developer"),
            admin,
        )
        for _ in range(100):  # the announcement travels through Redis to the listener
            if await authorizer.allowed(principal, "knowledge_bases:create"):
                break
            await asyncio.sleep(0.01)
        assert await authorizer.allowed(principal, "knowledge_bases:create")
        assert not await deaf.allowed(principal, "knowledge_bases:create")  # still its cached answer
        deaf.invalidate()
        assert await deaf.allowed(principal, "knowledge_bases:create")
    finally:
        reset_principal(tokens)  # type: ignore[arg-type]


async def test_other_services_verify_api_keys_through_identity(
    identity: Identity, identity_stub: Any
) -> None:
    dev = await identity.user(identity.default_tenant, "developer")
    created = await call(
        identity.stub.CreateApiKey,
        api_keys_pb2.CreateApiKeyRequest(api_key=api_keys_pb2.ApiKey(name="svc", unlimited_quota=True)),
        dev,
    )
    verifier = RemoteApiKeyVerifier(identity_stub, ttl=60)
    await verifier.listen(identity.redis)
    try:
        principal = await verifier.verify(created.secret)
        assert (principal.kind, principal.subject, principal.token_id) == (
            "api_key",
            str(dev),
            created.api_key.id,
        )
        assert principal.roles == frozenset({"developer"})
        assert await verifier.verify(created.secret) is principal  # cached
        with pytest.raises(Unauthenticated):
            await verifier.verify("sk-" + "Z" * 43)

        await call(
            identity.stub.DeleteApiKey, api_keys_pb2.DeleteApiKeyRequest(api_key_id=created.api_key.id), dev
        )
        for _ in range(100):
            try:
                await verifier.verify(created.secret)
            except Unauthenticated as refused:
                assert refused.reason == "API_KEY_REVOKED"
                break
            await asyncio.sleep(0.01)
        else:
            raise AssertionError("the revoked key was still accepted")
    finally:
        await verifier.close()
