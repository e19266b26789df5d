"""One maintenance pass: partitions for the coming days, and every tier trimmed to its retention."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from analytics.config import AnalyticsSettings
from analytics.store import partitions
from analytics.store.retention import delete_before
from analytics.store.tables import ROLLUPS, processed_events

__all__ = ["Maintenance", "MaintenanceReport"]

log = logging.getLogger(__name__)


@dataclass
class MaintenanceReport:
    created: list[date] = field(default_factory=list)
    dropped: list[date] = field(default_factory=list)
    deleted: dict[str, int] = field(default_factory=dict)


class Maintenance:
    def __init__(
        self,
        engine: AsyncEngine,
        settings: AnalyticsSettings,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._engine = engine
        self._settings = settings
        self._clock = clock

    def _cutoff(self, days: int) -> datetime | None:
        return None if days == 0 else self._clock() - timedelta(days=days)

    async def run_once(self) -> MaintenanceReport:
        report = MaintenanceReport()
        settings = self._settings
        today = self._clock().date()
        async with self._engine.connect() as conn:
            existing = set(await partitions.existing_partitions(conn))
        for offset in range(-1, settings.partitions_ahead_days + 1):
            day = today + timedelta(days=offset)
            if day not in existing:
                await partitions.create_partition(self._engine, day)
                report.created.append(day)
        raw_cutoff = self._cutoff(settings.raw_retention_days)
        if raw_cutoff is not None:
            report.dropped = await partitions.drop_partitions_before(self._engine, raw_cutoff.date())
            # The ledger covers the raw window: a replay older than that is outside retention anyway.
            report.deleted["processed_events"] = await delete_before(
                self._engine, processed_events, "processed_at", raw_cutoff, settings.retention_batch_rows
            )
        for tier, days in (
            ("minute", settings.minute_retention_days),
            ("hour", settings.hour_retention_days),
            ("day", settings.day_retention_days),
        ):
            cutoff = self._cutoff(days)
            if cutoff is not None:
                report.deleted[tier] = await delete_before(
                    self._engine, ROLLUPS[tier], "bucket_start", cutoff, settings.retention_batch_rows
                )
        if report.created or report.dropped or any(report.deleted.values()):
            log.info(
                "analytics maintenance",
                extra={
                    "partitions_created": [str(d) for d in report.created],
                    "partitions_dropped": [str(d) for d in report.dropped],
                    "rows_deleted": report.deleted,
                },
            )
        return report
