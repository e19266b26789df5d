"""Budgets: each threshold of a period is announced once, per budget scope, through the outbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
import pytest
from chatmesh.analytics.v1 import alerts_pb2, budgets_pb2
from chatmesh.events.v1 import analytics_events_pb2, notification_events_pb2
from sqlalchemy import select

from analytics.alerts.budgets import BudgetWatcher
from analytics.deps import AnalyticsDeps
from analytics.store.tables import outbox
from mesh.config import Settings
from mesh.events import EventEnvelope, unpack
from tests.integration.analytics.analytics_events import usage_envelope
from tests.integration.analytics.analytics_harness import as_user, serving, violations

NOW = datetime.now(UTC).replace(microsecond=0)
TARGET = alerts_pb2.AlertTarget(channel=alerts_pb2.ALERT_CHANNEL_IN_APP, recipient="admin-id")


async def _announced(deps: AnalyticsDeps) -> list[EventEnvelope]:
    async with deps.sessions() as session:
        payloads = (await session.execute(select(outbox.c.payload).order_by(outbox.c.created_at))).scalars()
        return [EventEnvelope.FromString(p) for p in payloads.all()]


async def test_thresholds_announce_once_per_period(analytics_settings: Settings, deps: AnalyticsDeps) -> None:
    async with serving(analytics_settings, deps) as stub:
        budget = budgets_pb2.Budget(
            name="carol's daily",
            scope=budgets_pb2.BUDGET_SCOPE_USER,
            subject_id="carol-id",
            amount=1000,
            period=budgets_pb2.BUDGET_PERIOD_DAILY,
            targets=[TARGET],
        )
        created = (
            await stub.CreateBudget(budgets_pb2.CreateBudgetRequest(budget=budget), metadata=as_user("admin"))
        ).budget
        assert list(created.thresholds) == [0.8, 0.95, 1.0]
        assert deps.ingestor is not None
        # 850 units today (85 %), plus spend of another user and of yesterday that must not count.
        today = NOW.replace(hour=0, minute=0, second=0) + timedelta(minutes=1)
        await deps.ingestor.apply(
            [usage_envelope(today, user="carol-id", cost=425) for _ in range(2)]
            + [usage_envelope(today, user="dave-id", cost=5000)]
            + [usage_envelope(today - timedelta(days=1), user="carol-id", cost=5000)]
        )
        before = len(await _announced(deps))
        watcher = BudgetWatcher(deps.sessions, clock=lambda: NOW)
        assert await watcher.run_once() == 1
        assert await watcher.run_once() == 0  # the same threshold is not announced again
        await deps.ingestor.apply([usage_envelope(today, user="carol-id", cost=200)])
        assert await watcher.run_once() == 2  # 105 %: 95 % and 100 % now

        got = (
            await stub.GetBudget(
                budgets_pb2.GetBudgetRequest(budget_id=created.id), metadata=as_user("admin")
            )
        ).budget
        assert got.spent == 1050
        announced = (await _announced(deps))[before:]
        reached = [
            unpack(e, analytics_events_pb2.BudgetThresholdReached)
            for e in announced
            if e.type.endswith("BudgetThresholdReached")
        ]
        assert [r.threshold for r in reached] == [0.8, 0.95, 1.0]
        notes = [
            unpack(e, notification_events_pb2.NotificationRequested)
            for e in announced
            if e.type.endswith("NotificationRequested")
        ]
        assert len(notes) == 3 and {n.user_id for n in notes} == {"admin-id"}
        assert len({n.dedupe_key for n in notes}) == 3

        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.GetBudget(
                budgets_pb2.GetBudgetRequest(budget_id=created.id), metadata=as_user("admin2")
            )
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.CreateBudget(budgets_pb2.CreateBudgetRequest(budget=budget), metadata=as_user("alice"))
        assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            bad = budgets_pb2.Budget(
                name="x", scope=budgets_pb2.BUDGET_SCOPE_USER, amount=-1, thresholds=[0.0]
            )
            await stub.CreateBudget(budgets_pb2.CreateBudgetRequest(budget=bad), metadata=as_user("admin"))
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert {"budget.subject_id", "budget.amount", "budget.period", "budget.thresholds"} <= set(
            violations(caught.value)
        )
        listed = await stub.ListBudgets(budgets_pb2.ListBudgetsRequest(), metadata=as_user("admin"))
        assert [b.name for b in listed.budgets] == ["carol's daily"]
        await stub.DeleteBudget(
            budgets_pb2.DeleteBudgetRequest(budget_id=created.id), metadata=as_user("admin")
        )
        listed = await stub.ListBudgets(budgets_pb2.ListBudgetsRequest(), metadata=as_user("admin"))
        assert list(listed.budgets) == []
