"""Evaluating due alert rules: one transaction per rule, so a transition and its announcement
commit together, and instances share the rules (``FOR UPDATE SKIP LOCKED``) instead of
evaluating one rule twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from analytics.alerts.metrics import metric_value
from analytics.alerts.notify import announce
from analytics.config import AnalyticsSettings
from analytics.domain.alerts import Transition, decide
from analytics.domain.scope import UsageFilter
from analytics.store import alerts as store
from analytics.store.tables import alert_events, alert_rules

__all__ = ["AlertEvaluator"]

_BATCH = 50


def _peak(comparison: str, old: float, new: float) -> float:
    return min(old, new) if comparison.startswith("less") else max(old, new)


class AlertEvaluator:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: AnalyticsSettings,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._sessions = sessions
        self._settings = settings
        self._clock = clock

    async def run_once(self) -> int:
        """Evaluate every due rule; returns how many were evaluated."""
        total = 0
        while True:
            async with self._sessions() as session, session.begin():
                rules = await store.claim_due(session, self._clock(), _BATCH)
                for rule in rules:
                    await self._evaluate(session, rule)
            total += len(rules)
            if len(rules) < _BATCH:
                return total

    async def _evaluate(self, session: AsyncSession, rule: Any) -> None:
        now = self._clock()
        where = UsageFilter(**{**rule.filter, "tenant_id": rule.tenant_id})
        value = await metric_value(session, rule.metric, where, now, rule.window_seconds)
        decision = decide(
            state=rule.state,
            comparison=rule.comparison,
            value=value,
            threshold=rule.threshold,
            now=now,
            last_notified=rule.last_notified_at,
            cooldown=timedelta(seconds=rule.cooldown_seconds),
        )
        changes: dict[str, Any] = {"state": decision.state, "last_value": value, "last_evaluated_at": now}
        if decision.notify:
            changes["last_notified_at"] = now
        if decision.transition is Transition.FIRE:
            event_id = await store.insert_event(
                session,
                {
                    "tenant_id": rule.tenant_id,
                    "rule_id": rule.id,
                    "rule_name": rule.name,
                    "metric": rule.metric,
                    "state": "firing",
                    "value": value,
                    "threshold": rule.threshold,
                    "peak_value": value,
                    "fired_at": now,
                },
            )
            changes["open_event_id"] = event_id
            await announce(
                session,
                rule,
                event_id=str(event_id),
                state="firing",
                value=value,
                fired_at=now,
                resolved_at=None,
                notify=decision.notify,
            )
        elif decision.transition is Transition.RESOLVE and rule.open_event_id is not None:
            await store.update_event(session, rule.open_event_id, {"state": "resolved", "resolved_at": now})
            changes["open_event_id"] = None
            fired = await self._fired_at(session, rule.open_event_id, now)
            await announce(
                session,
                rule,
                event_id=str(rule.open_event_id),
                state="resolved",
                value=value,
                fired_at=fired,
                resolved_at=now,
                notify=True,
            )
        elif decision.state == "firing" and rule.open_event_id is not None:
            await self._track_peak(session, rule, value)
        await session.execute(update(alert_rules).where(alert_rules.c.id == rule.id).values(changes))

    async def _fired_at(self, session: AsyncSession, event_id: Any, default: datetime) -> datetime:
        found = await session.scalar(
            alert_events.select()
            .with_only_columns(alert_events.c.fired_at)
            .where(alert_events.c.id == event_id)
        )
        return found or default

    async def _track_peak(self, session: AsyncSession, rule: Any, value: float) -> None:
        current = await session.scalar(
            alert_events.select()
            .with_only_columns(alert_events.c.peak_value)
            .where(alert_events.c.id == rule.open_event_id)
        )
        if current is not None:
            await store.update_event(
                session, rule.open_event_id, {"peak_value": _peak(rule.comparison, current, value)}
            )
