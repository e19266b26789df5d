"""Concurrent-turn limits shared by two orchestrator instances through Redis leases."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import grpc
import pytest
from chatmesh.orchestrator.v1 import generation_pb2
from google.rpc import error_details_pb2

from mesh.config import Settings
from mesh.errors import parse_rpc_error
from mesh.redis_client import connect_redis
from orchestrator.config import OrchestratorSettings
from orchestrator.domain.turn_limits import TurnLimits
from orchestrator.store.turn_leases import TurnLeases
from tests.fakes.llm_upstream import FakeReply
from tests.integration.orchestrator.generation.orch_gen_harness import (
    OrchestratorMesh,
    orchestrator_mesh,
    request,
)

pytestmark = pytest.mark.timeout(90)


def _id() -> str:
    return f"gen-{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def pair(settings: Settings, migrated_database: str) -> AsyncIterator[OrchestratorMesh]:
    config = OrchestratorSettings(user_concurrency=2)
    async with orchestrator_mesh(settings, instances=2, config=config) as running:
        running.upstream.reply = FakeReply(pieces=tuple(f"w{i} " for i in range(100)))
        running.upstream.chunk_delay = 0.1
        yield running


async def _started(stream: object) -> None:
    assert (await stream.read()).HasField("started")  # type: ignore[attr-defined]


async def test_a_users_limit_counts_turns_on_every_instance(pair: OrchestratorMesh) -> None:
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    first = pair.instances[0].stub.Generate(request(_id(), tenant_id=tenant))
    second = pair.instances[1].stub.Generate(request(_id(), tenant_id=tenant))
    await _started(first)
    await _started(second)
    refused_id = _id()
    third = pair.instances[0].stub.Generate(request(refused_id, tenant_id=tenant))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await third.read()
    code, _, details = parse_rpc_error(caught.value)
    assert code == grpc.StatusCode.RESOURCE_EXHAUSTED
    retry = next(d for d in details if isinstance(d, error_details_pb2.RetryInfo))
    assert retry.retry_delay.seconds > 0
    quota = next(d for d in details if isinstance(d, error_details_pb2.QuotaFailure))
    assert quota.violations[0].subject == "user:concurrent_turns"
    # Refused before anything was written: the id has no record.
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await pair.stub.GetGeneration(generation_pb2.GetGenerationRequest(generation_id=refused_id))
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    # Another user of the tenant is not held to this user's limit.
    other = request(_id(), tenant_id=tenant)
    other.user_id = "user-2"
    other_stream = pair.instances[1].stub.Generate(other)
    await _started(other_stream)
    other_stream.cancel()
    # A place freed on one instance is usable from the other.
    first.cancel()
    await _eventually_admitted(pair, tenant)
    second.cancel()


async def _eventually_admitted(pair: OrchestratorMesh, tenant: str) -> None:
    for _ in range(100):
        stream = pair.instances[1].stub.Generate(request(_id(), tenant_id=tenant))
        try:
            await _started(stream)
        except grpc.aio.AioRpcError as exc:
            assert exc.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            await asyncio.sleep(0.1)
            continue
        stream.cancel()
        return
    raise AssertionError("the freed place was never usable")


async def test_leases_of_an_instance_that_stopped_renewing_expire(settings: Settings) -> None:
    redis = connect_redis(settings)
    try:
        crashed = TurnLeases(redis, lease_seconds=1)  # never started: it does not renew, as if dead
        survivor = TurnLeases(redis, lease_seconds=1)
        await survivor.start()
        limits = TurnLimits(user=1, tenant=0)
        tenant = f"t-{uuid.uuid4().hex[:8]}"
        held, _ = await crashed.acquire("g-crashed", tenant, "u", limits)
        assert held is not None
        assert await survivor.acquire("g-new", tenant, "u", limits) == (None, ("user", 1))
        for _ in range(100):
            lease, _ = await survivor.acquire("g-new", tenant, "u", limits)
            if lease is not None:
                break
            await asyncio.sleep(0.1)
        assert lease is not None
        # The survivor renews what it holds: after several lease periods the place is still taken.
        await asyncio.sleep(2.5)
        assert await crashed.acquire("g-other", tenant, "u", limits) == (None, ("user", 1))
        await survivor.close()
        lease, _ = await crashed.acquire("g-other", tenant, "u", limits)
        assert lease is not None
        await crashed.release(lease)
    finally:
        await redis.aclose()
