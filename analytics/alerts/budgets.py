"""Watching spend budgets: the period's spend from the day rollups, each crossed threshold
announced once per period (the notice row and the outbox events commit together).

Hard limits are not enforced here: model_router's quota accounts refuse requests; analytics
reads what was spent and tells people.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from chatmesh.events.v1 import analytics_events_pb2
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from analytics.alerts.notify import emit, notification
from analytics.domain.budgets import crossed, period_start
from analytics.domain.scope import UsageFilter
from analytics.store import budgets as store
from analytics.store import queries
from analytics.store.tables import ROLLUPS

__all__ = ["BudgetWatcher", "spend_filter"]

_BATCH = 100


def spend_filter(row: Any) -> UsageFilter:
    if row.scope == "user":
        return UsageFilter(tenant_id=row.tenant_id, user_id=row.subject_id)
    if row.scope == "api_key":
        return UsageFilter(tenant_id=row.tenant_id, api_key_id=row.subject_id)
    return UsageFilter(tenant_id=row.tenant_id)


class BudgetWatcher:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._sessions = sessions
        self._clock = clock

    async def run_once(self) -> int:
        """Evaluate every budget; returns how many thresholds were announced."""
        announced = 0
        after = None
        while True:
            async with self._sessions() as session, session.begin():
                rows = await store.claim_all(session, after, _BATCH)
                for row in rows:
                    announced += await self._evaluate(session, row)
            if len(rows) < _BATCH:
                return announced
            after = rows[-1].id

    async def _evaluate(self, session: AsyncSession, row: Any) -> int:
        now = self._clock()
        start = period_start(row.period, now)
        query = queries.RangeQuery(ROLLUPS["day"], spend_filter(row), start, now + timedelta(days=1))
        spent = (await queries.totals(session, query)).cost
        await store.set_spent(session, row.id, spent, start, now)
        count = 0
        for threshold in crossed(row.thresholds, row.amount, spent):
            if await store.record_notice(session, row.id, start, threshold, spent):
                await self._announce(session, row, threshold, spent, start)
                count += 1
        return count

    async def _announce(
        self, session: AsyncSession, row: Any, threshold: float, spent: int, start: datetime
    ) -> None:
        reached = analytics_events_pb2.BudgetThresholdReached(
            budget_id=str(row.id),
            budget_name=row.name,
            scope=row.scope,
            subject_id=row.subject_id,
            threshold=threshold,
            amount=row.amount,
            spent=spent,
        )
        reached.period_start_time.FromDatetime(start)
        await emit(session, reached, tenant_id=row.tenant_id, subject=str(row.id))
        variables = {
            "budget_name": row.name,
            "threshold_percent": f"{threshold * 100:g}",
            "amount": str(row.amount),
            "spent": str(spent),
            "period_start": start.date().isoformat(),
        }
        key = f"analytics-budget:{row.id}:{start.date().isoformat()}:{threshold:g}"
        for target in row.targets:
            request = notification(
                target, "analytics_budget_threshold", f"{key}:{target['recipient']}", variables
            )
            await emit(session, request, tenant_id=row.tenant_id, subject=str(row.id))
