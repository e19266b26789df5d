"""Queries of quota reservations: the engine's multi-step statements (each one round trip, written as
SQL: CTE chains read better so) and the single-table reads and writes around them.

Accounts are always locked in id order (``ORDER BY id FOR UPDATE``) so two requests
charging the same accounts queue instead of deadlocking. Under READ COMMITTED a row
locked here is its latest committed version, so every balance check below sees the truth.
Parameters are cast explicitly: asyncpg would otherwise infer ``integer`` for amounts.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, TextClause, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from model_router.store.tables import quota_reservations

__all__ = [
    "APPLY",
    "RESERVE",
    "apply_to_accounts",
    "by_request",
    "close",
    "next_due",
    "read",
    "reserve",
]

# One statement, run in autocommit (one round trip, row locks held only while it runs).
# A request id seen before takes nothing (idempotency). Otherwise it locks the accounts and,
# only when every limited one covers the amount ("both or neither"), inserts the reservation,
# takes the amount from all of them and writes one ledger row per account. With no account
# at all the reservation is written only when ``keep`` asks for it.
RESERVE: TextClause = text(
    """
WITH existing AS (
    SELECT 1 FROM model_router.quota_reservations WHERE request_id = CAST(:request_id AS text)
), locked AS (
    SELECT a.id, a.balance, a.unlimited FROM model_router.quota_accounts a
    WHERE a.id = ANY(CAST(:ids AS text[])) AND NOT EXISTS (SELECT 1 FROM existing)
    ORDER BY a.id FOR UPDATE
), verdict AS (
    SELECT coalesce(bool_and(unlimited OR balance >= CAST(:amount AS bigint)), true) AS ok,
           coalesce(array_agg(id ORDER BY id), '{}'::text[]) AS account_ids
    FROM locked
), ins AS (
    INSERT INTO model_router.quota_reservations
        (id, request_id, tenant_id, api_key_id, user_id, account_ids, reserved_amount, model, expire_at)
    SELECT CAST(:rid AS uuid), CAST(:request_id AS text), CAST(:tenant_id AS text),
           CAST(:api_key_id AS text), CAST(:user_id AS text), v.account_ids,
           CAST(:amount AS bigint), CAST(:model AS text),
           now() + make_interval(secs => CAST(:ttl AS bigint))
    FROM verdict v
    WHERE v.ok AND (cardinality(v.account_ids) > 0 OR CAST(:keep AS boolean))
      AND NOT EXISTS (SELECT 1 FROM existing)
    ON CONFLICT (request_id) DO NOTHING
    RETURNING id, account_ids, created_at, expire_at
), taken AS (
    UPDATE model_router.quota_accounts a
    SET balance = a.balance - CAST(:amount AS bigint),
        reserved = a.reserved + CAST(:amount AS bigint),
        updated_at = now(),
        tenant_id = CASE WHEN a.tenant_id = '' THEN CAST(:tenant_id AS text) ELSE a.tenant_id END
    FROM locked l
    WHERE a.id = l.id AND EXISTS (SELECT 1 FROM ins)
    RETURNING a.id, a.balance
), ledger AS (
    INSERT INTO model_router.quota_ledger
        (account_id, kind, amount, balance_after, reservation_id, request_id)
    SELECT id, 'reserve', -CAST(:amount AS bigint), balance, CAST(:rid AS uuid), CAST(:request_id AS text)
    FROM taken
)
SELECT i.id AS reservation_id, i.account_ids, i.created_at, i.expire_at, v.ok,
       EXISTS (SELECT 1 FROM existing) AS seen, l.id, l.balance, l.unlimited
FROM verdict v LEFT JOIN ins i ON true LEFT JOIN locked l ON true
"""
)

# Releases ``held`` units and moves each account's balance by ``delta`` (positive: take
# more, negative: give back). A limited account gives at most its balance: it never goes
# below zero; what it could not pay comes back as ``take`` < ``delta`` (the shortfall).
# Only settlements count as ``used``.
APPLY: TextClause = text(
    """
WITH locked AS (
    SELECT id, balance, unlimited FROM model_router.quota_accounts
    WHERE id = ANY(CAST(:ids AS text[])) ORDER BY id FOR UPDATE
), charge AS (
    SELECT id,
           CASE WHEN unlimited OR CAST(:delta AS bigint) <= 0 THEN CAST(:delta AS bigint)
                ELSE LEAST(CAST(:delta AS bigint), balance) END AS take
    FROM locked
), changed AS (
    UPDATE model_router.quota_accounts a
    SET balance = a.balance - c.take,
        reserved = a.reserved - CAST(:held AS bigint),
        used = a.used + CASE WHEN CAST(:kind AS text) = 'settle'
                             THEN CAST(:held AS bigint) + c.take ELSE 0 END,
        updated_at = now()
    FROM charge c
    WHERE a.id = c.id
    RETURNING a.id, a.balance, c.take
), ledger AS (
    INSERT INTO model_router.quota_ledger
        (account_id, kind, amount, balance_after, reservation_id, request_id, reason)
    SELECT id, CAST(:kind AS text), -take, balance, CAST(:rid AS uuid), CAST(:request_id AS text),
           CAST(:reason AS text)
    FROM changed
)
SELECT id, take FROM changed
"""
)


async def reserve(session: AsyncSession, params: dict[str, Any]) -> Sequence[Row[Any]]:
    """Run RESERVE in autocommit: one round trip, the account rows locked only while it runs."""
    connection = await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    return (await connection.execute(RESERVE, params)).all()


async def apply_to_accounts(session: AsyncSession, params: dict[str, Any]) -> list[int]:
    """Run APPLY in the caller's transaction; what each account actually paid (``take``)."""
    return [int(row.take) for row in await session.execute(APPLY, params)]


async def read(session: AsyncSession, reservation_id: uuid.UUID, *, lock: bool) -> Row[Any] | None:
    query = select(quota_reservations).where(quota_reservations.c.id == reservation_id)
    return (await session.execute(query.with_for_update() if lock else query)).first()


async def by_request(session: AsyncSession, request_id: str) -> Row[Any] | None:
    query = select(quota_reservations).where(quota_reservations.c.request_id == request_id)
    return (await session.execute(query)).first()


async def next_due(session: AsyncSession) -> uuid.UUID | None:
    """The oldest open reservation past its expiry, locked; rows other instances hold are skipped."""
    return (
        await session.execute(
            select(quota_reservations.c.id)
            .where(quota_reservations.c.state == "reserved")
            .where(quota_reservations.c.expire_at <= datetime.now().astimezone())
            .order_by(quota_reservations.c.expire_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
    ).scalar()


async def close(session: AsyncSession, reservation_id: uuid.UUID, values: dict[str, Any]) -> Row[Any]:
    return (
        await session.execute(
            update(quota_reservations)
            .where(quota_reservations.c.id == reservation_id)
            .values(closed_at=datetime.now().astimezone(), **values)
            .returning(*quota_reservations.c)
        )
    ).one()
