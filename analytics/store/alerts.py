"""Alert rules and their incidents: CRUD, the due-rule claim, and the window metric reads."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.store.tables import alert_events, alert_rules

__all__ = [
    "claim_due",
    "delete_rule",
    "get_rule",
    "insert_event",
    "insert_rule",
    "list_events",
    "list_rules",
    "update_event",
    "update_rule",
]


async def insert_rule(session: AsyncSession, values: dict[str, Any]) -> Row[Any] | None:
    """The new row, or None when the tenant already has a rule of that name."""
    try:
        async with session.begin_nested():
            result = await session.execute(pg_insert(alert_rules).values(values).returning(alert_rules))
            return result.one()
    except IntegrityError:
        return None


async def get_rule(
    session: AsyncSession, tenant_id: str, rule_id: uuid.UUID, *, lock: bool = False
) -> Row[Any] | None:
    statement = select(alert_rules).where(alert_rules.c.id == rule_id, alert_rules.c.tenant_id == tenant_id)
    if lock:
        statement = statement.with_for_update()
    return (await session.execute(statement)).first()


async def list_rules(
    session: AsyncSession, tenant_id: str, state: str, offset: int, limit: int
) -> list[Row[Any]]:
    statement = select(alert_rules).where(alert_rules.c.tenant_id == tenant_id)
    if state:
        statement = statement.where(alert_rules.c.state == state)
    statement = statement.order_by(alert_rules.c.name).offset(offset).limit(limit)
    return list((await session.execute(statement)).all())


async def update_rule(session: AsyncSession, rule_id: uuid.UUID, values: dict[str, Any]) -> Row[Any] | None:
    """Apply ``values``; None when the new name is taken in the tenant."""
    values = {**values, "updated_at": func.now(), "etag": alert_rules.c.etag + 1}
    try:
        async with session.begin_nested():
            statement = (
                update(alert_rules).where(alert_rules.c.id == rule_id).values(values).returning(alert_rules)
            )
            return (await session.execute(statement)).one()
    except IntegrityError:
        return None


async def delete_rule(session: AsyncSession, tenant_id: str, rule_id: uuid.UUID) -> bool:
    statement = alert_rules.delete().where(alert_rules.c.id == rule_id, alert_rules.c.tenant_id == tenant_id)
    result = await session.execute(statement)
    return bool(getattr(result, "rowcount", 0))


async def claim_due(session: AsyncSession, now: datetime, limit: int) -> list[Row[Any]]:
    """Enabled rules due for evaluation, locked; rules another instance holds are skipped."""
    c = alert_rules.c
    due = or_(
        c.last_evaluated_at.is_(None),
        c.last_evaluated_at <= now - func.make_interval(0, 0, 0, 0, 0, 0, c.evaluation_seconds),
    )
    statement = (
        select(alert_rules)
        .where(and_(c.enabled, due))
        .order_by(c.last_evaluated_at.nulls_first())
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.execute(statement)).all())


async def insert_event(session: AsyncSession, values: dict[str, Any]) -> uuid.UUID:
    result = await session.execute(pg_insert(alert_events).values(values).returning(alert_events.c.id))
    return uuid.UUID(str(result.scalar_one()))


async def update_event(session: AsyncSession, event_id: uuid.UUID, values: dict[str, Any]) -> None:
    await session.execute(update(alert_events).where(alert_events.c.id == event_id).values(values))


async def list_events(
    session: AsyncSession,
    tenant_id: str,
    *,
    rule_id: uuid.UUID | None,
    state: str,
    start: datetime | None,
    end: datetime | None,
    offset: int,
    limit: int,
) -> list[Row[Any]]:
    c = alert_events.c
    clauses = [c.tenant_id == tenant_id]
    if rule_id is not None:
        clauses.append(c.rule_id == rule_id)
    if state:
        clauses.append(c.state == state)
    if start is not None:
        clauses.append(c.fired_at >= start)
    if end is not None:
        clauses.append(c.fired_at < end)
    statement = (
        select(alert_events)
        .where(and_(*clauses))
        .order_by(c.fired_at.desc(), c.id)
        .offset(offset)
        .limit(limit)
    )
    return list((await session.execute(statement)).all())
