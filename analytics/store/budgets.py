"""Budgets and their notices: CRUD, the due claim, and once-per-period notice records."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.store.tables import budget_notices, budgets

__all__ = [
    "claim_all",
    "delete_budget",
    "get_budget",
    "insert_budget",
    "list_budgets",
    "record_notice",
    "set_spent",
]


async def insert_budget(session: AsyncSession, values: dict[str, Any]) -> Row[Any] | None:
    """The new row, or None when the tenant already has a budget of that name."""
    try:
        async with session.begin_nested():
            return (await session.execute(pg_insert(budgets).values(values).returning(budgets))).one()
    except IntegrityError:
        return None


async def get_budget(session: AsyncSession, tenant_id: str, budget_id: uuid.UUID) -> Row[Any] | None:
    statement = select(budgets).where(budgets.c.id == budget_id, budgets.c.tenant_id == tenant_id)
    return (await session.execute(statement)).first()


async def list_budgets(session: AsyncSession, tenant_id: str, offset: int, limit: int) -> list[Row[Any]]:
    statement = (
        select(budgets)
        .where(budgets.c.tenant_id == tenant_id)
        .order_by(budgets.c.name)
        .offset(offset)
        .limit(limit)
    )
    return list((await session.execute(statement)).all())


async def delete_budget(session: AsyncSession, tenant_id: str, budget_id: uuid.UUID) -> bool:
    statement = budgets.delete().where(budgets.c.id == budget_id, budgets.c.tenant_id == tenant_id)
    result = await session.execute(statement)
    return bool(getattr(result, "rowcount", 0))


async def claim_all(session: AsyncSession, after: uuid.UUID | None, limit: int) -> list[Row[Any]]:
    """The next ``limit`` budgets by id after ``after``, locked; those another instance holds are skipped."""
    statement = select(budgets).order_by(budgets.c.id).limit(limit).with_for_update(skip_locked=True)
    if after is not None:
        statement = statement.where(budgets.c.id > after)
    return list((await session.execute(statement)).all())


async def record_notice(
    session: AsyncSession, budget_id: uuid.UUID, period_start: datetime, threshold: float, spent: int
) -> bool:
    """True when this threshold of this period was not announced yet (and now is recorded)."""
    statement = (
        pg_insert(budget_notices)
        .values(budget_id=budget_id, period_start=period_start, threshold=threshold, spent=spent)
        .on_conflict_do_nothing()
        .returning(budget_notices.c.budget_id)
    )
    return (await session.execute(statement)).first() is not None


async def set_spent(
    session: AsyncSession, budget_id: uuid.UUID, spent: int, period_start: datetime, now: datetime
) -> None:
    await session.execute(
        update(budgets)
        .where(budgets.c.id == budget_id)
        .values(spent=spent, period_start=period_start, last_evaluated_at=now)
    )
