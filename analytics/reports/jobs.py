"""Report jobs: a report built in the background, kept as chunks for download until it expires.

A job stores what to build as plain values (``reports.scope``: kind, format, the caller's
scoped filter, range, granularity, time zone, grouping), so it runs later with the reach
its requester had when asking. One instance builds one job at a time (``SKIP LOCKED``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from analytics.config import AnalyticsSettings
from analytics.domain.scope import UsageFilter
from analytics.domain.timeranges import Granularity
from analytics.queries.ranges import resolve_range
from analytics.reports.export import ReportRequest, export
from analytics.store import reports as store

__all__ = ["ReportJobs", "job_values"]

log = logging.getLogger(__name__)


def job_values(request: ReportRequest) -> dict[str, Any]:
    """What a job needs to build ``request`` later, as JSON-able values."""
    return {
        "kind": request.kind,
        "fmt": request.fmt,
        "where": asdict(request.where),
        "start": request.span.start.isoformat(),
        "end": request.span.end.isoformat(),
        "granularity": request.span.granularity.value,
        "tz": request.span.tz.key,
        "group_by": list(request.group_by),
    }


class ReportJobs:
    def __init__(
        self,
        engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
        settings: AnalyticsSettings,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._engine = engine
        self._sessions = sessions
        self._settings = settings
        self._clock = clock

    def expiry(self) -> datetime:
        return self._clock() + timedelta(days=self._settings.report_retention_days)

    async def run_once(self) -> int:
        """Build pending jobs until none is left; returns how many were built (or failed)."""
        done = 0
        while True:
            async with self._sessions() as session, session.begin():
                job = await store.claim_pending(session)
            if job is None:
                await store.delete_expired(self._engine, self._clock())
                return done
            await self._build(job.id, job.scope)
            done += 1

    async def _build(self, report_id: uuid.UUID, values: dict[str, Any]) -> None:
        try:
            span = resolve_range(
                self._settings,
                start=datetime.fromisoformat(values["start"]),
                end=datetime.fromisoformat(values["end"]),
                default_span=timedelta(days=7),
                granularity=Granularity(values["granularity"]),
                tz_name=values["tz"],
                now=self._clock(),
            )
            request = ReportRequest(
                values["kind"], values["fmt"], UsageFilter(**values["where"]), span, values["group_by"]
            )
            seq = size = rows = 0
            content_type = file_name = ""
            async for piece in export(self._engine, self._sessions, self._settings, request):
                if piece.content_type:
                    content_type, file_name = piece.content_type, piece.file_name
                await store.add_chunk(self._engine, report_id, seq, piece.data)
                seq, size, rows = seq + 1, size + len(piece.data), piece.rows
        except Exception as exc:  # the job fails, the service goes on
            log.exception("report %s failed", report_id)
            await store.finish(
                self._engine,
                report_id,
                {
                    "state": "failed",
                    "error_message": f"{type(exc).__name__}: {exc}"[:500],
                    "completed_at": self._clock(),
                },
            )
            return
        await store.finish(
            self._engine,
            report_id,
            {
                "state": "succeeded",
                "row_count": rows,
                "size_bytes": size,
                "content_type": content_type,
                "file_name": file_name,
                "completed_at": self._clock(),
            },
        )
