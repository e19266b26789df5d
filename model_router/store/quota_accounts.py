"""Queries of quota accounts and their ledger (the rows reservations do not touch through their own SQL).

Every balance change here comes with one ledger row written by the caller in the same
transaction, so the ledger keeps summing to the balance.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, desc, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from model_router.store.tables import quota_accounts, quota_ledger

__all__ = [
    "BALANCE_COVERED",
    "add_to_balance",
    "append_entry",
    "entry_for_key",
    "get_account",
    "last_key_with_prefix",
    "list_accounts",
    "list_entries",
    "open_account",
    "set_balance",
    "upsert_settings",
]

# The check constraint refusing a limited account with a negative balance.
BALANCE_COVERED = "ck_quota_accounts_balance_covered"


async def open_account(session: AsyncSession, values: dict[str, Any]) -> None:
    """Create the account (balance 0) unless it exists."""
    await session.execute(pg_insert(quota_accounts).values(values).on_conflict_do_nothing())


async def get_account(session: AsyncSession, account_id: str, *, lock: bool = False) -> Row[Any] | None:
    query = select(quota_accounts).where(quota_accounts.c.id == account_id)
    return (await session.execute(query.with_for_update() if lock else query)).first()


async def add_to_balance(session: AsyncSession, account_id: str, amount: int) -> Row[Any] | None:
    """Add ``amount``; None when that would take a limited account below zero (nothing changes)."""
    return (
        await session.execute(
            update(quota_accounts)
            .where(quota_accounts.c.id == account_id)
            .where(quota_accounts.c.unlimited | (quota_accounts.c.balance + amount >= 0))
            .values(balance=quota_accounts.c.balance + amount, updated_at=func.now())
            .returning(*quota_accounts.c)
        )
    ).first()


async def set_balance(session: AsyncSession, account_id: str, *, balance: int, unlimited: bool) -> None:
    await session.execute(
        update(quota_accounts)
        .where(quota_accounts.c.id == account_id)
        .values(balance=balance, unlimited=unlimited, updated_at=func.now())
    )


async def upsert_settings(
    session: AsyncSession, new_account: dict[str, Any], values: dict[str, Any]
) -> Row[Any]:
    """Write ``values`` on the account, creating it from ``new_account`` first if missing."""
    statement = (
        pg_insert(quota_accounts)
        .values({**new_account, **values})
        .on_conflict_do_update(index_elements=["id"], set_={**values, "updated_at": func.now()})
        .returning(*quota_accounts.c)
    )
    return (await session.execute(statement)).one()


async def list_accounts(
    session: AsyncSession, *, kind: str, tenant_id: str, low_balance_only: bool, offset: int, limit: int
) -> list[Row[Any]]:
    """One page in id order, plus one row to tell whether more follow."""
    query: Select[Any] = select(quota_accounts)
    if kind:
        query = query.where(quota_accounts.c.kind == kind)
    if tenant_id:
        query = query.where(quota_accounts.c.tenant_id == tenant_id)
    if low_balance_only:
        query = query.where(quota_accounts.c.balance < quota_accounts.c.low_balance_threshold)
    query = query.order_by(quota_accounts.c.id).offset(offset).limit(limit + 1)
    return list((await session.execute(query)).all())


async def append_entry(session: AsyncSession, values: dict[str, Any]) -> Row[Any]:
    return (await session.execute(quota_ledger.insert().values(values).returning(*quota_ledger.c))).one()


async def entry_for_key(session: AsyncSession, account_id: str, idempotency_key: str) -> Row[Any] | None:
    query = select(quota_ledger).where(
        quota_ledger.c.account_id == account_id, quota_ledger.c.idempotency_key == idempotency_key
    )
    return (await session.execute(query)).first()


async def last_key_with_prefix(session: AsyncSession, account_id: str, prefix: str) -> str | None:
    """The idempotency key of the account's newest ledger row whose key starts with ``prefix``."""
    return (
        await session.execute(
            select(quota_ledger.c.idempotency_key)
            .where(quota_ledger.c.account_id == account_id, quota_ledger.c.idempotency_key.like(f"{prefix}%"))
            .order_by(desc(quota_ledger.c.id))
            .limit(1)
        )
    ).scalar_one_or_none()


async def list_entries(
    session: AsyncSession,
    account_id: str,
    start: datetime | None,
    end: datetime | None,
    offset: int,
    limit: int,
) -> list[Row[Any]]:
    """Newest first, plus one row to tell whether more follow."""
    query = select(quota_ledger).where(quota_ledger.c.account_id == account_id)
    if start is not None:
        query = query.where(quota_ledger.c.created_at >= start)
    if end is not None:
        query = query.where(quota_ledger.c.created_at < end)
    query = query.order_by(quota_ledger.c.id.desc()).offset(offset).limit(limit + 1)
    return list((await session.execute(query)).all())
