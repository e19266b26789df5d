"""The issue's check: 2,000 concurrent requests against a key whose quota allows exactly N of them.

Each request reserves its cost on the key's and the tenant's accounts through the real
engine on the embedded Postgres, then settles it (the quota-relevant half of a request).
Served must be exactly N, every balance exact to the unit, no ledger row negative, and each
ledger summing to its balance.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from mesh.config import Settings
from mesh.db import session_factory
from mesh.errors import ResourceExhausted
from model_router.quota.engine import Hold, QuotaEngine
from tests.integration.model_router.quota.quota_support import (
    balance,
    fund,
    ledger_sum,
    lowest_balance_after,
    new_payers,
)

REQUESTS = 2_000
COST = 1_237  # units per request
SERVABLE = 150
TENANT_FUNDS = (SERVABLE + 40) * COST


@pytest_asyncio.fixture
async def pooled(mr_settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A modest pool (20 + 10) that 2,000 tasks queue on, with a patient checkout timeout."""
    assert mr_settings.database_url is not None
    engine: AsyncEngine = create_async_engine(
        mr_settings.database_url,
        pool_size=20,
        max_overflow=10,
        pool_timeout=300,
        connect_args={"server_settings": {"search_path": "model_router, public"}},
    )
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


async def test_2000_concurrent_requests_serve_exactly_what_the_quota_allows(
    pooled: async_sessionmaker[AsyncSession],
) -> None:
    payers = new_payers()
    key_funds = SERVABLE * COST + COST - 1  # one unit short of one more request
    await fund(pooled, "api_key", payers.api_key_id, key_funds)
    await fund(pooled, "tenant", payers.tenant_id, TENANT_FUNDS)
    engine = QuotaEngine(pooled)

    async def one(number: int) -> bool:
        hold = Hold(
            request_id=f"{payers.api_key_id}-{number}",
            tenant_id=payers.tenant_id,
            api_key_id=payers.api_key_id,
            user_id=payers.user_id,
            amount=COST,
        )
        try:
            reservation = await engine.reserve(hold)
        except ResourceExhausted:
            return False
        assert reservation is not None
        async with pooled() as session, session.begin():
            await engine.settle(session, reservation.id, COST)
        return True

    served = sum(await asyncio.gather(*(one(n) for n in range(REQUESTS))))

    assert served == SERVABLE
    assert await balance(pooled, payers.key) == (COST - 1, 0, SERVABLE * COST)
    assert await balance(pooled, payers.tenant) == (TENANT_FUNDS - SERVABLE * COST, 0, SERVABLE * COST)
    for account in (payers.key, payers.tenant):
        assert await lowest_balance_after(pooled, account) >= 0
        available, _, _ = await balance(pooled, account)
        assert await ledger_sum(pooled, account) == available
