"""Building analytics's dependencies: shared by ``__main__`` and the tests.

Engine and Redis are opened and closed by the caller; what this starts (the consumer
group, the maintenance and alert tasks) is stopped by :func:`close_deps`.
"""

from __future__ import annotations

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from analytics.alerts.budgets import BudgetWatcher
from analytics.alerts.evaluator import AlertEvaluator
from analytics.config import AnalyticsSettings
from analytics.deps import AnalyticsDeps
from analytics.ingestion.consumer import usage_consumer
from analytics.ingestion.ingestor import Ingestor
from analytics.maintenance.periodic import Periodic
from analytics.maintenance.retention import Maintenance
from analytics.reports.jobs import ReportJobs
from analytics.store.live import LiveCounters
from mesh.db import session_factory

__all__ = ["close_deps", "open_deps"]


async def open_deps(
    engine: AsyncEngine,
    redis: Redis | None,
    *,
    settings: AnalyticsSettings | None = None,
    background: bool = True,
    consumer_name: str | None = None,
) -> AnalyticsDeps:
    """``background=False`` starts neither the consumer nor the periodic tasks (tests drive them).

    ``consumer_name`` should stay the same across restarts of one instance: a restarted
    consumer then handles what it had read but not acked at once, instead of waiting for
    another consumer to claim it.
    """
    settings = settings or AnalyticsSettings()
    deps = AnalyticsDeps(engine=engine, sessions=session_factory(engine), redis=redis, settings=settings)
    deps.live = LiveCounters(redis, settings.live_horizon_seconds) if redis is not None else None
    deps.ingestor = Ingestor(engine, deps.sessions, settings, deps.live)
    deps.maintenance = Maintenance(engine, settings)
    deps.alerts = AlertEvaluator(deps.sessions, settings)
    deps.budgets = BudgetWatcher(deps.sessions)
    deps.reports = ReportJobs(engine, deps.sessions, settings)
    if redis is not None:
        deps.consumer = usage_consumer(redis, deps.ingestor, settings, consumer_name=consumer_name)
    if background:
        await deps.maintenance.run_once()  # today's partition exists before the first event
        deps.tasks = [
            Periodic(
                "analytics-maintenance", settings.maintenance_interval_seconds, deps.maintenance.run_once
            ),
            Periodic("analytics-alerts", settings.alert_interval_seconds, deps.alerts.run_once),
            Periodic("analytics-budgets", settings.budget_interval_seconds, deps.budgets.run_once),
            Periodic("analytics-reports", settings.report_interval_seconds, deps.reports.run_once),
        ]
        for task in deps.tasks:
            task.start()
        if deps.consumer is not None:
            await deps.consumer.start()
    return deps


async def close_deps(deps: AnalyticsDeps) -> None:
    """Stops what open_deps started: the consumer first (its batch in flight finishes), then the tasks."""
    if deps.consumer is not None:
        await deps.consumer.stop()
    for task in deps.tasks:
        await task.stop()
