"""MCP server admin RPCs and the tools they contribute: stdio and streamable HTTP, per tenant."""

from __future__ import annotations

import json
import sys
from typing import Any

import grpc
import pytest
from chatmesh.orchestrator.v1 import tools_pb2
from google.protobuf import duration_pb2, field_mask_pb2, json_format
from google.rpc import error_details_pb2
from sqlalchemy import select, update

from mesh.errors import parse_rpc_error
from orchestrator.store.mcp_servers import mcp_servers
from tests.fakes.mcp_server import STDIO_SCRIPT, serve_http
from tests.integration.orchestrator.tools.ot_harness import ADMIN, ALICE, CAROL, OTHER_ADMIN, Orchestrator

READY = tools_pb2.MCP_SERVER_STATE_READY


def _stdio(name: str = "fake", **overrides: Any) -> tools_pb2.McpServer:
    values: dict[str, Any] = {
        "name": name,
        "transport": tools_pb2.MCP_TRANSPORT_STDIO,
        "command": sys.executable,
        "args": [STDIO_SCRIPT],
        "env": {"FAKE_MCP_GREETING": "secret-greeting "},
        "enabled": True,
    }
    values.update(overrides)
    return tools_pb2.McpServer(**values)


async def _create(orch: Orchestrator, server: tools_pb2.McpServer, who: Any = ADMIN) -> tools_pb2.McpServer:
    response = await orch.stub.CreateMcpServer(
        tools_pb2.CreateMcpServerRequest(mcp_server=server), metadata=who
    )
    return response.mcp_server


async def _error(call: Any) -> tuple[grpc.StatusCode, list[str]]:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    code, _, details = parse_rpc_error(caught.value)
    fields = [
        v.field for d in details if isinstance(d, error_details_pb2.BadRequest) for v in d.field_violations
    ]
    return code, fields


async def _tool_names(orch: Orchestrator, who: Any = ADMIN, source: Any = 0) -> list[str]:
    response = await orch.stub.ListTools(tools_pb2.ListToolsRequest(source=source), metadata=who)
    return [t.name for t in response.tools]


async def test_stdio_server_tools_are_listed_and_callable(orchestrator: Orchestrator) -> None:
    created = await _create(orchestrator, _stdio())
    assert (created.state, created.tool_count, created.state_message) == (READY, 4, "")
    assert not created.env and created.timeout.seconds == 30
    assert await _tool_names(orchestrator, source=tools_pb2.TOOL_SOURCE_MCP) == [
        "fake__add",
        "fake__echo",
        "fake__explode",
        "fake__sleep",
    ]
    tool = (
        await orchestrator.stub.GetTool(tools_pb2.GetToolRequest(tool_id="fake__add"), metadata=CAROL)
    ).tool
    assert tool.source == tools_pb2.TOOL_SOURCE_MCP and tool.mcp_server_id == created.id
    assert json_format.MessageToDict(tool.parameters)["required"] == ["a", "b"]
    registry = orchestrator.registry
    outcome = await registry.call("t1", "fake__echo", json.dumps({"text": "hello"}), timeout=30)
    assert (outcome.status, outcome.output) == ("succeeded", "secret-greeting hello")
    outcome = await registry.call("t1", "fake__add", json.dumps({"a": "x", "b": 1}), timeout=30)
    assert outcome.status == "rejected"
    outcome = await registry.call("t1", "fake__explode", "{}", timeout=30)
    assert (outcome.status, outcome.error) == ("failed", "Error executing tool explode: boom")
    outcome = await registry.call("t1", "fake__sleep", json.dumps({"seconds": 30}), timeout=0.5)
    assert outcome.status == "timed_out"
    specs = await registry.specs("t1", ["calculator", "fake__add"])
    assert specs[1].parameters["properties"]["a"]["type"] == "integer"


async def test_secrets_are_encrypted_at_rest_and_never_returned(orchestrator: Orchestrator) -> None:
    created = await _create(orchestrator, _stdio())
    async with orchestrator.engine.connect() as conn:
        row = (await conn.execute(select(mcp_servers))).one()._mapping
    assert b"secret-greeting" not in row["env_ciphertext"]
    listed = await orchestrator.stub.ListMcpServers(tools_pb2.ListMcpServersRequest(), metadata=ADMIN)
    assert [s.id for s in listed.mcp_servers] == [created.id]
    assert not listed.mcp_servers[0].env


