"""A running knowledge service with stand-in auth and RBAC, for knowledge's integration tests.

Bearer tokens name principals: alice (owner, developer permissions) and bob (a plain user:
read only) share tenant t1; mallory is in tenant t2 and carries alice's user id, so only the
tenant check keeps her out. ``HashEmbedder`` stands in for the model where a test needs
speed or a pause, not meaning (a deterministic bag-of-words vector, so word overlap still
ranks); the real local model is used where meaning matters.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import grpc
from chatmesh.knowledge.v1 import (
    documents_pb2,
    knowledge_bases_pb2,
    knowledge_pb2_grpc,
    resources_pb2,
    search_pb2,
)
from redis.asyncio import Redis

from knowledge import api
from knowledge.assembly import close_deps, open_deps
from knowledge.config import KnowledgeSettings
from knowledge.deps import KnowledgeDeps
from knowledge.domain import jobs as states
from knowledge.ingestion.embedders import Embedders
from mesh import authz
from mesh.auth import Principal
from mesh.config import Settings
from mesh.db import create_engine
from mesh.errors import Unauthenticated
from mesh.server import RunningServer, start_server
from tests.support.rbac_standin import RbacStandIn

ALICE_ID = "11111111-1111-1111-1111-111111111111"
BOB_ID = "22222222-2222-2222-2222-222222222222"
PRINCIPALS = {
    "alice": Principal(kind="user", subject=ALICE_ID, tenant_id="t1"),
    "bob": Principal(kind="user", subject=BOB_ID, tenant_id="t1", roles=frozenset({"user"})),
    "mallory": Principal(kind="user", subject=ALICE_ID, tenant_id="t2"),
}
DEVELOPER = {"knowledge_bases:*", "documents:*"}
USER = {"knowledge_bases:read", "documents:read"}


def as_user(name: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {name}")]


ALICE, BOB, MALLORY = as_user("alice"), as_user("bob"), as_user("mallory")


class StandInVerifier:
    async def verify(self, token: str) -> Principal:
        principal = PRINCIPALS.get(token)
        if principal is None:
            raise Unauthenticated("unknown token", reason="TOKEN_INVALID")
        return principal


class HashEmbedder:
    """Words hashed into 384 buckets, L2-normalised; ``delay`` per call makes ingestion slow."""

    model = "local/all-minilm-l6-v2"
    dimension = 384

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.calls = 0

    async def embed(self, texts: list[str], *, input_type: str = "document") -> list[list[float]]:
        self.calls += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        return [_bag(text) for text in texts]


def _bag(text: str) -> list[float]:
    vector = [0.0] * 384
    for word in re.findall(r"\w+", text.lower()):
        vector[int(hashlib.sha1(word.encode()).hexdigest(), 16) % 384] += 1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]


class StandInEmbedders(Embedders):
    """Embedders whose local model is ``embedder`` (the model's name and size stay the real ones)."""

    def __init__(self, embedder: Any) -> None:
        super().__init__(None)
        self._stand_in = embedder

    def _local_embedder(self) -> Any:
        return self._stand_in


def kb_config(**overrides: Any) -> KnowledgeSettings:
    values: dict[str, Any] = {
        "ingest_workers": 1,
        "job_lease_seconds": 2.0,
        "sweep_interval_seconds": 0.5,
        "retry_backoff_seconds": 0.1,
        "embed_batch_size": 8,
    }
    return KnowledgeSettings(**(values | overrides))


@dataclass
class Service:
    deps: KnowledgeDeps
    server: RunningServer
    channel: grpc.aio.Channel
    stub: Any
    rbac: RbacStandIn


async def open_service(
    settings: Settings, config: KnowledgeSettings | None = None, embedder: Any | None = None
) -> Service:
    engine = create_engine(settings, "knowledge")
    redis = Redis.from_url(settings.redis_url or "")
    embedders = StandInEmbedders(embedder) if embedder is not None else None
    deps = await open_deps(settings, engine, redis, config=config or kb_config(), embedders=embedders)
    rbac = RbacStandIn(grants={ALICE_ID: set(DEVELOPER), BOB_ID: set(USER)})
    authz.install(authz.Authorizer(rbac, ttl=0.0))
    server = await start_server(
        "knowledge", [api.binding(deps)], settings, port=0, metrics_port=-1, verifier=StandInVerifier()
    )
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{server.port}")
    return Service(deps, server, channel, knowledge_pb2_grpc.KnowledgeServiceStub(channel), rbac)


async def close_service(service: Service) -> None:
    await service.channel.close(None)
    await service.server.stop()
    authz.install(None)
    await close_deps(service.deps)
    await service.deps.redis.aclose()
    await service.deps.engine.dispose()


async def create_kb(service: Service, who: list[tuple[str, str]] = ALICE, **fields: Any) -> Any:
    fields.setdefault("name", "handbook")
    request = knowledge_bases_pb2.CreateKnowledgeBaseRequest(
        knowledge_base=resources_pb2.KnowledgeBase(**fields)
    )
    return (await service.stub.CreateKnowledgeBase(request, metadata=who, timeout=30)).knowledge_base


async def _messages(kb_id: str, filename: str, data: bytes, piece: int, **meta: Any) -> AsyncIterator[Any]:
    yield documents_pb2.UploadDocumentRequest(
        knowledge_base_id=kb_id, metadata=documents_pb2.DocumentUploadMetadata(filename=filename, **meta)
    )
    for at in range(0, len(data), piece):
        yield documents_pb2.UploadDocumentRequest(chunk=data[at : at + piece])


async def upload(
    service: Service,
    kb_id: str,
    filename: str,
    data: bytes,
    who: list[tuple[str, str]] = ALICE,
    piece: int = 64 * 1024,
    **meta: Any,
) -> Any:
    return await service.stub.UploadDocument(
        _messages(kb_id, filename, data, piece, **meta), metadata=who, timeout=30
    )


async def wait_job(
    service: Service, job_id: str, who: list[tuple[str, str]] = ALICE, wait_seconds: float = 60
) -> Any:
    """The job once finished (read through WatchIngestionJob, the way a client follows it)."""
    last = None
    call = service.stub.WatchIngestionJob(
        documents_pb2.WatchIngestionJobRequest(ingestion_job_id=job_id), metadata=who, timeout=wait_seconds
    )
    async for update in call:
        last = update.ingestion_job
    assert last is not None and last.state in _FINISHED, last
    return last


_FINISHED = {
    resources_pb2.INGESTION_JOB_STATE_SUCCEEDED,
    resources_pb2.INGESTION_JOB_STATE_FAILED,
    resources_pb2.INGESTION_JOB_STATE_CANCELLED,
}
assert len(_FINISHED) == len(states.FINISHED)


async def search(
    service: Service, query: str, kb_ids: list[str], who: list[tuple[str, str]] = ALICE, **fields: Any
) -> list[search_pb2.SearchResult]:
    request = search_pb2.SearchRequest(query=query, knowledge_base_ids=kb_ids, **fields)
    return list((await service.stub.Search(request, metadata=who, timeout=30)).results)
