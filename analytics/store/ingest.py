"""Applying a batch of events: ledger, raw rows and rollups in one transaction.

The processed-event ledger insert (``ON CONFLICT DO NOTHING RETURNING``) tells which
events of the batch are new; only those reach the raw table and the rollups, in the same
transaction. A replay, a redelivery after a crash mid-batch, or two consumers racing on one
event therefore change every aggregate exactly once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import date

from sqlalchemy import Table, func
from sqlalchemy.dialects.postgresql import Insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.domain.facts import DIMENSIONS, ActivityFact, UsageFact
from analytics.domain.rollups import SKETCHES, SUMMED, fold
from analytics.store.tables import ROLLUPS, activity_daily, processed_events, usage_events

__all__ = ["claim_new", "write_activity", "write_usage"]

_RAW_COLUMNS = {column.name for column in usage_events.columns}


def _upsert(table: Table) -> Insert:
    """Add a row's counters to the stored row of its key (or insert it): one statement, built once,
    executed for many rows, so SQLAlchemy compiles it once rather than per batch."""
    statement = pg_insert(table)
    excluded = statement.excluded
    updates: dict[str, object] = {name: table.c[name] + excluded[name] for name in SUMMED}
    for name in SKETCHES:
        updates[name] = func.analytics.hist_add(table.c[name], excluded[name])
    return statement.on_conflict_do_update(index_elements=["bucket_start", "cube", *DIMENSIONS], set_=updates)


_CLAIM = (
    pg_insert(processed_events)
    .on_conflict_do_nothing(index_elements=["event_id"])
    .returning(processed_events.c.event_id)
)
_RAW = pg_insert(usage_events).on_conflict_do_nothing(index_elements=["occurred_at", "event_id"])
_UPSERTS = {tier: _upsert(table) for tier, table in ROLLUPS.items()}


async def claim_new(session: AsyncSession, events: Sequence[tuple[str, str]]) -> set[str]:
    """Record (event id, type) pairs as processed; returns the ids that were not yet."""
    if not events:
        return set()
    rows = [{"event_id": event_id, "event_type": kind} for event_id, kind in dict(events).items()]
    result = await session.execute(_CLAIM, rows)
    return {row[0] for row in result}


async def write_usage(session: AsyncSession, facts: Sequence[UsageFact], raw_days: set[date]) -> None:
    """Raw rows for facts whose day has a partition in ``raw_days``; rollups for all of them."""
    raw = [
        {k: v for k, v in asdict(fact).items() if k in _RAW_COLUMNS}
        for fact in facts
        if fact.occurred_at.date() in raw_days
    ]
    if raw:
        await session.execute(_RAW, raw)
    for tier, statement in _UPSERTS.items():
        rows = [row.values() for row in fold(facts, tier)]
        if rows:
            await session.execute(statement, rows)


async def write_activity(session: AsyncSession, facts: Sequence[ActivityFact]) -> None:
    counts: dict[tuple[date, str, str, str], int] = {}
    for fact in facts:
        key = (fact.occurred_at.date(), fact.tenant_id, fact.user_id, fact.metric)
        counts[key] = counts.get(key, 0) + fact.amount
    if not counts:
        return
    rows = [
        {"day": day, "tenant_id": tenant, "user_id": user, "metric": metric, "count": count}
        for (day, tenant, user, metric), count in sorted(counts.items())
    ]
    statement = pg_insert(activity_daily).values(rows)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["day", "tenant_id", "user_id", "metric"],
            set_={"count": activity_daily.c["count"] + statement.excluded["count"]},
        )
    )
