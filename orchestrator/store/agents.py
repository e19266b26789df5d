"""Agent queries (table in tables.py), every one scoped by tenant.

``version`` counts updates and backs the etag.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import (
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from mesh.errors import NotFound
from orchestrator.store.tables import agents

__all__ = [
    "AgentFilter",
    "agents",
    "delete_agent",
    "get_agent",
    "insert_agent",
    "list_agents",
    "not_found",
    "parse_agent_id",
    "patch_agent",
]


def parse_agent_id(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def not_found(agent_id: str) -> NotFound:
    return NotFound("agent not found", reason="AGENT_NOT_FOUND", metadata={"agent_id": agent_id})


class AgentFilter:
    """Which agents a caller sees: the tenant's shared ones and their own."""

    def __init__(
        self, tenant_id: str, user_id: str, *, visibility: str = "", name_contains: str = ""
    ) -> None:
        self.tenant_id = tenant_id
        self.user_id = user_id
        self.visibility = visibility
        self.name_contains = name_contains

    def clauses(self) -> list[Any]:
        found = [
            agents.c.tenant_id == self.tenant_id,
            or_(agents.c.visibility == "tenant", agents.c.owner_user_id == self.user_id),
        ]
        if self.visibility:
            found.append(agents.c.visibility == self.visibility)
        if self.name_contains:
            escaped = self.name_contains.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            found.append(agents.c.name.ilike(f"%{escaped}%", escape="\\"))
        return found


async def insert_agent(conn: AsyncConnection, values: Mapping[str, Any]) -> dict[str, Any]:
    row = (await conn.execute(insert(agents).values(id=uuid.uuid4(), **values).returning(agents))).one()
    return dict(row._mapping)


async def get_agent(
    conn: AsyncConnection, tenant_id: str, agent_id: uuid.UUID, *, for_update: bool = False
) -> dict[str, Any] | None:
    query = select(agents).where(agents.c.tenant_id == tenant_id, agents.c.id == agent_id)
    row = (await conn.execute(query.with_for_update() if for_update else query)).one_or_none()
    return dict(row._mapping) if row else None


async def list_agents(
    conn: AsyncConnection, flt: AgentFilter, *, offset: int, limit: int
) -> list[dict[str, Any]]:
    query = (
        select(agents).where(*flt.clauses()).order_by(agents.c.name, agents.c.id).offset(offset).limit(limit)
    )
    return [dict(r._mapping) for r in await conn.execute(query)]


async def patch_agent(
    conn: AsyncConnection, tenant_id: str, agent_id: uuid.UUID, values: Mapping[str, Any]
) -> dict[str, Any]:
    query = (
        update(agents)
        .where(agents.c.tenant_id == tenant_id, agents.c.id == agent_id)
        .values(**values, version=agents.c.version + 1, update_time=func.now())
        .returning(agents)
    )
    return dict((await conn.execute(query)).one()._mapping)


async def delete_agent(conn: AsyncConnection, tenant_id: str, agent_id: uuid.UUID) -> None:
    await conn.execute(delete(agents).where(agents.c.tenant_id == tenant_id, agents.c.id == agent_id))
