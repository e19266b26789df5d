"""The queries of ``model_router.routing_rules`` (migration 0005), SQLAlchemy Core.

Arms are a JSONB array on the rule row: a rule is always validated, read and written whole.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from model_router.domain.routing_rules import RouteArmSpec, RuleSpec
from model_router.store.tables import routing_rules

# Redis pub/sub channel (mesh.invalidation) an admin change publishes on after its commit.
RULES_CHANGED = "model_router:routing_rules:changed"

__all__ = [
    "RULES_CHANGED",
    "create_rule",
    "delete_rule",
    "fingerprint",
    "get_rule",
    "list_rules",
    "rule_values",
    "spec_from_row",
    "update_rule",
]


def rule_values(rule: RuleSpec) -> dict[str, Any]:
    return {
        "name": rule.name,
        "model_alias": rule.model_alias,
        "arms": [
            {
                "name": a.name,
                "target_model": a.target_model,
                "percent": a.percent,
                "channel_ids": list(a.channel_ids),
            }
            for a in rule.arms
        ],
        "sticky": rule.sticky,
        "groups": list(rule.groups),
        "enabled": rule.enabled,
        "priority": rule.priority,
        "description": rule.description,
    }


def spec_from_row(row: dict[str, Any]) -> RuleSpec:
    arms = tuple(
        RouteArmSpec(
            name=str(a.get("name", "")),
            target_model=str(a.get("target_model", "")),
            percent=int(a.get("percent", 0)),
            channel_ids=tuple(str(c) for c in a.get("channel_ids") or ()),
        )
        for a in row["arms"] or []
        if isinstance(a, dict)
    )
    return RuleSpec(
        id=str(row["id"]),
        name=row["name"],
        model_alias=row["model_alias"],
        arms=arms,
        sticky=row["sticky"],
        groups=tuple(row["groups"] or ()),
        enabled=row["enabled"],
        priority=row["priority"],
        description=row["description"],
    )


async def create_rule(conn: AsyncConnection, values: dict[str, Any]) -> dict[str, Any]:
    result = await conn.execute(insert(routing_rules).values(**values).returning(*routing_rules.c))
    return dict(result.mappings().one())


async def get_rule(
    conn: AsyncConnection, rule_id: uuid.UUID, *, for_update: bool = False
) -> dict[str, Any] | None:
    query = select(routing_rules).where(routing_rules.c.id == rule_id)
    if for_update:
        query = query.with_for_update()
    row = (await conn.execute(query)).mappings().first()
    return dict(row) if row is not None else None


async def list_rules(
    conn: AsyncConnection, *, model_alias: str = "", offset: int = 0, limit: int | None = None
) -> list[dict[str, Any]]:
    query = select(routing_rules).order_by(routing_rules.c.model_alias, routing_rules.c.name)
    if model_alias:
        query = query.where(routing_rules.c.model_alias == model_alias)
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return [dict(row) for row in (await conn.execute(query)).mappings()]


async def update_rule(conn: AsyncConnection, rule_id: uuid.UUID, values: dict[str, Any]) -> dict[str, Any]:
    """``updated_at`` from the clock, not the transaction start, so etags change on every write."""
    result = await conn.execute(
        update(routing_rules)
        .where(routing_rules.c.id == rule_id)
        .values(**values, updated_at=func.clock_timestamp())
        .returning(*routing_rules.c)
    )
    return dict(result.mappings().one())


async def delete_rule(conn: AsyncConnection, rule_id: uuid.UUID) -> bool:
    result = await conn.execute(delete(routing_rules).where(routing_rules.c.id == rule_id))
    return bool(result.rowcount)


async def fingerprint(conn: AsyncConnection) -> tuple[Any, ...]:
    """Cheap change detector for the periodic reload: row count and latest change."""
    row = (
        await conn.execute(
            select(func.count(), func.max(routing_rules.c.updated_at)).select_from(routing_rules)
        )
    ).one()
    return tuple(row)
