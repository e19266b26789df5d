"""What analytics's servicer and background tasks need, built once by ``analytics/assembly.py``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from analytics.config import AnalyticsSettings

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

    from analytics.alerts.budgets import BudgetWatcher
    from analytics.alerts.evaluator import AlertEvaluator
    from analytics.ingestion.ingestor import Ingestor
    from analytics.maintenance.periodic import Periodic
    from analytics.maintenance.retention import Maintenance
    from analytics.reports.jobs import ReportJobs
    from analytics.store.live import LiveCounters
    from mesh.events import EventConsumer


@dataclass
class AnalyticsDeps:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: Redis | None
    settings: AnalyticsSettings = field(default_factory=AnalyticsSettings)
    live: LiveCounters | None = None
    ingestor: Ingestor | None = None
    consumer: EventConsumer | None = None
    maintenance: Maintenance | None = None
    alerts: AlertEvaluator | None = None
    budgets: BudgetWatcher | None = None
    reports: ReportJobs | None = None
    tasks: list[Periodic] = field(default_factory=list)
