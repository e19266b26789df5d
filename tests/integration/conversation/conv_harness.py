"""A running conversation service with stand-in auth, for conv-core's integration tests.

Bearer tokens name principals: alice and bob share tenant t1; mallory is in tenant t2 and
carries alice's user id, so only the tenant check keeps her out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import grpc
from chatmesh.conversation.v1 import conversation_pb2_grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from redis.asyncio import Redis

from conversation import api
from conversation.assembly import close_deps, open_deps
from conversation.config import ConversationConfig
from conversation.deps import ConversationDeps
from mesh import authz
from mesh.auth import Principal
from mesh.config import Settings
from mesh.db import create_engine
from mesh.errors import Unauthenticated
from mesh.server import RunningServer, start_server
from tests.support.rbac_standin import RbacStandIn

ALICE_ID = "11111111-1111-1111-1111-111111111111"
BOB_ID = "22222222-2222-2222-2222-222222222222"
STRIPPED_ID = "33333333-3333-3333-3333-333333333333"
PRINCIPALS = {
    "alice": Principal(kind="user", subject=ALICE_ID, tenant_id="t1"),
    "bob": Principal(kind="user", subject=BOB_ID, tenant_id="t1"),
    "mallory": Principal(kind="user", subject=ALICE_ID, tenant_id="t2"),
    "service": Principal(kind="service", subject="orchestrator"),
    # A user of t1 whose roles were all taken away (identity grants nothing); the token still claims "user".
    "stripped": Principal(kind="user", subject=STRIPPED_ID, tenant_id="t1", roles=frozenset({"user"})),
}


# What the built-in "user" role grants (identity/domain/roles.py), as identity's Check would answer.
USER_PERMISSIONS = {"conversations:*", "messages:*", "chat:create", "models:list"}


def install_rbac() -> RbacStandIn:
    """identity's Check for the stand-in principals: alice and bob hold the user role."""
    rules = RbacStandIn(grants={ALICE_ID: set(USER_PERMISSIONS), BOB_ID: set(USER_PERMISSIONS)})
    authz.install(authz.Authorizer(rules, ttl=0.0))
    return rules


def as_user(name: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {name}")]


ALICE = as_user("alice")
BOB = as_user("bob")
MALLORY = as_user("mallory")


class StandInVerifier:
    async def verify(self, token: str) -> Principal:
        principal = PRINCIPALS.get(token)
        if principal is None:
            raise Unauthenticated("unknown token", reason="TOKEN_INVALID")
        return principal


@dataclass
class Service:
    deps: ConversationDeps
    server: RunningServer
    channel: grpc.aio.Channel
    stub: Any


async def open_service(settings: Settings, config: ConversationConfig | None = None) -> Service:
    engine = create_engine(settings, "conversation")
    redis = Redis.from_url(settings.redis_url or "")
    deps = await open_deps(settings, engine, redis, config=config, purge=False)
    install_rbac()
    server = await start_server(
        "conversation", [api.binding(deps)], settings, port=0, metrics_port=-1, verifier=StandInVerifier()
    )
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{server.port}")
    return Service(deps, server, channel, conversation_pb2_grpc.ConversationServiceStub(channel))


async def close_service(service: Service) -> None:
    await service.channel.close(None)
    await service.server.stop()
    authz.install(None)
    await close_deps(service.deps)
    if service.deps.redis is not None:
        await service.deps.redis.aclose()
    await service.deps.engine.dispose()


async def create(service: Service, who: list[tuple[str, str]], **fields: Any) -> Any:
    """A new conversation (fields of Conversation) as ``who``."""
    from chatmesh.conversation.v1 import conversations_pb2, resources_pb2

    request = conversations_pb2.CreateConversationRequest(conversation=resources_pb2.Conversation(**fields))
    return (await service.stub.CreateConversation(request, metadata=who, timeout=10)).conversation


async def add_message(
    service: Service,
    conversation_id: str,
    parent_id: str | None,
    role: str,
    text: str,
    *,
    user: str = "alice",
    activate: bool = True,
) -> str:
    """Stores a message the way conv-stream does (store.insert_message); returns its id."""
    import uuid

    from conversation.store import messages as store

    principal = PRINCIPALS[user]
    async with service.deps.sessions.begin() as session:
        row = await store.insert_message(
            session,
            tenant_id=principal.tenant_id,
            owner_id=principal.subject,
            conversation_id=uuid.UUID(conversation_id),
            parent_id=uuid.UUID(parent_id) if parent_id else None,
            message=store.NewMessage(role=role, parts=[{"text": text}]),
            activate=activate,
        )
    return str(row.id)


async def chain(
    service: Service,
    conversation_id: str,
    texts: list[str],
    parent: str | None = None,
    *,
    user: str = "alice",
) -> list[str]:
    """Alternating user/assistant messages, each under the previous one."""
    ids: list[str] = []
    for i, text in enumerate(texts):
        role = "user" if i % 2 == 0 else "assistant"
        parent = await add_message(service, conversation_id, parent, role, text, user=user)
        ids.append(parent)
    return ids


def violations(error: grpc.aio.AioRpcError) -> dict[str, str]:
    """Field violations of an INVALID_ARGUMENT status (google.rpc.BadRequest)."""
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None
    found: dict[str, str] = {}
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            found.update({v.field: v.description for v in bad.field_violations})
    return found
