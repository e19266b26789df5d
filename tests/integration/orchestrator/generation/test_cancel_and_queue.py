"""Cancellation reaches the upstream HTTP request, also from another instance; queues start by priority."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import grpc
import pytest
from chatmesh.orchestrator.v1 import generation_pb2, orchestrator_pb2_grpc

from mesh.config import Settings
from orchestrator.config import OrchestratorSettings
from tests.fakes.llm_upstream import FakeReply
from tests.integration.orchestrator.generation.orch_gen_harness import (
    OrchestratorMesh,
    orchestrator_mesh,
    request,
)

pytestmark = pytest.mark.timeout(90)

LONG = FakeReply(pieces=tuple(f"w{i} " for i in range(300)))  # 30 s at 0.1 s a piece


def _id() -> str:
    return f"gen-{uuid.uuid4().hex[:12]}"


async def _eventually(check: object, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def _drain(stream: object) -> list[generation_pb2.GenerateResponse]:
    """The rest of a stream already read with ``read()`` (gRPC forbids mixing in iteration)."""
    events = []
    while (event := await stream.read()) is not grpc.aio.EOF:  # type: ignore[attr-defined]
        events.append(event)
    return events


async def _record(
    stub: orchestrator_pb2_grpc.OrchestratorServiceStub, generation_id: str
) -> generation_pb2.Generation:
    response = await stub.GetGeneration(generation_pb2.GetGenerationRequest(generation_id=generation_id))
    return response.generation


async def _until_state(
    stub: orchestrator_pb2_grpc.OrchestratorServiceStub, generation_id: str, state: int
) -> generation_pb2.Generation:
    deadline = time.monotonic() + 10
    while True:
        try:
            record = await _record(stub, generation_id)
        except grpc.aio.AioRpcError as exc:  # the turn's record may not be written yet
            assert exc.code() == grpc.StatusCode.NOT_FOUND
        else:
            if record.state == state:
                return record
        assert time.monotonic() < deadline, f"{generation_id} did not reach state {state}"
        await asyncio.sleep(0.02)


@pytest.fixture
async def pair(settings: Settings, migrated_database: str) -> AsyncIterator[OrchestratorMesh]:
    async with orchestrator_mesh(settings, instances=2) as running:
        running.upstream.reply = LONG
        running.upstream.chunk_delay = 0.1
        yield running


async def test_cancel_from_another_instance_closes_the_upstream_request(pair: OrchestratorMesh) -> None:
    generation_id = _id()
    stream = pair.instances[0].stub.Generate(request(generation_id))
    texts = 0
    while texts < 2:
        event = await stream.read()
        texts += event.HasField("text_delta")
    # The other instance sees the turn running (its instance is alive, so it is not taken for crashed).
    seen = await _record(pair.instances[1].stub, generation_id)
    assert seen.state == generation_pb2.GENERATION_STATE_RUNNING
    asked = time.monotonic()
    answer = await pair.instances[1].stub.Cancel(
        generation_pb2.CancelRequest(generation_id=generation_id, reason="user pressed stop")
    )
    rest = await _drain(stream)
    elapsed = time.monotonic() - asked
    assert answer.cancelled and answer.generation.state == generation_pb2.GENERATION_STATE_CANCELLED
    assert rest[-1].completed.finish_reason == generation_pb2.FINISH_REASON_CANCELLED
    assert rest[-1].completed.content.startswith("w0 w1 ")
    await _eventually(lambda: pair.upstream.abandoned_streams == 1, seconds=20.0)
    # The answer needs 30 s; the caller's stream ended well within the bound (loose for a busy machine).
    assert elapsed < 3.0


async def test_caller_leaving_the_stream_cancels_the_upstream_request(pair: OrchestratorMesh) -> None:
    generation_id = _id()
    stream = pair.stub.Generate(request(generation_id))
    while not (await stream.read()).HasField("text_delta"):
        pass
    stream.cancel()
    await _eventually(lambda: pair.upstream.abandoned_streams == 1, seconds=20.0)
    record = await _until_state(pair.stub, generation_id, generation_pb2.GENERATION_STATE_CANCELLED)
    assert record.finish_reason == generation_pb2.FINISH_REASON_CANCELLED


async def test_cancel_of_a_finished_generation_reports_not_cancelled(pair: OrchestratorMesh) -> None:
    pair.upstream.reply = FakeReply(pieces=("done",))
    generation_id = _id()
    [event async for event in pair.stub.Generate(request(generation_id))]
    answer = await pair.stub.Cancel(generation_pb2.CancelRequest(generation_id=generation_id))
    assert not answer.cancelled and answer.generation.state == generation_pb2.GENERATION_STATE_SUCCEEDED


@pytest.fixture
async def single_slot(settings: Settings, migrated_database: str) -> AsyncIterator[OrchestratorMesh]:
    config = OrchestratorSettings(max_running_turns=1, queue_seconds=30)
    async with orchestrator_mesh(settings, config=config) as running:
        running.upstream.reply = FakeReply(pieces=("a", "b", "c", "d"))
        running.upstream.chunk_delay = 0.25
        yield running


async def test_queued_turns_start_interactive_first_then_fifo(single_slot: OrchestratorMesh) -> None:
    stub = single_slot.stub
    first, background, later_background, interactive = _id(), _id(), _id(), _id()
    running = stub.Generate(request(first, tenant_id="tenant-q"))
    assert (await running.read()).HasField("started")

    def queued(generation_id: str, priority: int) -> asyncio.Task[list[generation_pb2.GenerateResponse]]:
        req = request(generation_id, tenant_id="tenant-q")
        req.priority = priority  # type: ignore[assignment]

        async def collect() -> list[generation_pb2.GenerateResponse]:
            return [event async for event in stub.Generate(req)]

        return asyncio.create_task(collect())

    tasks = [queued(background, generation_pb2.GENERATION_PRIORITY_BACKGROUND)]
    await _until_state(stub, background, generation_pb2.GENERATION_STATE_QUEUED)
    tasks.append(queued(later_background, generation_pb2.GENERATION_PRIORITY_BACKGROUND))
    await _until_state(stub, later_background, generation_pb2.GENERATION_STATE_QUEUED)
    tasks.append(queued(interactive, generation_pb2.GENERATION_PRIORITY_INTERACTIVE))
    waiting = await _until_state(stub, interactive, generation_pb2.GENERATION_STATE_QUEUED)
    assert waiting.queue_position == 1
    assert (await _record(stub, later_background)).queue_position == 3

    await _drain(running)
    for task in tasks:
        assert (await task)[-1].HasField("completed")
    records = [
        await _record(stub, generation_id) for generation_id in (interactive, background, later_background)
    ]
    starts = [record.start_time.ToDatetime() for record in records]
    assert starts == sorted(starts)
    assert all(record.state == generation_pb2.GENERATION_STATE_SUCCEEDED for record in records)


async def test_cancel_of_a_queued_turn_ends_its_stream_with_cancelled(single_slot: OrchestratorMesh) -> None:
    stub = single_slot.stub
    first, waiting = _id(), _id()
    running = stub.Generate(request(first, tenant_id="tenant-c"))
    assert (await running.read()).HasField("started")
    queued = stub.Generate(request(waiting, tenant_id="tenant-c"))
    pending = asyncio.create_task(_drain(queued))
    await _until_state(stub, waiting, generation_pb2.GENERATION_STATE_QUEUED)
    answer = await stub.Cancel(generation_pb2.CancelRequest(generation_id=waiting))
    assert answer.cancelled and answer.generation.state == generation_pb2.GENERATION_STATE_CANCELLED
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await pending
    assert caught.value.code() == grpc.StatusCode.CANCELLED
    assert (await _drain(running))[-1].completed.finish_reason == generation_pb2.FINISH_REASON_STOP
    assert len(single_slot.upstream.requests) == 1
