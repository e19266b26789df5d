"""Talking to one MCP server with the official ``mcp`` SDK: list its tools, call one.

Each operation opens its own session (spawn or connect, initialize, request, close).
Listings are cached by orchestrator.tools.mcp_catalog, so sessions are opened for calls
and for the occasional refresh only; a fresh session per call keeps a crashed or
wedged server from poisoning later turns, and its lifetime stays inside the calling
task (the SDK's task groups must be entered and left by the same task).

The SDK is imported on first use: importing it costs more than a second of CPU, which
every orchestrator start would pay even where no tenant configures an MCP server.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mesh.safe_fetch import FetchPolicy, FetchRefused, httpx2_transport
from orchestrator.domain.stdio_policy import StdioPolicy
from orchestrator.tools.errors import ToolError

if TYPE_CHECKING:
    from mcp import ClientSession

__all__ = ["McpServerConfig", "McpToolInfo", "call_tool", "list_tools"]

log = logging.getLogger(__name__)

MAX_LISTED_PAGES = 20


@dataclass(frozen=True)
class McpServerConfig:
    """Everything needed to reach one server, secrets decrypted (never logged or returned)."""

    id: str
    tenant_id: str
    name: str
    transport: str  # "stdio" | "streamable_http"
    command: str = ""
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict, repr=False)
    url: str = ""
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    allowed_tools: tuple[str, ...] = ()
    enabled: bool = True
    timeout: float = 30.0


@dataclass(frozen=True)
class McpToolInfo:
    name: str
    title: str
    description: str
    input_schema: dict[str, Any]


@asynccontextmanager
async def _session(
    config: McpServerConfig, private_hosts: Collection[str], stdio: StdioPolicy
) -> AsyncIterator[ClientSession]:
    import httpx2
    from mcp import ClientSession, StdioServerParameters, stdio_client
    from mcp.client.streamable_http import streamable_http_client

    if config.transport == "stdio":
        refused = stdio.violations(config.command, config.args, config.env)
        if refused:
            # Saved under looser settings than the operator's current ones: not started.
            raise ToolError(f"MCP server {config.name!r} may not start: {refused[0].description}")
        params = StdioServerParameters(command=config.command, args=list(config.args), env=dict(config.env))
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            yield session
        return
    policy = FetchPolicy.of(None, private_hosts)
    try:
        await policy.check(config.url)  # a clear refusal up front; the connections are guarded anyway
    except FetchRefused as refused:
        raise ToolError(str(refused)) from None
    timeout = httpx2.Timeout(config.timeout, read=config.timeout)
    http_client = httpx2.AsyncClient(
        headers=dict(config.headers), timeout=timeout, transport=httpx2_transport(policy), trust_env=False
    )
    async with (
        http_client as http,
        streamable_http_client(config.url, http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


def _describe(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(_describe(e) for e in exc.exceptions)
    return str(exc) or type(exc).__name__


async def list_tools(
    config: McpServerConfig, *, private_hosts: Collection[str] = (), stdio: StdioPolicy | None = None
) -> list[McpToolInfo]:
    """The tools the server lists (all pages), or ToolError saying why it could not be reached."""
    from mcp.types import PaginatedRequestParams

    try:
        async with _session(config, private_hosts, stdio or StdioPolicy()) as session:
            tools: list[McpToolInfo] = []
            result = await session.list_tools()
            for _ in range(MAX_LISTED_PAGES):
                tools.extend(
                    McpToolInfo(t.name, t.title or "", t.description or "", dict(t.input_schema or {}))
                    for t in result.tools
                )
                if not result.next_cursor:
                    break
                result = await session.list_tools(params=PaginatedRequestParams(cursor=result.next_cursor))
            return tools
    except ToolError:
        raise
    except Exception as exc:
        raise ToolError(f"MCP server {config.name!r} is unreachable: {_describe(exc)}") from None


def _text_of(content: list[Any]) -> str:
    parts: list[str] = []
    for block in content:
        text = getattr(block, "text", None)
        if isinstance(text, str):
            parts.append(text)
        else:
            parts.append(f"[{getattr(block, 'type', 'content')} omitted]")
    return "\n".join(parts)


async def call_tool(
    config: McpServerConfig,
    tool: str,
    arguments: dict[str, Any],
    *,
    private_hosts: Collection[str] = (),
    stdio: StdioPolicy | None = None,
) -> str:
    """The tool's text result; ToolError when the server reports an error or cannot be reached."""
    try:
        async with _session(config, private_hosts, stdio or StdioPolicy()) as session:
            result = await session.call_tool(tool, arguments)
    except ToolError:
        raise
    except Exception as exc:
        raise ToolError(f"MCP server {config.name!r} failed: {_describe(exc)}") from None
    text = _text_of(list(result.content))
    if not text and result.structured_content is not None:
        text = json.dumps(result.structured_content, ensure_ascii=False)
    if result.is_error:
        raise ToolError(text or f"{tool} reported an error")
    return text