async def test_tools_are_tenant_scoped(orchestrator: Orchestrator) -> None:
    created = await _create(orchestrator, _stdio())
    assert "fake__add" not in await _tool_names(orchestrator, OTHER_ADMIN)
    outcome = await orchestrator.registry.call("t2", "fake__add", json.dumps({"a": 1, "b": 2}), timeout=30)
    assert outcome.status == "rejected"
    code, _ = await _error(
        orchestrator.stub.GetMcpServer(
            tools_pb2.GetMcpServerRequest(mcp_server_id=created.id), metadata=OTHER_ADMIN
        )
    )
    assert code == grpc.StatusCode.NOT_FOUND


async def test_update_filters_disables_and_delete_removes(orchestrator: Orchestrator) -> None:
    created = await _create(orchestrator, _stdio())
    only_add = tools_pb2.UpdateMcpServerRequest(
        mcp_server_id=created.id,
        mcp_server=tools_pb2.McpServer(allowed_tools=["add"]),
        update_mask=field_mask_pb2.FieldMask(paths=["allowed_tools"]),
    )
    updated = (await orchestrator.stub.UpdateMcpServer(only_add, metadata=ADMIN)).mcp_server
    assert updated.tool_count == 1
    assert [n for n in await _tool_names(orchestrator) if "__" in n] == ["fake__add"]
    assert (
        await orchestrator.registry.call("t1", "fake__echo", '{"text": "x"}', timeout=30)
    ).status == "rejected"
    disable = tools_pb2.UpdateMcpServerRequest(
        mcp_server_id=created.id,
        mcp_server=tools_pb2.McpServer(enabled=False),
        update_mask=field_mask_pb2.FieldMask(paths=["enabled"]),
    )
    disabled = (await orchestrator.stub.UpdateMcpServer(disable, metadata=ADMIN)).mcp_server
    assert disabled.state == tools_pb2.MCP_SERVER_STATE_DISABLED
    assert await _tool_names(orchestrator, source=tools_pb2.TOOL_SOURCE_MCP) == []
    await orchestrator.stub.DeleteMcpServer(
        tools_pb2.DeleteMcpServerRequest(mcp_server_id=created.id), metadata=ADMIN
    )
    code, _ = await _error(
        orchestrator.stub.GetMcpServer(
            tools_pb2.GetMcpServerRequest(mcp_server_id=created.id), metadata=ADMIN
        )
    )
    assert code == grpc.StatusCode.NOT_FOUND


async def test_streamable_http_server_with_secret_header(orchestrator: Orchestrator) -> None:
    async with serve_http(token="tok-123") as url:
        server = tools_pb2.McpServer(
            name="web",
            transport=tools_pb2.MCP_TRANSPORT_STREAMABLE_HTTP,
            url=url,
            headers={"Authorization": "Bearer tok-123"},
            enabled=True,
            timeout=duration_pb2.Duration(seconds=10),
        )
        created = await _create(orchestrator, server)
        assert (created.state, created.tool_count) == (READY, 4)
        assert not created.headers and created.url == url
        outcome = await orchestrator.registry.call(
            "t1", "web__add", json.dumps({"a": 20, "b": 22}), timeout=30
        )
        assert (outcome.status, outcome.output) == ("succeeded", "42")
        wrong = tools_pb2.UpdateMcpServerRequest(
            mcp_server_id=created.id,
            mcp_server=tools_pb2.McpServer(headers={"Authorization": "Bearer wrong"}),
            update_mask=field_mask_pb2.FieldMask(paths=["headers"]),
        )
        broken = (await orchestrator.stub.UpdateMcpServer(wrong, metadata=ADMIN)).mcp_server
        assert broken.state == tools_pb2.MCP_SERVER_STATE_ERROR
        assert "unreachable" in broken.state_message
        assert [n for n in await _tool_names(orchestrator) if n.startswith("web__")] == []


async def test_unreachable_server_is_saved_with_its_error(orchestrator: Orchestrator) -> None:
    created = await _create(orchestrator, _stdio(name="broken", args=["/nonexistent/broken.py"], env={}))
    assert created.state == tools_pb2.MCP_SERVER_STATE_ERROR
    assert created.state_message
    assert "calculator" in await _tool_names(orchestrator)


