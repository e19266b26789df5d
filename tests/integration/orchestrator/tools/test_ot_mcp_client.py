"""The MCP client against the fake MCP server, over stdio and over streamable HTTP."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import sys

import pytest

from orchestrator.domain.stdio_policy import StdioPolicy
from orchestrator.tools.errors import ToolError
from orchestrator.tools.mcp_client import McpServerConfig, call_tool, list_tools
from tests.fakes.mcp_server import STDIO_SCRIPT, serve_http

ALLOWED = StdioPolicy.of([sys.executable, "/nonexistent/mcp"], {sys.executable: [re.escape(STDIO_SCRIPT)]})

STDIO = McpServerConfig(
    id="s1",
    tenant_id="t1",
    name="fake",
    transport="stdio",
    command=sys.executable,
    args=(STDIO_SCRIPT,),
    env={"FAKE_MCP_GREETING": "hi "},
)


async def test_stdio_lists_and_calls_tools() -> None:
    tools = {t.name: t for t in await list_tools(STDIO, stdio=ALLOWED)}
    assert set(tools) == {"add", "echo", "sleep", "explode"}
    assert tools["add"].description == "Adds two integers."
    assert tools["add"].input_schema["required"] == ["a", "b"]
    assert await call_tool(STDIO, "add", {"a": 2, "b": 40}, stdio=ALLOWED) == "42"
    assert await call_tool(STDIO, "echo", {"text": "there"}, stdio=ALLOWED) == "hi there"


async def test_stdio_tool_errors_become_tool_errors() -> None:
    with pytest.raises(ToolError, match="boom"):
        await call_tool(STDIO, "explode", {}, stdio=ALLOWED)


async def test_stdio_server_that_cannot_start() -> None:
    broken = McpServerConfig(
        id="s2", tenant_id="t1", name="broken", transport="stdio", command="/nonexistent/mcp"
    )
    with pytest.raises(ToolError, match="'broken' is unreachable"):
        await list_tools(broken, stdio=ALLOWED)


async def test_stdio_servers_start_only_as_the_operator_allows_now() -> None:
    """Stored under looser settings (or written to the table directly): refused before anything runs."""
    for config in (
        STDIO,  # no policy given: nothing may start
        dataclasses.replace(STDIO, env={"LD_PRELOAD": "/tmp/evil.so"}),
        dataclasses.replace(STDIO, args=("-c", "print(1)")),
    ):
        policy = None if config is STDIO else ALLOWED
        with pytest.raises(ToolError, match="may not start"):
            await list_tools(config, stdio=policy)


async def test_stdio_call_can_be_cut_short() -> None:
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(1.0):
            await call_tool(STDIO, "sleep", {"seconds": 30}, stdio=ALLOWED)
    assert await call_tool(STDIO, "add", {"a": 1, "b": 1}, stdio=ALLOWED) == "2"


async def test_streamable_http_with_auth_header() -> None:
    async with serve_http(token="s3cret") as url:
        config = McpServerConfig(
            id="h1",
            tenant_id="t1",
            name="web",
            transport="streamable_http",
            url=url,
            headers={"Authorization": "Bearer s3cret"},
        )
        names = {t.name for t in await list_tools(config, private_hosts=["127.0.0.1"])}
        assert names == {"add", "echo", "sleep", "explode"}
        assert await call_tool(config, "add", {"a": 5, "b": 6}, private_hosts=["127.0.0.1"]) == "11"
        with pytest.raises(ToolError, match="boom"):
            await call_tool(config, "explode", {}, private_hosts=["127.0.0.1"])
        unauthorized = McpServerConfig(
            id="h2", tenant_id="t1", name="web", transport="streamable_http", url=url
        )
        with pytest.raises(ToolError, match="unreachable"):
            await list_tools(unauthorized, private_hosts=["127.0.0.1"])


async def test_streamable_http_refuses_private_addresses_not_allowed() -> None:
    config = McpServerConfig(
        id="h3", tenant_id="t1", name="web", transport="streamable_http", url="http://127.0.0.1:9/mcp"
    )
    with pytest.raises(ToolError, match="non-public address"):
        await list_tools(config)
