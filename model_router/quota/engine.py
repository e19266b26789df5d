"""Reserve, settle, refund and expire quota: atomic in Postgres, with a ledger that sums to the balance.

Why Postgres conditional updates rather than a Redis script: the ledger row must commit
with the balance change, and the settlement with the usage record and its outbox event;
one transaction gives all of that with no reconciliation step. Each reservation is one
statement in autocommit (one round trip; the account rows stay locked only while it runs)
that locks the charged accounts in id order, checks that every limited one covers the
amount and takes it from all of them or none (``model_router.store.reservations``).

Rules (every amount in quota units, see ``model_router.domain.cost``):

- A reservation is idempotent by ``request_id``: reserving again returns the first one.
- Accounts that do not exist set no limit; ``unlimited`` accounts are charged (their
  balance may go below zero, so the ledger still sums to it) but never refuse.
- Settling charges the exact cost: the difference to the held amount is given back or
  taken. When the cost exceeds what was held and a limited account cannot pay the excess,
  it pays what it has (balance 0, never negative) and the unpaid rest is recorded on the
  reservation as ``shortfall`` (and logged): the request already happened, refusing now
  would only lose the record.
- Refunding returns everything held. A reservation nobody settles is refunded by the
  sweeper once ``expire_at`` passes (state ``expired``); settling it later still charges
  the cost, again never below zero.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mesh.errors import FailedPrecondition, NotFound, QuotaViolation, ResourceExhausted
from model_router.domain.quota_accounts import charged_accounts
from model_router.store import reservations

__all__ = ["DEFAULT_TTL", "Hold", "QuotaEngine", "Reservation"]

log = logging.getLogger(__name__)

DEFAULT_TTL = timedelta(minutes=10)


@dataclass(frozen=True)
class Hold:
    """What to reserve, for whom."""

    request_id: str
    tenant_id: str
    amount: int
    api_key_id: str = ""
    user_id: str = ""
    model: str = ""
    ttl: timedelta = DEFAULT_TTL

    @property
    def account_ids(self) -> list[str]:
        return charged_accounts(self.tenant_id, self.api_key_id, self.user_id)


@dataclass(frozen=True)
class Reservation:
    id: uuid.UUID
    request_id: str
    tenant_id: str
    api_key_id: str
    user_id: str
    account_ids: tuple[str, ...]
    reserved_amount: int
    settled_amount: int
    refunded_amount: int
    shortfall: int
    state: str
    model: str
    created_at: datetime
    expire_at: datetime
    closed_at: datetime | None
    fresh: bool = field(default=False, compare=False)

    @classmethod
    def from_row(cls, row: Any, *, fresh: bool = False) -> Reservation:
        values = dict(row._mapping)
        values.pop("reason", None)
        values["account_ids"] = tuple(values["account_ids"])
        return cls(**values, fresh=fresh)


class QuotaEngine:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    # ---- reserve ----

    async def reserve(self, hold: Hold, *, keep_without_accounts: bool = True) -> Reservation | None:
        """Hold ``hold.amount`` on every account of the request, or raise ResourceExhausted.

        With ``keep_without_accounts=False`` nothing is written (and None returned) when the
        request has no account at all: an unlimited request leaves no reservation behind.
        """
        if hold.amount < 0:
            raise ValueError("a reservation amount is never negative")
        rid = uuid.uuid4()
        params = {
            "rid": rid,
            "request_id": hold.request_id,
            "tenant_id": hold.tenant_id,
            "api_key_id": hold.api_key_id,
            "user_id": hold.user_id,
            "ids": hold.account_ids,
            "amount": hold.amount,
            "model": hold.model,
            "ttl": max(int(hold.ttl.total_seconds()), 1),
            "keep": keep_without_accounts,
        }
        async with self._sessions() as session:
            rows = await reservations.reserve(session, params)
        first = rows[0]
        accounts = [row for row in rows if row.id is not None]
        if first.reservation_id is None:
            if first.seen or (first.ok and (accounts or keep_without_accounts)):
                return await self.get_by_request(hold.request_id)  # idempotent replay (or a racing twin)
            if not first.ok:
                try:
                    return await self.get_by_request(hold.request_id)
                except NotFound:
                    raise _exhausted(hold, accounts) from None
            return None
        return Reservation(
            id=rid,
            request_id=hold.request_id,
            tenant_id=hold.tenant_id,
            api_key_id=hold.api_key_id,
            user_id=hold.user_id,
            account_ids=tuple(first.account_ids),
            reserved_amount=hold.amount,
            settled_amount=0,
            refunded_amount=0,
            shortfall=0,
            state="reserved",
            model=hold.model,
            created_at=first.created_at,
            expire_at=first.expire_at,
            closed_at=None,
            fresh=True,
        )

    # ---- settle / refund / expire ----

    async def settle(self, session: AsyncSession, reservation_id: uuid.UUID, amount: int) -> Reservation:
        """Charge exactly ``amount`` in the caller's transaction (commit is the caller's)."""
        if amount < 0:
            raise ValueError("a settled amount is never negative")
        current = await self._read(session, reservation_id, lock=True)
        if current.state == "settled":
            if current.settled_amount == amount:
                return current
            raise FailedPrecondition(
                "the reservation is already settled with another amount", reason="RESERVATION_SETTLED"
            )
        if current.state == "refunded":
            raise FailedPrecondition("the reservation was refunded", reason="RESERVATION_REFUNDED")
        held = current.reserved_amount if current.state == "reserved" else 0
        takes = await self._apply(session, current, held=held, delta=amount - held, kind="settle")
        shortfall = max((amount - held - take for take in takes), default=0)
        if shortfall > 0:
            log.warning(
                "settlement exceeded the balance; the rest is unpaid",
                extra={"reservation_id": str(current.id), "shortfall": shortfall},
            )
        return await self._close(
            session,
            current,
            state="settled",
            settled_amount=amount,
            refunded_amount=current.refunded_amount if current.state == "expired" else max(held - amount, 0),
            shortfall=max(shortfall, 0),
        )

    async def refund(
        self, session: AsyncSession, reservation_id: uuid.UUID, reason: str = "", *, kind: str = "refund"
    ) -> Reservation:
        """Return everything held (``kind="expire"`` when the sweeper does it)."""
        current = await self._read(session, reservation_id, lock=True)
        if current.state in ("refunded", "expired"):
            return current
        if current.state == "settled":
            raise FailedPrecondition("the reservation is already settled", reason="RESERVATION_SETTLED")
        held = current.reserved_amount
        await self._apply(session, current, held=held, delta=-held, kind=kind, reason=reason)
        state = "expired" if kind == "expire" else "refunded"
        return await self._close(session, current, state=state, refunded_amount=held, reason=reason)

    async def expire_due(self, limit: int = 100) -> int:
        """Refund up to ``limit`` expired reservations; one transaction each, safe across instances."""
        expired = 0
        for _ in range(limit):
            async with self._sessions() as session, session.begin():
                due = await reservations.next_due(session)
                if due is None:
                    break
                await self.refund(session, due, "not settled before it expired", kind="expire")
                expired += 1
        return expired

    # ---- reads ----

    async def get(self, reservation_id: uuid.UUID) -> Reservation:
        async with self._sessions() as session:
            return await self._read(session, reservation_id, lock=False)

    async def get_by_request(self, request_id: str) -> Reservation:
        async with self._sessions() as session:
            row = await reservations.by_request(session, request_id)
        if row is None:
            raise NotFound("reservation not found", reason="RESERVATION_NOT_FOUND")
        return Reservation.from_row(row)

    # ---- steps ----

    async def _read(self, session: AsyncSession, reservation_id: uuid.UUID, *, lock: bool) -> Reservation:
        row = await reservations.read(session, reservation_id, lock=lock)
        if row is None:
            raise NotFound(
                "reservation not found",
                reason="RESERVATION_NOT_FOUND",
                metadata={"reservation_id": str(reservation_id)},
            )
        return Reservation.from_row(row)

    async def _apply(
        self,
        session: AsyncSession,
        current: Reservation,
        *,
        held: int,
        delta: int,
        kind: str,
        reason: str = "",
    ) -> list[int]:
        if not current.account_ids:
            return []
        return await reservations.apply_to_accounts(
            session,
            {
                "ids": list(current.account_ids),
                "held": held,
                "delta": delta,
                "kind": kind,
                "rid": current.id,
                "request_id": current.request_id,
                "reason": reason,
            },
        )

    async def _close(self, session: AsyncSession, current: Reservation, **values: Any) -> Reservation:
        return Reservation.from_row(await reservations.close(session, current.id, values))


def _exhausted(hold: Hold, accounts: Sequence[Any]) -> ResourceExhausted:
    short = [row for row in accounts if not row.unlimited and row.balance < hold.amount]
    violations = [
        QuotaViolation(row.id, f"needs {hold.amount} quota units, {row.balance} available") for row in short
    ]
    return ResourceExhausted(
        "The quota cannot cover this request.",
        violations,
        reason="QUOTA_EXHAUSTED",
        metadata={"account_ids": ",".join(row.id for row in short), "required": str(hold.amount)},
    )
