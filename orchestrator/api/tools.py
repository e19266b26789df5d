"""Tool RPCs: ListTools and GetTool show what the caller's turns may call (built-ins and the
tenant's MCP tools, with their JSON Schemas); the MCP server RPCs come from McpServersApi.

Reading the tool list needs ``chat:create``, the permission turns need anyway.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import grpc
from chatmesh.orchestrator.v1 import tools_pb2
from google.protobuf import json_format, struct_pb2

from mesh.authz import require
from mesh.errors import FieldViolation, InvalidArgument, NotFound, Unavailable
from mesh.paging import decode_offset, encode_offset, page_size
from orchestrator.api.agents import caller
from orchestrator.api.mcp_servers import McpServersApi
from orchestrator.tools.registry import ToolEntry, ToolRegistry

if TYPE_CHECKING:
    from orchestrator.deps import OrchestratorDeps

__all__ = ["READ_PERMISSION", "ToolsApi"]

READ_PERMISSION = "chat:create"
_SOURCES = {"builtin": tools_pb2.TOOL_SOURCE_BUILTIN, "mcp": tools_pb2.TOOL_SOURCE_MCP}


class ToolsApi(McpServersApi):
    """ListTools, GetTool and the MCP server RPCs."""

    deps: OrchestratorDeps

    def _registry(self) -> ToolRegistry:
        if not isinstance(self.deps.tools, ToolRegistry):
            raise Unavailable("tools are not configured in this deployment", reason="TOOLS_UNAVAILABLE")
        return self.deps.tools

    def _message(self, entry: ToolEntry) -> tools_pb2.Tool:
        tool = tools_pb2.Tool(
            name=entry.name,
            display_name=entry.display_name,
            description=entry.description,
            parameters=json_format.ParseDict(entry.parameters, struct_pb2.Struct()),
            source=_SOURCES[entry.source],
            mcp_server_id=entry.mcp_server_id,
        )
        tool.timeout.FromMilliseconds(round(1000 * (entry.timeout or self.deps.config.tool_timeout_seconds)))
        return tool

    async def ListTools(
        self, request: tools_pb2.ListToolsRequest, context: grpc.aio.ServicerContext
    ) -> tools_pb2.ListToolsResponse:
        await require(READ_PERMISSION)
        tenant_id, _ = caller()
        size = page_size(request.page_size, 100, 1000)
        offset = decode_offset(request.page_token)
        if request.source not in (tools_pb2.TOOL_SOURCE_UNSPECIFIED, *_SOURCES.values()):
            raise InvalidArgument("bad source", [FieldViolation("source", "BUILTIN or MCP")])
        catalog = await self._registry().catalog(tenant_id)
        entries = sorted(catalog.values(), key=lambda e: e.name)
        if request.source:
            entries = [e for e in entries if _SOURCES[e.source] == request.source]
        page = entries[offset : offset + size]
        return tools_pb2.ListToolsResponse(
            tools=[self._message(e) for e in page],
            next_page_token=encode_offset(offset + size) if offset + size < len(entries) else "",
        )

    async def GetTool(
        self, request: tools_pb2.GetToolRequest, context: grpc.aio.ServicerContext
    ) -> tools_pb2.GetToolResponse:
        await require(READ_PERMISSION)
        tenant_id, _ = caller()
        entry = (await self._registry().catalog(tenant_id)).get(request.tool_id)
        if entry is None:
            raise NotFound("tool not found", reason="TOOL_NOT_FOUND", metadata={"tool_id": request.tool_id})
        return tools_pb2.GetToolResponse(tool=self._message(entry))
