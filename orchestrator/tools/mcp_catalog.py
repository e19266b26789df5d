"""Each tenant's MCP tools, listed from its enabled servers and reused for a short TTL.

Tools are named ``<server name>__<tool name>`` (tools.proto) and filtered by the
server's ``allowed_tools``. A server that cannot be reached contributes no tools and
has its state set to ERROR with the reason; the others still work. The API invalidates
a tenant's listing when its servers change on this instance; other instances pick the
change up when their TTL runs out.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import time
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from jsonschema.exceptions import SchemaError
from sqlalchemy.ext.asyncio import AsyncEngine

from mesh.secrets import SecretBox, SecretDecryptError
from orchestrator.domain.stdio_policy import StdioPolicy
from orchestrator.store import mcp_servers as mcp_store
from orchestrator.tools import mcp_client
from orchestrator.tools.errors import ToolError
from orchestrator.tools.mcp_client import McpServerConfig, McpToolInfo
from orchestrator.tools.registry import ToolEntry, make_validator

__all__ = ["LISTING_TIMEOUT_SECONDS", "SEPARATOR", "McpCatalog", "tool_name"]

log = logging.getLogger(__name__)

SEPARATOR = "__"
LISTING_TIMEOUT_SECONDS = 15.0
_CALLABLE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def tool_name(server: str, tool: str) -> str:
    return f"{server}{SEPARATOR}{tool}"


@dataclass(frozen=True)
class _Listing:
    expires: float
    tools: list[ToolEntry]


class McpCatalog:
    """The registry's provider of tenant tools (orchestrator.tools.registry.ToolProvider)."""

    def __init__(
        self,
        engine: AsyncEngine,
        secrets: SecretBox,
        *,
        ttl: float,
        private_hosts: Collection[str] = (),
        stdio: StdioPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._secrets = secrets
        self._ttl = ttl
        self._private_hosts = tuple(private_hosts)
        self._stdio = stdio or StdioPolicy()  # none given: no stdio server may start
        self._clock = clock
        self._listings: dict[str, _Listing] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    @property
    def secrets(self) -> SecretBox:
        """The box server secrets are sealed with (the admin API stores through it)."""
        return self._secrets

    def invalidate(self, tenant_id: str) -> None:
        self._listings.pop(tenant_id, None)

    async def tools(self, tenant_id: str) -> list[ToolEntry]:
        listing = self._listings.get(tenant_id)
        if listing is not None and listing.expires > self._clock():
            return listing.tools
        lock = self._locks.setdefault(tenant_id, asyncio.Lock())
        async with lock:
            listing = self._listings.get(tenant_id)
            if listing is not None and listing.expires > self._clock():
                return listing.tools
            tools = await self._load(tenant_id)
            self._listings[tenant_id] = _Listing(self._clock() + self._ttl, tools)
            return tools

    async def probe(self, config: McpServerConfig) -> tuple[list[McpToolInfo], str]:
        """(tools, "") when the server answers, ([], reason) when it does not; state recorded."""
        try:
            async with asyncio.timeout(min(config.timeout, LISTING_TIMEOUT_SECONDS)):
                infos = await mcp_client.list_tools(
                    config, private_hosts=self._private_hosts, stdio=self._stdio
                )
        except TimeoutError:
            infos, error = [], f"listing tools took longer than {LISTING_TIMEOUT_SECONDS:g} s"
        except ToolError as exc:
            infos, error = [], str(exc)
        else:
            error = ""
        offered = [i for i in infos if not config.allowed_tools or i.name in config.allowed_tools]
        async with self._engine.begin() as conn:
            state = "error" if error else "ready"
            await mcp_store.set_state(conn, uuid.UUID(config.id), state, error, len(offered))
        return offered, error

    async def _load(self, tenant_id: str) -> list[ToolEntry]:
        async with self._engine.connect() as conn:
            rows = await mcp_store.enabled_servers(conn, tenant_id)
        configs = []
        for row in rows:
            try:
                configs.append(mcp_store.config_of(self._secrets, row))
            except SecretDecryptError:
                log.warning("MCP server %s of tenant %s: its secrets do not decrypt", row["id"], tenant_id)
                async with self._engine.begin() as conn:
                    message = "its stored secrets do not decrypt with this secret key; set env/headers again"
                    await mcp_store.set_state(conn, row["id"], "error", message, 0)
        results = await asyncio.gather(*(self.probe(c) for c in configs))
        tools: list[ToolEntry] = []
        for config, (infos, _) in zip(configs, results, strict=True):
            tools.extend(e for e in (self._entry(config, i) for i in infos) if e is not None)
        return sorted(tools, key=lambda t: t.name)

    def _entry(self, config: McpServerConfig, info: McpToolInfo) -> ToolEntry | None:
        name = tool_name(config.name, info.name)
        if not _CALLABLE_NAME.match(name):
            log.info("MCP tool %r of server %s skipped: not a callable name", info.name, config.name)
            return None
        schema: dict[str, Any] = info.input_schema or {"type": "object", "properties": {}}
        try:
            validator = make_validator(schema)
        except SchemaError:
            log.info("MCP tool %r of server %s skipped: invalid input schema", info.name, config.name)
            return None
        run = functools.partial(self._call, config, info.name)
        return ToolEntry(
            name=name,
            display_name=info.title or info.name,
            description=info.description,
            parameters=schema,
            run=run,
            validator=validator,
            source="mcp",
            mcp_server_id=config.id,
            timeout=config.timeout,
        )

    async def _call(self, config: McpServerConfig, tool: str, arguments: dict[str, Any]) -> str:
        return await mcp_client.call_tool(
            config, tool, arguments, private_hosts=self._private_hosts, stdio=self._stdio
        )
