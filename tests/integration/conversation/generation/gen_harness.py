"""A running conversation service whose orchestrator is the in-process fake, for conv-stream's tests.

Reuses conv-core's stand-in principals (alice, bob in tenant t1). model_router is pointed at
the fake too: it answers GetModel with UNIMPLEMENTED at once, so windows fall back to the
family defaults without waiting on a dead address.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import grpc
from chatmesh.conversation.v1 import (
    conversation_pb2_grpc,
    conversations_pb2,
    messages_pb2,
    resources_pb2,
)
from chatmesh.orchestrator.v1 import generation_pb2
from redis.asyncio import Redis
from sqlalchemy import select

from conversation import api
from conversation.assembly import close_deps, open_deps
from conversation.config import ConversationConfig
from conversation.deps import ConversationDeps
from conversation.store import generations as generation_store
from conversation.store import messages as message_store
from conversation.store.tables import outbox
from mesh import authz
from mesh.clients import ServiceClients
from mesh.config import Settings
from mesh.db import create_engine
from mesh.discovery import make_discovery
from mesh.server import RunningServer, start_server
from tests.fakes.orchestrator_fake import FakeOrchestrator, Script
from tests.integration.conversation.conv_harness import ALICE, PRINCIPALS, StandInVerifier, install_rbac
from tests.support.eventually import eventually as poll

__all__ = ["ALICE", "Chat", "close_chat", "collect", "open_chat"]

TIMEOUT = 30.0


@dataclass
class Chat:
    deps: ConversationDeps
    server: RunningServer
    channel: grpc.aio.Channel
    stub: Any
    fake: FakeOrchestrator
    clients: ServiceClients
    settings: Settings

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server.port}"

    async def conversation(
        self, who: list[tuple[str, str]] = ALICE, **fields: Any
    ) -> resources_pb2.Conversation:
        request = conversations_pb2.CreateConversationRequest(
            conversation=resources_pb2.Conversation(**fields)
        )
        return (await self.stub.CreateConversation(request, metadata=who, timeout=TIMEOUT)).conversation

    async def message(self, conversation_id: str, message_id: str, user: str = "alice") -> Any:
        principal = PRINCIPALS[user]
        async with self.deps.sessions() as session:
            return await message_store.get_message(
                session,
                tenant_id=principal.tenant_id,
                conversation_id=uuid.UUID(conversation_id),
                message_id=uuid.UUID(message_id),
                with_children=True,
            )

    async def outbox_types(self, conversation_id: str) -> list[str]:
        """Event types queued for the conversation, in order."""
        async with self.deps.sessions() as session:
            found = await session.execute(
                select(outbox.c.event_type)
                .where(outbox.c.aggregate_id == conversation_id)
                .order_by(outbox.c.created_at)
            )
        return [str(t) for t in found.scalars()]

    async def generation_status(self, generation_id: str) -> str:
        """The stored status ("unstored" until the turn's write has committed)."""
        async with self.deps.sessions() as session:
            row = await generation_store.get_generation(session, "t1", generation_id)
        return row.status if row is not None else "unstored"


def background_answers(request: generation_pb2.GenerateRequest) -> Script | None:
    """Titles and summaries get their own answer, so they never take a test's scripted turn."""
    if request.priority == generation_pb2.GENERATION_PRIORITY_BACKGROUND:
        return Script(deltas=["Background answer"])
    return None


async def open_chat(settings: Settings, *, config: ConversationConfig | None = None) -> Chat:
    fake = FakeOrchestrator()
    fake.choose = background_answers
    address = await fake.start()
    built = settings.model_copy(
        update={
            "static_addresses": {
                **settings.static_addresses,
                "orchestrator": address,
                "model_router": address,
            }
        }
    )
    discovery = make_discovery(built)
    clients = ServiceClients(built, discovery)
    engine = create_engine(built, "conversation")
    redis = Redis.from_url(built.redis_url or "")
    deps = await open_deps(built, engine, redis, clients, config=config)
    install_rbac()
    server = await start_server(
        "conversation", [api.binding(deps)], built, port=0, metrics_port=-1, verifier=StandInVerifier()
    )
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{server.port}")
    stub = conversation_pb2_grpc.ConversationServiceStub(channel)
    return Chat(deps, server, channel, stub, fake, clients, built)


async def close_chat(chat: Chat) -> None:
    await chat.channel.close(None)
    await chat.server.stop()
    authz.install(None)
    await close_deps(chat.deps)
    await chat.clients.close()
    if chat.deps.redis is not None:
        await chat.deps.redis.aclose()
    await chat.deps.engine.dispose()
    await chat.fake.stop()


async def collect(
    call: AsyncIterator[Any], *, until: Callable[[messages_pb2.GenerationEvent], bool] | None = None
) -> list[messages_pb2.GenerationEvent]:
    """The events of a streaming call, up to and including the first one ``until`` accepts (or the end)."""
    events: list[messages_pb2.GenerationEvent] = []
    async with asyncio.timeout(TIMEOUT):
        async for response in call:
            events.append(response.event)
            if until is not None and until(response.event):
                break
    return events


def kinds(events: list[messages_pb2.GenerationEvent]) -> list[str]:
    return [str(e.WhichOneof("kind")) for e in events]


def text_of(events: list[messages_pb2.GenerationEvent]) -> str:
    return "".join(e.delta.text for e in events if e.WhichOneof("kind") == "delta")


async def eventually(check: Callable[[], Any], seconds: float = TIMEOUT) -> Any:
    """Poll an async ``check`` until it returns something truthy."""
    return await poll(check, within=seconds)
