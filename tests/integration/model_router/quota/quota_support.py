"""Helpers for the quota tests: unique ids, funded accounts, and ledger/balance reads straight from SQL."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from model_router.domain.quota_accounts import AccountRef, account_id
from model_router.quota.ledger import Adjustment, QuotaLedger
from model_router.store.tables import quota_accounts, quota_ledger


@dataclass(frozen=True)
class Payers:
    tenant_id: str
    api_key_id: str
    user_id: str

    @property
    def tenant(self) -> str:
        return account_id("tenant", self.tenant_id)

    @property
    def key(self) -> str:
        return account_id("api_key", self.api_key_id)


def new_payers() -> Payers:
    return Payers(f"t-{uuid.uuid4().hex[:10]}", f"k-{uuid.uuid4().hex[:10]}", f"u-{uuid.uuid4().hex[:10]}")


async def fund(sessions: async_sessionmaker[AsyncSession], kind: str, owner: str, amount: int) -> None:
    await QuotaLedger(sessions).adjust(Adjustment(AccountRef(kind, owner), amount, reason="test top-up"))


async def balance(sessions: async_sessionmaker[AsyncSession], account: str) -> tuple[int, int, int]:
    """(balance, reserved, used) of one account."""
    async with sessions() as session:
        row = (
            await session.execute(
                select(quota_accounts.c.balance, quota_accounts.c.reserved, quota_accounts.c.used).where(
                    quota_accounts.c.id == account
                )
            )
        ).one()
    return int(row.balance), int(row.reserved), int(row.used)


async def ledger_sum(sessions: async_sessionmaker[AsyncSession], account: str) -> int:
    async with sessions() as session:
        total = (
            await session.execute(
                select(func.coalesce(func.sum(quota_ledger.c.amount), 0)).where(
                    quota_ledger.c.account_id == account
                )
            )
        ).scalar_one()
    return int(total)


async def lowest_balance_after(sessions: async_sessionmaker[AsyncSession], account: str) -> int:
    async with sessions() as session:
        lowest = (
            await session.execute(
                select(func.min(quota_ledger.c.balance_after)).where(quota_ledger.c.account_id == account)
            )
        ).scalar_one()
    return int(lowest)
