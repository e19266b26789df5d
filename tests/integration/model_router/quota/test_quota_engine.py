"""The reserve/settle/refund engine on the embedded Postgres: exact balances, a ledger that sums to them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mesh.errors import FailedPrecondition, ResourceExhausted
from model_router.quota.engine import Hold, QuotaEngine
from model_router.store.tables import quota_reservations
from tests.integration.model_router.quota.quota_support import (
    Payers,
    balance,
    fund,
    ledger_sum,
    new_payers,
)


def hold(payers: Payers, amount: int, request_id: str, **extra: object) -> Hold:
    return Hold(
        request_id=request_id,
        tenant_id=payers.tenant_id,
        api_key_id=payers.api_key_id,
        user_id=payers.user_id,
        amount=amount,
        **extra,  # type: ignore[arg-type]
    )


async def assert_consistent(sessions: async_sessionmaker[AsyncSession], *accounts: str) -> None:
    for account in accounts:
        available, _, _ = await balance(sessions, account)
        assert await ledger_sum(sessions, account) == available


async def test_reserve_takes_from_key_and_tenant_and_is_idempotent(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    payers = new_payers()
    await fund(sessions, "tenant", payers.tenant_id, 1_000)
    await fund(sessions, "api_key", payers.api_key_id, 300)
    engine = QuotaEngine(sessions)
    first = await engine.reserve(hold(payers, 120, f"r-{payers.tenant_id}"))
    again = await engine.reserve(hold(payers, 120, f"r-{payers.tenant_id}"))
    assert first is not None and first.fresh and again is not None and not again.fresh
    assert again.id == first.id
    assert set(first.account_ids) == {payers.tenant, payers.key}
    assert await balance(sessions, payers.tenant) == (880, 120, 0)
    assert await balance(sessions, payers.key) == (180, 120, 0)
    await assert_consistent(sessions, payers.tenant, payers.key)


async def test_both_or_neither_when_one_account_cannot_cover(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    payers = new_payers()
    await fund(sessions, "tenant", payers.tenant_id, 1_000)
    await fund(sessions, "api_key", payers.api_key_id, 50)
    engine = QuotaEngine(sessions)
    with pytest.raises(ResourceExhausted) as caught:
        await engine.reserve(hold(payers, 51, f"r-{payers.api_key_id}"))
    assert [v.subject for v in caught.value.quota_violations] == [payers.key]
    assert await balance(sessions, payers.tenant) == (1_000, 0, 0)
    assert await balance(sessions, payers.key) == (50, 0, 0)


async def test_no_account_means_unlimited_and_leaves_no_row(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    engine = QuotaEngine(sessions)
    payers = new_payers()
    assert (
        await engine.reserve(
            hold(payers, 10**12, "r-unlimited-" + payers.tenant_id), keep_without_accounts=False
        )
        is None
    )


async def test_settle_below_estimate_gives_back_the_rest(sessions: async_sessionmaker[AsyncSession]) -> None:
    payers = new_payers()
    await fund(sessions, "tenant", payers.tenant_id, 500)
    engine = QuotaEngine(sessions)
    reservation = await engine.reserve(hold(payers, 200, f"r-{payers.tenant_id}"))
    assert reservation is not None
    async with sessions() as session, session.begin():
        settled = await engine.settle(session, reservation.id, 73)
    assert (settled.state, settled.settled_amount, settled.refunded_amount) == ("settled", 73, 127)
    assert await balance(sessions, payers.tenant) == (427, 0, 73)
    async with sessions() as session, session.begin():
        assert (await engine.settle(session, reservation.id, 73)).settled_amount == 73
    with pytest.raises(FailedPrecondition):
        async with sessions() as session, session.begin():
            await engine.settle(session, reservation.id, 74)
    await assert_consistent(sessions, payers.tenant)


async def test_settle_above_estimate_never_goes_negative(sessions: async_sessionmaker[AsyncSession]) -> None:
    payers = new_payers()
    await fund(sessions, "tenant", payers.tenant_id, 1_000)
    await fund(sessions, "api_key", payers.api_key_id, 100)
    engine = QuotaEngine(sessions)
    reservation = await engine.reserve(hold(payers, 80, f"r-{payers.tenant_id}"))
    assert reservation is not None
    async with sessions() as session, session.begin():
        settled = await engine.settle(session, reservation.id, 150)
    # The key had 20 left after the hold: it pays those 20 of the 70 extra and stops at 0.
    assert settled.shortfall == 50
    assert await balance(sessions, payers.key) == (0, 0, 100)
    assert await balance(sessions, payers.tenant) == (850, 0, 150)
    await assert_consistent(sessions, payers.tenant, payers.key)


async def test_refund_returns_everything_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    payers = new_payers()
    await fund(sessions, "api_key", payers.api_key_id, 100)
    engine = QuotaEngine(sessions)
    reservation = await engine.reserve(hold(payers, 60, f"r-{payers.api_key_id}"))
    assert reservation is not None
    for _ in range(2):
        async with sessions() as session, session.begin():
            refunded = await engine.refund(session, reservation.id, "upstream failed")
        assert (refunded.state, refunded.refunded_amount) == ("refunded", 60)
    assert await balance(sessions, payers.key) == (100, 0, 0)
    with pytest.raises(FailedPrecondition):
        async with sessions() as session, session.begin():
            await engine.settle(session, reservation.id, 10)
    await assert_consistent(sessions, payers.key)


async def test_expired_reservations_are_refunded_and_a_late_settle_still_charges(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    payers = new_payers()
    await fund(sessions, "tenant", payers.tenant_id, 100)
    engine = QuotaEngine(sessions)
    reservation = await engine.reserve(hold(payers, 40, f"r-{payers.tenant_id}", ttl=timedelta(minutes=5)))
    assert reservation is not None
    async with sessions() as session, session.begin():
        await session.execute(
            update(quota_reservations)
            .where(quota_reservations.c.id == reservation.id)
            .values(expire_at=reservation.created_at - timedelta(seconds=1))
        )
    assert await engine.expire_due() >= 1
    assert (await engine.get(reservation.id)).state == "expired"
    assert await balance(sessions, payers.tenant) == (100, 0, 0)
    async with sessions() as session, session.begin():
        late = await engine.settle(session, reservation.id, 30)
    assert (late.state, late.settled_amount, late.refunded_amount) == ("settled", 30, 40)
    assert await balance(sessions, payers.tenant) == (70, 0, 30)
    await assert_consistent(sessions, payers.tenant)
