"""Agent RPCs over gRPC against Postgres: CRUD, validation, visibility, tenant isolation, etags."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from chatmesh.orchestrator.v1 import agents_pb2, generation_pb2
from google.protobuf import field_mask_pb2
from google.rpc import error_details_pb2

from mesh.errors import NotFound, parse_rpc_error
from tests.integration.orchestrator.tools.ot_harness import ALICE, BOB, CAROL, OTHER_ADMIN, Orchestrator

PUBLIC = agents_pb2.AGENT_VISIBILITY_TENANT


def _agent(name: str = "helper", **overrides: Any) -> agents_pb2.Agent:
    values: dict[str, Any] = {
        "name": name,
        "description": "answers questions",
        "system_prompt_template": "You are {{persona}}.",
        "template_variables": {"persona": "a helpful assistant"},
        "model": "gpt-4o-mini",
        "parameters": generation_pb2.ModelParameters(temperature=0.3, max_tokens=512, stop=["END"]),
        "tools": ["calculator", "current_time"],
        "knowledge_base_ids": ["kb-1"],
        "max_tool_steps": 4,
    }
    values.update(overrides)
    return agents_pb2.Agent(**values)


async def _create(orch: Orchestrator, who: Any = ALICE, **overrides: Any) -> agents_pb2.Agent:
    response = await orch.stub.CreateAgent(
        agents_pb2.CreateAgentRequest(agent=_agent(**overrides)), metadata=who
    )
    return response.agent


async def _error(call: Any) -> tuple[grpc.StatusCode, list[str]]:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    code, _, details = parse_rpc_error(caught.value)
    fields = [
        v.field for d in details if isinstance(d, error_details_pb2.BadRequest) for v in d.field_violations
    ]
    return code, fields


async def test_create_and_get(orchestrator: Orchestrator) -> None:
    created = await _create(orchestrator)
    assert created.id and created.etag
    assert (created.tenant_id, created.owner_user_id) == ("t1", "alice")
    assert created.visibility == agents_pb2.AGENT_VISIBILITY_PRIVATE
    assert created.parameters.temperature == pytest.approx(0.3)
    assert created.parameters.HasField("max_tokens") and not created.parameters.HasField("top_p")
    assert created.max_tool_steps == 4
    fetched = (
        await orchestrator.stub.GetAgent(agents_pb2.GetAgentRequest(agent_id=created.id), metadata=ALICE)
    ).agent
    assert fetched == created


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": " "}, "agent.name"),
        ({"model": "gpt 4"}, "agent.model"),
        ({"parameters": generation_pb2.ModelParameters(temperature=2.5)}, "agent.parameters.temperature"),
        ({"parameters": generation_pb2.ModelParameters(top_p=0)}, "agent.parameters.top_p"),
        ({"parameters": generation_pb2.ModelParameters(max_tokens=0)}, "agent.parameters.max_tokens"),
        (
            {"parameters": generation_pb2.ModelParameters(reasoning_effort="huge")},
            "agent.parameters.reasoning_effort",
        ),
        ({"tools": ["calculator", "no_such_tool"]}, "agent.tools[1]"),
        ({"knowledge_base_ids": ["bad id!"]}, "agent.knowledge_base_ids[0]"),
        ({"max_tool_steps": 0}, "agent.max_tool_steps"),
        ({"template_variables": {"1bad": "x"}}, "agent.template_variables[1bad]"),
    ],
)
async def test_invalid_agents_are_rejected(
    orchestrator: Orchestrator, overrides: dict[str, Any], field: str
) -> None:
    code, fields = await _error(_create(orchestrator, **overrides))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert fields == [field]


async def test_names_are_unique_per_tenant(orchestrator: Orchestrator) -> None:
    await _create(orchestrator, name="same")
    code, _ = await _error(_create(orchestrator, BOB, name="same"))
    assert code == grpc.StatusCode.ALREADY_EXISTS
    other = await _create(orchestrator, OTHER_ADMIN, name="same", tools=[])
    assert other.tenant_id == "t2"


async def test_users_without_permission_cannot_create(orchestrator: Orchestrator) -> None:
    code, _ = await _error(_create(orchestrator, CAROL))
    assert code == grpc.StatusCode.PERMISSION_DENIED


async def test_visibility_and_tenant_isolation(orchestrator: Orchestrator) -> None:
    private = await _create(orchestrator, name="alice-private")
    shared = await _create(orchestrator, name="team", visibility=PUBLIC)
    for who in (BOB, OTHER_ADMIN):
        code, _ = await _error(
            orchestrator.stub.GetAgent(agents_pb2.GetAgentRequest(agent_id=private.id), metadata=who)
        )
        assert code == grpc.StatusCode.NOT_FOUND
    seen = await orchestrator.stub.GetAgent(agents_pb2.GetAgentRequest(agent_id=shared.id), metadata=CAROL)
    assert seen.agent.name == "team"
    code, _ = await _error(
        orchestrator.stub.GetAgent(agents_pb2.GetAgentRequest(agent_id=shared.id), metadata=OTHER_ADMIN)
    )
    assert code == grpc.StatusCode.NOT_FOUND
    listed = await orchestrator.stub.ListAgents(agents_pb2.ListAgentsRequest(), metadata=BOB)
    assert [a.name for a in listed.agents] == ["team"]
    listed = await orchestrator.stub.ListAgents(agents_pb2.ListAgentsRequest(), metadata=ALICE)
    assert [a.name for a in listed.agents] == ["alice-private", "team"]
    listed = await orchestrator.stub.ListAgents(agents_pb2.ListAgentsRequest(), metadata=OTHER_ADMIN)
    assert list(listed.agents) == []
    code, _ = await _error(
        orchestrator.stub.DeleteAgent(
            agents_pb2.DeleteAgentRequest(agent_id=private.id), metadata=OTHER_ADMIN
        )
    )
    assert code == grpc.StatusCode.NOT_FOUND


async def test_list_pages_and_filters(orchestrator: Orchestrator) -> None:
    for name in ("alpha", "beta", "gamma", "delta-team"):
        await _create(orchestrator, name=name, visibility=PUBLIC if name.endswith("team") else 0)
    first = await orchestrator.stub.ListAgents(agents_pb2.ListAgentsRequest(page_size=3), metadata=ALICE)
    assert [a.name for a in first.agents] == ["alpha", "beta", "delta-team"]
    second = await orchestrator.stub.ListAgents(
        agents_pb2.ListAgentsRequest(page_size=3, page_token=first.next_page_token), metadata=ALICE
    )
    assert [a.name for a in second.agents] == ["gamma"]
    assert second.next_page_token == ""
    shared = await orchestrator.stub.ListAgents(
        agents_pb2.ListAgentsRequest(visibility=PUBLIC), metadata=ALICE
    )
    assert [a.name for a in shared.agents] == ["delta-team"]
    named = await orchestrator.stub.ListAgents(
        agents_pb2.ListAgentsRequest(name_contains="ET"), metadata=ALICE
    )
    assert [a.name for a in named.agents] == ["beta"]
    code, fields = await _error(
        orchestrator.stub.ListAgents(agents_pb2.ListAgentsRequest(page_token="x"), metadata=ALICE)
    )
    assert (code, fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["page_token"])


async def test_update_with_mask_and_etag(orchestrator: Orchestrator) -> None:
    created = await _create(orchestrator)
    request = agents_pb2.UpdateAgentRequest(
        agent_id=created.id,
        agent=agents_pb2.Agent(description="new", model="ignored", etag=created.etag),
        update_mask=field_mask_pb2.FieldMask(paths=["description", "parameters.temperature"]),
    )
    updated = (await orchestrator.stub.UpdateAgent(request, metadata=ALICE)).agent
    assert (updated.description, updated.model) == ("new", "gpt-4o-mini")
    assert not updated.parameters.HasField("temperature")
    assert updated.parameters.max_tokens == 512
    assert updated.etag != created.etag
    code, _ = await _error(orchestrator.stub.UpdateAgent(request, metadata=ALICE))
    assert code == grpc.StatusCode.ABORTED
    bad_mask = agents_pb2.UpdateAgentRequest(
        agent_id=created.id,
        agent=agents_pb2.Agent(),
        update_mask=field_mask_pb2.FieldMask(paths=["owner_user_id"]),
    )
    code, fields = await _error(orchestrator.stub.UpdateAgent(bad_mask, metadata=ALICE))
    assert (code, fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["update_mask"])
    invalid = agents_pb2.UpdateAgentRequest(agent_id=created.id, agent=agents_pb2.Agent(tools=["nope"]))
    code, fields = await _error(orchestrator.stub.UpdateAgent(invalid, metadata=ALICE))
    assert (code, fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["agent.tools[0]"])


async def test_only_the_owner_changes_visibility(orchestrator: Orchestrator) -> None:
    shared = await _create(orchestrator, name="team", visibility=PUBLIC)
    edit = agents_pb2.UpdateAgentRequest(agent_id=shared.id, agent=agents_pb2.Agent(description="by bob"))
    assert (await orchestrator.stub.UpdateAgent(edit, metadata=BOB)).agent.description == "by bob"
    hide = agents_pb2.UpdateAgentRequest(
        agent_id=shared.id,
        agent=agents_pb2.Agent(visibility=agents_pb2.AGENT_VISIBILITY_PRIVATE),
        update_mask=field_mask_pb2.FieldMask(paths=["visibility"]),
    )
    code, _ = await _error(orchestrator.stub.UpdateAgent(hide, metadata=BOB))
    assert code == grpc.StatusCode.PERMISSION_DENIED
    assert (
        await orchestrator.stub.UpdateAgent(hide, metadata=ALICE)
    ).agent.visibility == hide.agent.visibility


async def test_delete_with_etag(orchestrator: Orchestrator) -> None:
    created = await _create(orchestrator)
    code, _ = await _error(
        orchestrator.stub.DeleteAgent(
            agents_pb2.DeleteAgentRequest(agent_id=created.id, etag="stale"), metadata=ALICE
        )
    )
    assert code == grpc.StatusCode.ABORTED
    await orchestrator.stub.DeleteAgent(
        agents_pb2.DeleteAgentRequest(agent_id=created.id, etag=created.etag), metadata=ALICE
    )
    code, _ = await _error(
        orchestrator.stub.GetAgent(agents_pb2.GetAgentRequest(agent_id=created.id), metadata=ALICE)
    )
    assert code == grpc.StatusCode.NOT_FOUND


async def test_store_reads_the_latest_version_for_the_next_turn(orchestrator: Orchestrator) -> None:
    created = await _create(orchestrator)
    store = orchestrator.deps.agents
    assert store is not None
    assert (await store.get("t1", created.id)).model == "gpt-4o-mini"
    await orchestrator.stub.UpdateAgent(
        agents_pb2.UpdateAgentRequest(agent_id=created.id, agent=agents_pb2.Agent(model="claude-3-5-sonnet")),
        metadata=ALICE,
    )
    assert (await store.get("t1", created.id)).model == "claude-3-5-sonnet"
    for tenant, agent_id in (
        ("t2", created.id),
        ("t1", "not-a-uuid"),
        ("t1", "00000000-0000-0000-0000-000000000000"),
    ):
        with pytest.raises(NotFound):
            await store.get(tenant, agent_id)
