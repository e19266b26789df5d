"""Building the tool registry for a running orchestrator (called from orchestrator/assembly.py).

Nothing here holds a connection or a task: MCP sessions are opened per operation, and
knowledge's stub is taken from the service clients when a search runs.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from mesh.clients import ServiceClients
from mesh.config import Settings
from mesh.secrets import secret_box
from orchestrator.config import OrchestratorSettings, stdio_policy
from orchestrator.tools.builtins import builtin_tools
from orchestrator.tools.mcp_catalog import McpCatalog
from orchestrator.tools.registry import ToolRegistry

__all__ = ["build_tool_registry"]


def build_tool_registry(
    settings: Settings, config: OrchestratorSettings, engine: AsyncEngine, clients: ServiceClients | None
) -> ToolRegistry:
    """Built-ins plus each tenant's MCP tools; knowledge search goes through ``clients`` when given."""
    knowledge = (lambda: clients.stub("knowledge")) if clients is not None else None
    catalog = McpCatalog(
        engine,
        secret_box(settings),
        ttl=config.mcp_list_ttl_seconds,
        private_hosts=config.mcp_private_hosts,
        stdio=stdio_policy(config),
    )
    return ToolRegistry(builtin_tools(config, knowledge), catalog)
