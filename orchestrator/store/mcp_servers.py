"""MCP server queries (table in tables.py): per-tenant server settings, secrets encrypted at rest.

``env`` (stdio) and ``headers`` (streamable HTTP) may carry credentials, so each is
stored as one SecretBox ciphertext of its JSON, bound to its column by the context.
Every query is scoped by tenant.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import (
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from mesh.secrets import SecretBox
from orchestrator.store.tables import mcp_servers
from orchestrator.tools.mcp_client import McpServerConfig

__all__ = [
    "ENV_CONTEXT",
    "HEADERS_CONTEXT",
    "config_of",
    "count_servers",
    "delete_server",
    "enabled_servers",
    "get_server",
    "insert_server",
    "list_servers",
    "mcp_servers",
    "open_secrets",
    "patch_server",
    "seal_secrets",
    "set_state",
]

ENV_CONTEXT = b"orchestrator.mcp_server.env"
HEADERS_CONTEXT = b"orchestrator.mcp_server.headers"


def _seal(box: SecretBox, mapping: Mapping[str, str], context: bytes) -> bytes | None:
    return box.encrypt(json.dumps(dict(mapping), sort_keys=True), context) if mapping else None


def _open(box: SecretBox, token: bytes | None, context: bytes) -> dict[str, str]:
    return {str(k): str(v) for k, v in json.loads(box.decrypt(token, context)).items()} if token else {}


def seal_secrets(
    box: SecretBox, env: Mapping[str, str], headers: Mapping[str, str]
) -> dict[str, bytes | None]:
    """Column values for the secret maps."""
    return {
        "env_ciphertext": _seal(box, env, ENV_CONTEXT),
        "headers_ciphertext": _seal(box, headers, HEADERS_CONTEXT),
    }


def open_secrets(box: SecretBox, row: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """(env, headers) of a row, decrypted."""
    return _open(box, row["env_ciphertext"], ENV_CONTEXT), _open(
        box, row["headers_ciphertext"], HEADERS_CONTEXT
    )


def config_of(box: SecretBox, row: Mapping[str, Any]) -> McpServerConfig:
    env, headers = open_secrets(box, row)
    return McpServerConfig(
        id=str(row["id"]),
        tenant_id=row["tenant_id"],
        name=row["name"],
        transport=row["transport"],
        command=row["command"],
        args=tuple(row["args"]),
        env=env,
        url=row["url"],
        headers=headers,
        allowed_tools=tuple(row["allowed_tools"]),
        enabled=row["enabled"],
        timeout=row["timeout_ms"] / 1000,
    )


async def insert_server(conn: AsyncConnection, values: Mapping[str, Any]) -> dict[str, Any]:
    row = (
        await conn.execute(insert(mcp_servers).values(id=uuid.uuid4(), **values).returning(mcp_servers))
    ).one()
    return dict(row._mapping)


async def get_server(
    conn: AsyncConnection, tenant_id: str, server_id: uuid.UUID, *, for_update: bool = False
) -> dict[str, Any] | None:
    query = select(mcp_servers).where(mcp_servers.c.tenant_id == tenant_id, mcp_servers.c.id == server_id)
    row = (await conn.execute(query.with_for_update() if for_update else query)).one_or_none()
    return dict(row._mapping) if row else None


async def list_servers(
    conn: AsyncConnection, tenant_id: str, *, offset: int, limit: int
) -> list[dict[str, Any]]:
    query = (
        select(mcp_servers)
        .where(mcp_servers.c.tenant_id == tenant_id)
        .order_by(mcp_servers.c.name, mcp_servers.c.id)
        .offset(offset)
        .limit(limit)
    )
    return [dict(r._mapping) for r in await conn.execute(query)]


async def count_servers(conn: AsyncConnection, tenant_id: str) -> int:
    query = select(func.count()).select_from(mcp_servers).where(mcp_servers.c.tenant_id == tenant_id)
    return int((await conn.execute(query)).scalar_one())


async def enabled_servers(conn: AsyncConnection, tenant_id: str) -> list[dict[str, Any]]:
    query = select(mcp_servers).where(mcp_servers.c.tenant_id == tenant_id, mcp_servers.c.enabled.is_(True))
    return [dict(r._mapping) for r in await conn.execute(query.order_by(mcp_servers.c.name))]


async def patch_server(
    conn: AsyncConnection, tenant_id: str, server_id: uuid.UUID, values: Mapping[str, Any]
) -> dict[str, Any] | None:
    query = (
        update(mcp_servers)
        .where(mcp_servers.c.tenant_id == tenant_id, mcp_servers.c.id == server_id)
        .values(**values, update_time=func.now())
        .returning(mcp_servers)
    )
    row = (await conn.execute(query)).one_or_none()
    return dict(row._mapping) if row else None


async def delete_server(conn: AsyncConnection, tenant_id: str, server_id: uuid.UUID) -> bool:
    query = delete(mcp_servers).where(mcp_servers.c.tenant_id == tenant_id, mcp_servers.c.id == server_id)
    return bool((await conn.execute(query)).rowcount)


async def set_state(
    conn: AsyncConnection, server_id: uuid.UUID, state: str, message: str, tool_count: int
) -> None:
    """Record the outcome of the last listing (not a configuration change: update_time stays)."""
    query = (
        update(mcp_servers)
        .where(mcp_servers.c.id == server_id)
        .values(state=state, state_message=message[:1000], tool_count=tool_count)
    )
    await conn.execute(query)
