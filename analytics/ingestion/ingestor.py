"""Applying events to the store exactly once, whatever the order, duplication or interruptions.

A batch is one transaction: the ledger says which events are new, and only those are
written (raw rows and rollups). A crash before commit leaves nothing behind and the
consumer redelivers the batch; a crash after commit but before the ack redelivers events
the ledger already holds, which are then skipped. Rollups only add, so out-of-order arrival
gives the same totals. Live counters are bumped after commit, for new events only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from analytics.config import AnalyticsSettings
from analytics.domain.facts import ActivityFact, UsageFact
from analytics.ingestion.facts import USAGE_TYPE, activity_fact, usage_fact
from analytics.ingestion.metrics import ingest_metrics
from analytics.store import partitions
from analytics.store.ingest import claim_new, write_activity, write_usage
from analytics.store.live import LiveCounters
from mesh.events import EventEnvelope

__all__ = ["Ingestor"]

log = logging.getLogger(__name__)


class Ingestor:
    def __init__(
        self,
        engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
        settings: AnalyticsSettings,
        live: LiveCounters | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._engine = engine
        self._sessions = sessions
        self._settings = settings
        self._live = live
        self._clock = clock
        self._days: set[date] | None = None

    async def handle(self, envelope: EventEnvelope) -> None:
        """The consumer's handler: one envelope, applied at most once."""
        await self.apply([envelope])

    async def apply_batch(self, envelopes: list[EventEnvelope]) -> None:
        """The consumer's batch handler: the events of one read, in one transaction."""
        await self.apply(envelopes)

    async def apply(self, envelopes: Sequence[EventEnvelope]) -> int:
        """Apply a batch; returns how many of its events were new. Other event types are ignored."""
        usage: list[UsageFact] = []
        activity: list[ActivityFact] = []
        for envelope in envelopes:
            if envelope.type == USAGE_TYPE:
                usage.append(usage_fact(envelope))
            elif (counted := activity_fact(envelope)) is not None:
                activity.append(counted)
        cutoff = self.raw_cutoff()
        if cutoff is not None:
            # Older than the ledger's window: whether it was applied can no longer be told, and
            # counting it twice is worse than not counting it (the ledger is trimmed past cutoff).
            kept = [f for f in usage if f.occurred_at.date() >= cutoff]
            ingest_metrics().events.labels("too_old").inc(len(usage) - len(kept))
            usage = kept
        if not usage and not activity:
            return 0
        raw_days = await self._raw_days(usage)
        try:
            async with self._sessions() as session, session.begin():
                claimed = [(f.event_id, "usage") for f in usage] + [(f.event_id, f.metric) for f in activity]
                new = await claim_new(session, claimed)
                new_usage = [f for f in usage if f.event_id in new]
                await write_usage(session, new_usage, raw_days)
                await write_activity(session, [f for f in activity if f.event_id in new])
        except DBAPIError:
            self._days = None  # a partition may have been dropped or created elsewhere: re-read
            raise
        metrics = ingest_metrics()
        metrics.events.labels("new").inc(len(new))
        metrics.events.labels("duplicate").inc(len(usage) + len(activity) - len(new))
        for fact in new_usage:
            metrics.requests.labels(fact.status).inc()
            metrics.tokens.inc(fact.total_tokens)
            metrics.cost.inc(fact.cost)
        await self._record_live(new_usage)
        return len(new)

    def raw_cutoff(self) -> date | None:
        """First day whose raw rows are kept (None: kept forever)."""
        days = self._settings.raw_retention_days
        return None if days == 0 else (self._clock() - timedelta(days=days)).date()

    async def _raw_days(self, facts: Sequence[UsageFact]) -> set[date]:
        """Days of ``facts`` that have (or now got) a raw partition; days past retention have none."""
        if self._days is None:
            async with self._engine.connect() as conn:
                self._days = set(await partitions.existing_partitions(conn))
        cutoff = self.raw_cutoff()
        for day in {fact.occurred_at.date() for fact in facts}:
            if day not in self._days and (cutoff is None or day >= cutoff):
                await partitions.create_partition(self._engine, day)
                self._days.add(day)
        return set(self._days)

    async def _record_live(self, facts: Sequence[UsageFact]) -> None:
        if self._live is None or not facts:
            return
        try:
            await self._live.record(facts)
        except Exception:  # the live view is best effort; the rollups already hold the events
            log.warning("analytics: live counters not updated", exc_info=True)
