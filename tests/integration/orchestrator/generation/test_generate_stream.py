"""Generate through the real model_router servicer and the fake upstream: answers, tools, records."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator

import grpc
import pytest
from chatmesh.orchestrator.v1 import generation_pb2

from mesh.config import Settings
from orchestrator.store import generations as store
from tests.fakes.llm_upstream import Failure, FakeReply
from tests.integration.orchestrator.generation.orch_gen_harness import (
    OrchestratorMesh,
    always_calls_tool,
    calculator_script,
    orchestrator_mesh,
    request,
)

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def mesh(settings: Settings, migrated_database: str) -> AsyncIterator[OrchestratorMesh]:
    async with orchestrator_mesh(settings) as running:
        yield running


def _id() -> str:
    return f"gen-{uuid.uuid4().hex[:12]}"


async def _events(
    mesh: OrchestratorMesh, req: generation_pb2.GenerateRequest
) -> list[generation_pb2.GenerateResponse]:
    return [event async for event in mesh.stub.Generate(req)]


def _kinds(events: list[generation_pb2.GenerateResponse]) -> list[str]:
    return [str(event.WhichOneof("event")) for event in events]


async def test_plain_answer_streams_text_usage_and_completion(mesh: OrchestratorMesh) -> None:
    mesh.upstream.reply = FakeReply(pieces=("Hello", " there", "."))
    generation_id = _id()
    events = await _events(mesh, request(generation_id, system_prompt="You help {{user_name}} on {{date}}."))
    kinds = _kinds(events)
    assert kinds[0] == "started" and kinds[-1] == "completed"
    assert [e.sequence for e in events] == list(range(1, len(events) + 1))
    assert "".join(e.text_delta.text for e in events if e.HasField("text_delta")) == "Hello there."
    assert kinds.count("text_delta") == 3 and "usage" in kinds
    completed = events[-1].completed
    assert completed.finish_reason == generation_pb2.FINISH_REASON_STOP
    assert completed.content == "Hello there."
    assert completed.usage.completion_tokens == 3 and completed.usage.model_calls == 1
    assert completed.model == "gpt-4o-mini"
    sent = mesh.upstream.requests[-1].body
    assert sent["stream"] is True
    assert sent["messages"][0]["role"] == "system"
    assert sent["messages"][0]["content"].startswith("You help Ada on 2")
    assert sent["messages"][-1] == {"role": "user", "content": "What is 6 times 7?"}

    record = (
        await mesh.stub.GetGeneration(generation_pb2.GetGenerationRequest(generation_id=generation_id))
    ).generation
    assert record.state == generation_pb2.GENERATION_STATE_SUCCEEDED
    assert record.finish_reason == generation_pb2.FINISH_REASON_STOP
    assert record.usage.completion_tokens == 3
    assert record.HasField("start_time") and record.HasField("end_time")


async def test_tool_calling_model_gets_the_right_answer_and_records_the_call(mesh: OrchestratorMesh) -> None:
    mesh.upstream.script = calculator_script("6*7")
    generation_id = _id()
    events = await _events(mesh, request(generation_id, tools=["calculator"]))
    kinds = _kinds(events)
    assert (
        kinds.index("tool_call_started")
        < kinds.index("tool_call_arguments_delta")
        < kinds.index("tool_call_result")
    )
    completed = events[-1].completed
    assert completed.content == "The answer is 42."
    assert completed.finish_reason == generation_pb2.FINISH_REASON_STOP
    [call] = completed.tool_calls
    assert (call.tool_name, call.tool_call_id, call.step) == ("calculator", "call_calc_1", 1)
    assert call.arguments == '{"expression": "6*7"}'
    assert call.result == '{"result": 42}' and call.status == generation_pb2.TOOL_CALL_STATUS_SUCCEEDED
    assert completed.usage.model_calls == 2 and completed.usage.tool_calls == 1
    assert mesh.tools.calls == [("tenant-a", "calculator", '{"expression": "6*7"}')]
    # The second model call saw the assistant's tool call and the tool's result.
    second = mesh.upstream.requests[-1].body["messages"]
    assert second[-2]["tool_calls"][0]["function"]["name"] == "calculator"
    assert second[-1] == {
        "role": "tool",
        "tool_call_id": "call_calc_1",
        "name": "calculator",
        "content": '{"result": 42}',
    }
    assert mesh.upstream.requests[0].body["tools"][0]["function"]["name"] == "calculator"

    record = (
        await mesh.stub.GetGeneration(generation_pb2.GetGenerationRequest(generation_id=generation_id))
    ).generation
    assert record.usage.tool_calls == 1
    assert list(record.tool_calls) == list(completed.tool_calls)
    assert record.HasField("time_to_first_token") and record.HasField("latency")
    assert record.time_to_first_token.ToTimedelta() <= record.latency.ToTimedelta()


async def test_tool_loop_stops_at_the_step_limit(mesh: OrchestratorMesh) -> None:
    mesh.upstream.script = always_calls_tool
    events = await _events(mesh, request(_id(), tools=["calculator"], max_tool_steps=3))
    completed = events[-1].completed
    assert completed.finish_reason == generation_pb2.FINISH_REASON_TOOL_STEP_LIMIT
    assert completed.usage.model_calls == 3 and len(mesh.upstream.requests) == 3
    statuses = [call.status for call in completed.tool_calls]
    assert statuses == [generation_pb2.TOOL_CALL_STATUS_SUCCEEDED] * 2 + [
        generation_pb2.TOOL_CALL_STATUS_REJECTED
    ]


async def test_knowledge_attached_fails_before_anything_is_generated(mesh: OrchestratorMesh) -> None:
    generation_id = _id()
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _events(mesh, request(generation_id, knowledge_base_ids=["kb-1"]))
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "knowledge search is not available" in (caught.value.details() or "")
    assert mesh.upstream.requests == []
    record = (
        await mesh.stub.GetGeneration(generation_pb2.GetGenerationRequest(generation_id=generation_id))
    ).generation
    assert record.state == generation_pb2.GENERATION_STATE_FAILED
    assert "knowledge" in record.error_message


async def test_running_generation_id_is_already_exists(mesh: OrchestratorMesh) -> None:
    mesh.upstream.chunk_delay = 0.2
    generation_id = _id()
    first = mesh.stub.Generate(request(generation_id))
    assert (await first.read()).HasField("started")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _events(mesh, request(generation_id))
    assert caught.value.code() == grpc.StatusCode.ALREADY_EXISTS
    first.cancel()


async def test_unknown_agent_is_not_found_and_no_agent_store_is_failed_precondition(
    mesh: OrchestratorMesh,
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _events(mesh, request(_id(), agent_id="00000000-0000-4000-8000-000000000000"))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    mesh.instances[0].deps.agents = None
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _events(mesh, request(_id(), agent_id="agent-1"))
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert mesh.upstream.requests == []


async def test_calculator_of_the_real_tool_registry(settings: Settings, migrated_database: str) -> None:
    async with orchestrator_mesh(settings, real_tools=True) as real:
        real.upstream.script = calculator_script("(2 + 4) * 7")
        events = await _events(real, request(_id(), tools=["calculator"]))
    completed = events[-1].completed
    assert completed.content == "The answer is 42."
    [call] = completed.tool_calls
    assert call.status == generation_pb2.TOOL_CALL_STATUS_SUCCEEDED and call.result.endswith("= 42")


async def test_generations_are_listed_per_tenant(mesh: OrchestratorMesh) -> None:
    ours, theirs = _id(), _id()
    await _events(mesh, request(ours, tenant_id="tenant-list-a"))
    await _events(mesh, request(theirs, tenant_id="tenant-list-b"))
    listed = await mesh.stub.ListGenerations(generation_pb2.ListGenerationsRequest(tenant_id="tenant-list-a"))
    assert [g.id for g in listed.generations] == [ours]
    page = await mesh.stub.ListGenerations(generation_pb2.ListGenerationsRequest(page_size=1))
    assert len(page.generations) == 1 and page.next_page_token


async def test_model_failure_after_start_is_an_error_event_and_failed_record(mesh: OrchestratorMesh) -> None:
    mesh.upstream.fail(Failure(status=503, message="overloaded"))
    generation_id = _id()
    events = await _events(mesh, request(generation_id))
    assert _kinds(events) == ["started", "error"]
    error = events[-1].error
    assert error.code == grpc.StatusCode.UNAVAILABLE.value[0] and error.retryable
    record = (
        await mesh.stub.GetGeneration(generation_pb2.GetGenerationRequest(generation_id=generation_id))
    ).generation
    assert record.state == generation_pb2.GENERATION_STATE_FAILED
    assert record.finish_reason == generation_pb2.FINISH_REASON_ERROR and record.error_message


async def test_finished_id_is_retried_by_its_tenant_not_taken_by_another(mesh: OrchestratorMesh) -> None:
    generation_id = _id()
    await _events(mesh, request(generation_id, tenant_id="tenant-r"))
    again = await _events(mesh, request(generation_id, tenant_id="tenant-r"))
    assert again[-1].HasField("completed")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _events(mesh, request(generation_id, tenant_id="tenant-intruder"))
    assert caught.value.code() == grpc.StatusCode.ALREADY_EXISTS
    record = (
        await mesh.stub.GetGeneration(generation_pb2.GetGenerationRequest(generation_id=generation_id))
    ).generation
    assert record.tenant_id == "tenant-r"


async def test_turns_of_a_crashed_instance_are_failed_and_their_ids_reusable(mesh: OrchestratorMesh) -> None:
    engine = mesh.instances[0].deps.engine
    stuck, retried = _id(), _id()
    for generation_id in (stuck, retried):
        row = {
            "id": generation_id,
            "tenant_id": "tenant-a",
            "instance_id": "crashed-instance",
            "state": generation_pb2.GENERATION_STATE_RUNNING,
            "priority": generation_pb2.GENERATION_PRIORITY_INTERACTIVE,
            "create_time": dt.datetime.now(dt.UTC),
        }
        assert await store.claim(engine, row)
    record = (
        await mesh.stub.GetGeneration(generation_pb2.GetGenerationRequest(generation_id=stuck))
    ).generation
    assert record.state == generation_pb2.GENERATION_STATE_FAILED
    assert "stopped" in record.error_message
    events = await _events(mesh, request(retried))
    assert events[-1].HasField("completed")
