"""API keys as credentials with the real wiring: identity's own auth layer, and another service's."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc
import grpc.aio
import pytest
import pytest_asyncio
from chatmesh.conversation.v1 import conversation_pb2_grpc, conversations_pb2
from chatmesh.identity.v1 import api_keys_pb2, auth_pb2, identity_pb2_grpc, users_pb2
from google.protobuf import field_mask_pb2

from identity import api
from identity.assembly import close_deps, open_deps
from identity.domain.api_keys import display_prefix, generate_secret, hash_secret
from identity.store import api_keys as key_store
from mesh import unbuilt
from mesh.auth_api_keys import RemoteApiKeyVerifier
from mesh.auth_jwt import ClientJwksSource, JwtVerifier
from mesh.clients import ServiceClients
from mesh.discovery import make_discovery
from mesh.server import start_server
from tests.integration.identity.access.access_harness import Identity, call


@dataclass
class Wired:
    identity: identity_pb2_grpc.IdentityServiceStub
    other: conversation_pb2_grpc.ConversationServiceStub


@pytest_asyncio.fixture
async def wired(identity: Identity) -> AsyncIterator[Wired]:
    deps = await open_deps(identity.settings, identity.engine, identity.redis)
    server = await start_server(
        "identity", [api.binding(deps)], identity.settings, port=0, metrics_port=-1, verifier=deps.verifier
    )
    settings = identity.settings.model_copy(
        update={"static_addresses": {"identity": f"127.0.0.1:{server.port}"}}
    )
    discovery = make_discovery(settings)
    clients = ServiceClients(settings, discovery)
    api_keys = RemoteApiKeyVerifier(clients.stub("identity"))
    await api_keys.listen(identity.redis)
    other_verifier = JwtVerifier(settings, ClientJwksSource(clients), identity.redis, api_keys=api_keys)
    other = await start_server(
        "conversation",
        [unbuilt.binding("conversation", "ConversationService", issue="a stand-in service")],
        settings,
        port=0,
        metrics_port=-1,
        verifier=other_verifier,
    )
    channels = [grpc.aio.insecure_channel(f"127.0.0.1:{port}") for port in (server.port, other.port)]
    try:
        yield Wired(
            identity_pb2_grpc.IdentityServiceStub(channels[0]),
            conversation_pb2_grpc.ConversationServiceStub(channels[1]),
        )
    finally:
        for channel in channels:
            await channel.close(None)
        await other.stop(0)
        await server.stop(0)
        await api_keys.close()
        await clients.close()
        await discovery.close()
        await close_deps(deps)


async def _stored_key(identity: Identity, owner: uuid.UUID) -> tuple[str, str]:
    secret = generate_secret()
    async with identity.sessions.begin() as session:
        record = await key_store.insert_key(
            session,
            tenant_id=identity.default_tenant,
            owner_id=owner,
            name="cli",
            secret_hash=hash_secret(secret),
            prefix=display_prefix(secret),
            unlimited_quota=True,
        )
    return secret, str(record.view.id)


async def test_identity_accepts_its_api_keys_but_not_for_managing_credentials(
    identity: Identity, wired: Wired
) -> None:
    dev = await identity.user(identity.default_tenant, "developer")
    secret, key_id = await _stored_key(identity, dev)
    by_key = [("authorization", f"Bearer {secret}")]

    me = await wired.identity.GetUser(users_pb2.GetUserRequest(user_id="me"), metadata=by_key, timeout=10)
    assert me.user.id == str(dev)
    await wired.identity.UpdateUser(
        users_pb2.UpdateUserRequest(
            user_id="me",
            user=users_pb2.User(display_name="via key"),
            update_mask=field_mask_pb2.FieldMask(paths=["display_name"]),
        ),
        metadata=by_key,
        timeout=10,
    )
    # A key, however restricted, manages no credentials: no listing, minting or revoking keys.
    for method, request in (
        (wired.identity.ListApiKeys, api_keys_pb2.ListApiKeysRequest()),
        (
            wired.identity.CreateApiKey,
            api_keys_pb2.CreateApiKeyRequest(api_key=api_keys_pb2.ApiKey(name="x")),
        ),
        (wired.identity.DeleteApiKey, api_keys_pb2.DeleteApiKeyRequest(api_key_id=key_id)),
        (wired.identity.LogoutAll, auth_pb2.LogoutAllRequest()),
        (wired.identity.ListSessions, auth_pb2.ListSessionsRequest(user_id="me")),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await method(request, metadata=[("x-api-key", secret)], timeout=10)
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED, method

    await call(identity.stub.DeleteApiKey, api_keys_pb2.DeleteApiKeyRequest(api_key_id=key_id), dev)
    with pytest.raises(grpc.aio.AioRpcError) as revoked:
        await wired.identity.GetUser(users_pb2.GetUserRequest(user_id="me"), metadata=by_key, timeout=10)
    assert revoked.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert await identity.count("api_keys", f"id = '{key_id}' AND deleted_at IS NULL") == 0
    by_the_key = f"actor_id = '{key_id}' AND actor_kind = 'api_key'"
    assert await identity.count("audit_events", f"{by_the_key} AND outcome = 'success'") == 1
    assert await identity.count("audit_events", f"{by_the_key} AND outcome = 'denied'") == 2


async def _code(wired: Wired, credentials: list[tuple[str, str]]) -> grpc.StatusCode:
    try:
        await wired.other.ListConversations(
            conversations_pb2.ListConversationsRequest(), metadata=credentials, timeout=10
        )
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


async def test_another_service_accepts_api_keys_until_revoked(identity: Identity, wired: Wired) -> None:
    dev = await identity.user(identity.default_tenant, "developer")
    secret, key_id = await _stored_key(identity, dev)
    credentials = [("authorization", f"Bearer {secret}")]
    assert await _code(wired, credentials) != grpc.StatusCode.UNAUTHENTICATED  # past authentication

    await call(identity.stub.DeleteApiKey, api_keys_pb2.DeleteApiKeyRequest(api_key_id=key_id), dev)
    for _ in range(100):  # the revocation reaches the other service's cache through Redis
        if await _code(wired, credentials) == grpc.StatusCode.UNAUTHENTICATED:
            break
        await asyncio.sleep(0.01)
    assert await _code(wired, credentials) == grpc.StatusCode.UNAUTHENTICATED
    assert await _code(wired, [("authorization", "Bearer sk-" + "Q" * 43)]) == grpc.StatusCode.UNAUTHENTICATED
