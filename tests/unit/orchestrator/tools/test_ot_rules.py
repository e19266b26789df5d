"""Pure rules of orch-tools: host patterns, MCP server drafts and agent update masks."""

from __future__ import annotations

import pytest
from chatmesh.orchestrator.v1 import agents_pb2, generation_pb2, tools_pb2

from mesh.errors import InvalidArgument
from mesh.safe_fetch import host_matches
from orchestrator.agents.messages import apply_update, draft_from_message, update_paths
from orchestrator.domain.stdio_policy import StdioPolicy
from orchestrator.tools.mcp_servers import draft_from_message as server_draft
from orchestrator.tools.mcp_servers import validate_server


@pytest.mark.parametrize(
    ("host", "patterns", "allowed"),
    [
        ("example.com", ["example.com"], True),
        ("EXAMPLE.com.", ["example.com"], True),
        ("api.example.com", ["example.com"], False),
        ("api.example.com", ["*.example.com"], True),
        ("example.com", ["*.example.com"], False),
        ("evilexample.com", ["*.example.com"], False),
        ("example.com.evil.net", ["example.com"], False),
    ],
)
def test_host_patterns(host: str, patterns: list[str], allowed: bool) -> None:
    assert host_matches(host, patterns) is allowed


def test_stdio_draft_drops_http_fields_and_needs_a_listed_command() -> None:
    draft = server_draft(
        tools_pb2.McpServer(
            name="files",
            transport=tools_pb2.MCP_TRANSPORT_STDIO,
            command="/usr/bin/mcp-files",
            url="http://ignored/",
            headers={"X": "y"},
        )
    )
    assert draft["timeout_ms"] == 30_000
    assert validate_server(draft, StdioPolicy.of(["/usr/bin/mcp-files"])) == []
    assert (draft["url"], draft["headers"]) == ("", {})
    assert [v.field for v in validate_server(draft, StdioPolicy())] == ["mcp_server.command"]


def test_header_values_cannot_inject_lines() -> None:
    draft = server_draft(
        tools_pb2.McpServer(
            name="web",
            transport=tools_pb2.MCP_TRANSPORT_STREAMABLE_HTTP,
            url="https://mcp.example.com/mcp",
            headers={"Authorization": "Bearer x\r\nX-Evil: 1"},
        )
    )
    assert [v.field for v in validate_server(draft, StdioPolicy())] == ["mcp_server.headers[Authorization]"]


def test_agent_mask_sets_and_clears_single_parameters() -> None:
    stored = draft_from_message(
        agents_pb2.Agent(name="a", parameters=generation_pb2.ModelParameters(temperature=0.5, top_p=0.9))
    )
    change = agents_pb2.Agent(parameters=generation_pb2.ModelParameters(top_p=0.5), description="d")
    updated = apply_update(stored, change, ["parameters.temperature", "parameters.top_p"])
    assert updated["parameters"] == {"top_p": 0.5}
    assert updated["description"] == ""
    assert update_paths(change, []) == ["description", "parameters"]
    with pytest.raises(InvalidArgument):
        update_paths(change, ["parameters.nope"])
    with pytest.raises(InvalidArgument):
        update_paths(change, ["etag"])
