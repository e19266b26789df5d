"""Operator side of quota accounts: top-ups and deductions (idempotent), settings, reads of the ledger.

An adjustment is the only way to change a balance besides requests, and it writes its own
ledger row in the same transaction, so the ledger keeps summing to the balance. A deduction
that would take a limited account below zero is refused rather than clamped: an operator
asked for an exact change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mesh.errors import FailedPrecondition, NotFound
from model_router.domain.quota_accounts import AccountRef
from model_router.store import quota_accounts as accounts

__all__ = ["AccountFilter", "Adjustment", "QuotaLedger"]


@dataclass(frozen=True)
class Adjustment:
    account: AccountRef
    amount: int
    reason: str = ""
    idempotency_key: str = ""
    actor_user_id: str = ""


@dataclass(frozen=True)
class AccountFilter:
    kind: str = ""
    tenant_id: str = ""
    low_balance_only: bool = False


def _not_found(account_id: str) -> NotFound:
    return NotFound(
        "quota account not found", reason="QUOTA_ACCOUNT_NOT_FOUND", metadata={"account_id": account_id}
    )


def _new_account(account: AccountRef) -> dict[str, Any]:
    return {
        "id": account.id,
        "kind": account.kind,
        "owner_id": account.owner_id,
        "tenant_id": account.owner_id if account.kind == "tenant" else "",
    }


class QuotaLedger:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def adjust(self, change: Adjustment) -> tuple[Any, Any]:
        """(account row, ledger row); a repeated idempotency key returns the first adjustment's entry."""
        try:
            return await self._adjust(change)
        except IntegrityError as exc:
            if change.idempotency_key and "idempotency_key" in str(exc.orig):
                return await self._replayed(change)
            raise

    async def _adjust(self, change: Adjustment) -> tuple[Any, Any]:
        account_id = change.account.id
        async with self._sessions() as session, session.begin():
            if change.idempotency_key and (replay := await self._entry_for_key(session, change)) is not None:
                return await self._account(session, account_id), replay
            await accounts.open_account(session, _new_account(change.account))
            account = await accounts.add_to_balance(session, account_id, change.amount)
            if account is None:
                raise FailedPrecondition(
                    "the deduction is larger than the balance", reason="QUOTA_BALANCE_TOO_LOW"
                )
            entry = await accounts.append_entry(
                session,
                {
                    "account_id": account_id,
                    "kind": "adjust",
                    "amount": change.amount,
                    "balance_after": account.balance,
                    "reason": change.reason,
                    "actor_user_id": change.actor_user_id,
                    "idempotency_key": change.idempotency_key or None,
                },
            )
            return account, entry

    async def _replayed(self, change: Adjustment) -> tuple[Any, Any]:
        async with self._sessions() as session:
            entry = await self._entry_for_key(session, change)
            assert entry is not None
            return await self._account(session, change.account.id), entry

    async def _entry_for_key(self, session: AsyncSession, change: Adjustment) -> Any:
        return await accounts.entry_for_key(session, change.account.id, change.idempotency_key)

    async def update_settings(self, account: AccountRef, values: dict[str, Any]) -> Any:
        """Change ``unlimited`` / ``low_balance_threshold``, creating the account (balance 0) if missing."""
        try:
            async with self._sessions() as session, session.begin():
                return await accounts.upsert_settings(session, _new_account(account), values)
        except IntegrityError as exc:
            if accounts.BALANCE_COVERED in str(exc.orig):
                raise FailedPrecondition(
                    "the account owes units: top it up before limiting it", reason="QUOTA_BALANCE_NEGATIVE"
                ) from None
            raise

    async def account(self, account_id: str) -> Any:
        async with self._sessions() as session:
            return await self._account(session, account_id)

    async def _account(self, session: AsyncSession, account_id: str) -> Any:
        row = await accounts.get_account(session, account_id)
        if row is None:
            raise _not_found(account_id)
        return row

    async def accounts(self, where: AccountFilter, offset: int, limit: int) -> list[Any]:
        async with self._sessions() as session:
            return await accounts.list_accounts(
                session,
                kind=where.kind,
                tenant_id=where.tenant_id,
                low_balance_only=where.low_balance_only,
                offset=offset,
                limit=limit,
            )

    async def entries(
        self, account_id: str, start: datetime | None, end: datetime | None, offset: int, limit: int
    ) -> list[Any]:
        async with self._sessions() as session:
            return await accounts.list_entries(session, account_id, start, end, offset, limit)