@pytest.mark.parametrize(
    ("server", "field"),
    [
        (_stdio(name="Bad Name"), "mcp_server.name"),
        (_stdio(name="a__b"), "mcp_server.name"),
        (_stdio(command="/bin/sh"), "mcp_server.command"),
        (_stdio(transport=tools_pb2.MCP_TRANSPORT_UNSPECIFIED), "mcp_server.transport"),
        (_stdio(env={"BAD-KEY": "x"}), "mcp_server.env[BAD-KEY]"),
        # The command is allowed; arguments and environment that run other code are not (issue 10).
        (_stdio(args=["-cimport os; os.system('id')"]), "mcp_server.args[0]"),
        (_stdio(args=[STDIO_SCRIPT, "--extra"]), "mcp_server.args[1]"),
        (_stdio(env={"LD_PRELOAD": "/tmp/evil.so"}), "mcp_server.env[LD_PRELOAD]"),
        (_stdio(env={"NODE_OPTIONS": "--require /tmp/x.js"}), "mcp_server.env[NODE_OPTIONS]"),
        (_stdio(env={"pythonstartup": "/tmp/x.py"}), "mcp_server.env[pythonstartup]"),
        (_stdio(timeout=duration_pb2.Duration(seconds=0, nanos=5)), "mcp_server.timeout"),
        (
            tools_pb2.McpServer(
                name="web", transport=tools_pb2.MCP_TRANSPORT_STREAMABLE_HTTP, url="ftp://x/"
            ),
            "mcp_server.url",
        ),
    ],
)
async def test_invalid_servers_are_rejected(
    orchestrator: Orchestrator, server: tools_pb2.McpServer, field: str
) -> None:
    code, fields = await _error(_create(orchestrator, server))
    assert (code, fields) == (grpc.StatusCode.INVALID_ARGUMENT, [field])


async def test_admin_permission_and_unique_names(orchestrator: Orchestrator) -> None:
    code, _ = await _error(_create(orchestrator, _stdio(), ALICE))
    assert code == grpc.StatusCode.PERMISSION_DENIED
    code, _ = await _error(
        orchestrator.stub.ListMcpServers(tools_pb2.ListMcpServersRequest(), metadata=CAROL)
    )
    assert code == grpc.StatusCode.PERMISSION_DENIED
    await _create(orchestrator, _stdio(enabled=False))
    code, _ = await _error(_create(orchestrator, _stdio(enabled=False)))
    assert code == grpc.StatusCode.ALREADY_EXISTS
    other = await _create(orchestrator, _stdio(enabled=False), OTHER_ADMIN)
    assert other.tenant_id == "t2"


async def test_builtins_are_listed_for_everyone(orchestrator: Orchestrator) -> None:
    names = await _tool_names(orchestrator, CAROL, source=tools_pb2.TOOL_SOURCE_BUILTIN)
    assert names == ["calculator", "current_time", "knowledge_search"]
    page = await orchestrator.stub.ListTools(tools_pb2.ListToolsRequest(page_size=2), metadata=CAROL)
    rest = await orchestrator.stub.ListTools(
        tools_pb2.ListToolsRequest(page_size=2, page_token=page.next_page_token), metadata=CAROL
    )
    assert [t.name for t in page.tools] + [t.name for t in rest.tools] == names
    code, _ = await _error(
        orchestrator.stub.GetTool(tools_pb2.GetToolRequest(tool_id="nope"), metadata=CAROL)
    )
    assert code == grpc.StatusCode.NOT_FOUND


async def test_a_server_whose_secrets_do_not_decrypt_is_skipped(orchestrator: Orchestrator) -> None:
    created = await _create(orchestrator, _stdio())
    async with orchestrator.engine.begin() as conn:
        await conn.execute(update(mcp_servers).values(env_ciphertext=b"\x01" + b"0" * 40))
    orchestrator.registry.provider.invalidate("t1")  # type: ignore[union-attr]
    assert await _tool_names(orchestrator) == ["calculator", "current_time", "knowledge_search"]
    server = await orchestrator.stub.GetMcpServer(
        tools_pb2.GetMcpServerRequest(mcp_server_id=created.id), metadata=ADMIN
    )
    assert server.mcp_server.state == tools_pb2.MCP_SERVER_STATE_ERROR
    assert "do not decrypt" in server.mcp_server.state_message
