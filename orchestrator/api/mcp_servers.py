"""MCP server RPCs (tenant admin): create, get, list, update (field mask), delete.

Reads need ``mcp_servers:read``, changes ``mcp_servers:update`` (super_admin holds both
through ``*:*``). Servers belong to the caller's tenant. A created or changed enabled
server is asked for its tools right away, so the answer shows its state and tool count;
an unreachable server is still saved (state ERROR with the reason).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import grpc
from chatmesh.orchestrator.v1 import tools_pb2
from sqlalchemy.exc import IntegrityError

from mesh.authz import require
from mesh.errors import AlreadyExists, FieldViolation, InvalidArgument, NotFound, Unavailable
from mesh.paging import decode_offset, encode_offset, page_size
from orchestrator.api.agents import caller
from orchestrator.config import stdio_policy
from orchestrator.store import mcp_servers as mcp_store
from orchestrator.tools.mcp_catalog import McpCatalog
from orchestrator.tools.mcp_servers import (
    apply_update,
    draft_from_message,
    server_message,
    update_paths,
    validate_server,
)
from orchestrator.tools.registry import ToolRegistry

if TYPE_CHECKING:
    from orchestrator.deps import OrchestratorDeps

__all__ = ["MCP_READ_PERMISSION", "MCP_UPDATE_PERMISSION", "McpServersApi"]

MCP_READ_PERMISSION = "mcp_servers:read"
MCP_UPDATE_PERMISSION = "mcp_servers:update"
_SECRET_FIELDS = ("env", "headers")


def _server_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidArgument(
            "bad mcp_server_id", [FieldViolation("mcp_server_id", "not a valid id")]
        ) from None


def _not_found(server_id: uuid.UUID) -> NotFound:
    return NotFound(
        "MCP server not found", reason="MCP_SERVER_NOT_FOUND", metadata={"mcp_server_id": str(server_id)}
    )


def _name_taken(name: str) -> AlreadyExists:
    return AlreadyExists(
        "an MCP server with this name exists", reason="MCP_SERVER_NAME_TAKEN", metadata={"name": name}
    )


class McpServersApi:
    deps: OrchestratorDeps

    def _catalog(self) -> McpCatalog:
        registry = self.deps.tools
        provider = registry.provider if isinstance(registry, ToolRegistry) else None
        if not isinstance(provider, McpCatalog):
            raise Unavailable("MCP servers are not configured in this deployment", reason="MCP_UNAVAILABLE")
        return provider

    def _values(self, catalog: McpCatalog, draft: dict[str, Any]) -> dict[str, Any]:
        values = {k: v for k, v in draft.items() if k not in _SECRET_FIELDS}
        return values | mcp_store.seal_secrets(catalog.secrets, draft["env"], draft["headers"])

    def _check(self, draft: dict[str, Any]) -> None:
        bad = validate_server(draft, stdio_policy(self.deps.config))
        if bad:
            raise InvalidArgument("invalid MCP server", bad)

    async def _refreshed(
        self, catalog: McpCatalog, tenant_id: str, row: dict[str, Any]
    ) -> tools_pb2.McpServer:
        catalog.invalidate(tenant_id)
        if row["enabled"]:
            await catalog.probe(mcp_store.config_of(catalog.secrets, row))
            async with self.deps.engine.connect() as conn:
                row = await mcp_store.get_server(conn, tenant_id, row["id"]) or row
        return server_message(row)

    async def CreateMcpServer(
        self, request: tools_pb2.CreateMcpServerRequest, context: grpc.aio.ServicerContext
    ) -> tools_pb2.CreateMcpServerResponse:
        await require(MCP_UPDATE_PERMISSION)
        tenant_id, _ = caller()
        catalog = self._catalog()
        draft = draft_from_message(request.mcp_server)
        self._check(draft)
        try:
            async with self.deps.engine.begin() as conn:
                row = await mcp_store.insert_server(
                    conn, {**self._values(catalog, draft), "tenant_id": tenant_id}
                )
        except IntegrityError:
            raise _name_taken(draft["name"]) from None
        return tools_pb2.CreateMcpServerResponse(mcp_server=await self._refreshed(catalog, tenant_id, row))

    async def GetMcpServer(
        self, request: tools_pb2.GetMcpServerRequest, context: grpc.aio.ServicerContext
    ) -> tools_pb2.GetMcpServerResponse:
        await require(MCP_READ_PERMISSION)
        tenant_id, _ = caller()
        server_id = _server_id(request.mcp_server_id)
        async with self.deps.engine.connect() as conn:
            row = await mcp_store.get_server(conn, tenant_id, server_id)
        if row is None:
            raise _not_found(server_id)
        return tools_pb2.GetMcpServerResponse(mcp_server=server_message(row))

    async def ListMcpServers(
        self, request: tools_pb2.ListMcpServersRequest, context: grpc.aio.ServicerContext
    ) -> tools_pb2.ListMcpServersResponse:
        await require(MCP_READ_PERMISSION)
        tenant_id, _ = caller()
        size = page_size(request.page_size, 50, 1000)
        offset = decode_offset(request.page_token)
        async with self.deps.engine.connect() as conn:
            rows = await mcp_store.list_servers(conn, tenant_id, offset=offset, limit=size + 1)
        return tools_pb2.ListMcpServersResponse(
            mcp_servers=[server_message(r) for r in rows[:size]],
            next_page_token=encode_offset(offset + size) if len(rows) > size else "",
        )

    async def UpdateMcpServer(
        self, request: tools_pb2.UpdateMcpServerRequest, context: grpc.aio.ServicerContext
    ) -> tools_pb2.UpdateMcpServerResponse:
        await require(MCP_UPDATE_PERMISSION)
        tenant_id, _ = caller()
        catalog = self._catalog()
        server_id = _server_id(request.mcp_server_id)
        paths = update_paths(request.mcp_server, list(request.update_mask.paths))
        try:
            async with self.deps.engine.begin() as conn:
                row = await mcp_store.get_server(conn, tenant_id, server_id, for_update=True)
                if row is None:
                    raise _not_found(server_id)
                env, headers = mcp_store.open_secrets(catalog.secrets, row)
                current = {
                    k: row[k] for k in ("name", "transport", "command", "args", "url", "allowed_tools")
                }
                current |= {
                    "enabled": row["enabled"],
                    "timeout_ms": row["timeout_ms"],
                    "env": env,
                    "headers": headers,
                }
                draft = apply_update(current, request.mcp_server, paths)
                self._check(draft)
                values = self._values(catalog, draft) | {"state": "unspecified", "state_message": ""}
                updated = await mcp_store.patch_server(conn, tenant_id, server_id, values)
                assert updated is not None  # locked above
        except IntegrityError:
            raise _name_taken(request.mcp_server.name) from None
        return tools_pb2.UpdateMcpServerResponse(
            mcp_server=await self._refreshed(catalog, tenant_id, updated)
        )

    async def DeleteMcpServer(
        self, request: tools_pb2.DeleteMcpServerRequest, context: grpc.aio.ServicerContext
    ) -> tools_pb2.DeleteMcpServerResponse:
        await require(MCP_UPDATE_PERMISSION)
        tenant_id, _ = caller()
        catalog = self._catalog()
        server_id = _server_id(request.mcp_server_id)
        async with self.deps.engine.begin() as conn:
            if not await mcp_store.delete_server(conn, tenant_id, server_id):
                raise _not_found(server_id)
        catalog.invalidate(tenant_id)
        return tools_pb2.DeleteMcpServerResponse()
