"""Maintenance: raw partitions created ahead and dropped by retention; rollup tiers trimmed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from analytics.config import AnalyticsSettings
from analytics.deps import AnalyticsDeps
from analytics.maintenance.retention import Maintenance
from analytics.store import partitions
from analytics.store.tables import ROLLUPS, usage_events
from tests.integration.analytics.analytics_events import usage_envelope

NOW = datetime.now(UTC)


async def _days(deps: AnalyticsDeps) -> set:
    async with deps.engine.connect() as conn:
        return set(await partitions.existing_partitions(conn))


async def test_partitions_are_created_ahead_and_dropped_past_retention(deps: AnalyticsDeps) -> None:
    settings = AnalyticsSettings(raw_retention_days=30, partitions_ahead_days=3)
    report = await Maintenance(deps.engine, settings, clock=lambda: NOW).run_once()
    today = NOW.date()
    wanted = {today + timedelta(days=offset) for offset in range(-1, 4)}
    assert wanted <= await _days(deps)
    assert set(report.created) <= wanted
    assert (await Maintenance(deps.engine, settings, clock=lambda: NOW).run_once()).created == []

    tenant = f"t-{uuid.uuid4().hex[:6]}"
    assert deps.ingestor is not None
    await deps.ingestor.apply([usage_envelope(NOW, tenant=tenant)])
    later = NOW + timedelta(days=31)
    report = await Maintenance(deps.engine, settings, clock=lambda: later).run_once()
    assert today in report.dropped and today not in await _days(deps)
    assert later.date() + timedelta(days=3) in await _days(deps)
    async with deps.sessions() as session:
        raw = await session.scalar(
            select(func.count()).select_from(usage_events).where(usage_events.c.tenant_id == tenant)
        )
        daily = await session.scalar(
            select(func.sum(ROLLUPS["day"].c.requests)).where(
                ROLLUPS["day"].c.tenant_id == tenant, ROLLUPS["day"].c.cube == 0
            )
        )
    assert raw == 0  # the raw day went with its partition ...
    assert daily == 1  # ... the daily rollup is kept forever by default


async def test_rollup_tiers_are_trimmed_to_their_retention(deps: AnalyticsDeps) -> None:
    tenant = f"t-{uuid.uuid4().hex[:6]}"
    assert deps.ingestor is not None
    await deps.ingestor.apply([usage_envelope(NOW - timedelta(hours=1), tenant=tenant)])
    settings = AnalyticsSettings(minute_retention_days=2, hour_retention_days=365, retention_batch_rows=1)
    await Maintenance(deps.engine, settings, clock=lambda: NOW + timedelta(days=3)).run_once()

    async def rows(tier: str) -> int:
        table = ROLLUPS[tier]
        async with deps.sessions() as session:
            count = await session.scalar(
                select(func.count()).select_from(table).where(table.c.tenant_id == tenant)
            )
        return int(count or 0)

    assert (await rows("minute"), await rows("hour"), await rows("day")) == (0, 3, 3)  # one row per cube
