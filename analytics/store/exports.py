"""Reading rows for exports as a stream: a server-side cursor, a bounded batch per round trip."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from analytics.domain.scope import UsageFilter
from analytics.store.tables import usage_events

__all__ = ["REQUEST_LOG_COLUMNS", "request_log"]

REQUEST_LOG_COLUMNS = (
    "occurred_at",
    "request_id",
    "tenant_id",
    "user_id",
    "api_key_id",
    "model",
    "upstream_model",
    "channel_id",
    "arm",
    "source",
    "status",
    "error_code",
    "prompt_tokens",
    "completion_tokens",
    "cached_tokens",
    "reasoning_tokens",
    "cost",
    "latency_ms",
    "ttft_ms",
    "stream",
)


async def request_log(
    engine: AsyncEngine, where: UsageFilter, start: datetime, end: datetime, fetch_rows: int
) -> AsyncIterator[Sequence[Any]]:
    """Raw request rows in [start, end) matching ``where``, oldest first, ``fetch_rows`` at a time."""
    c = usage_events.c
    clauses = [c.occurred_at >= start, c.occurred_at < end]
    clauses += [c[name] == value for name, value in where.items()]
    statement = (
        select(*(c[name] for name in REQUEST_LOG_COLUMNS))
        .where(and_(*clauses))
        .order_by(c.occurred_at, c.event_id)
        .execution_options(yield_per=fetch_rows)
    )
    async with engine.connect() as conn:
        result = await conn.stream(statement)
        async for partition in result.partitions(fetch_rows):
            for row in partition:
                yield tuple(row)
