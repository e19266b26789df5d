"""The value of an alert metric over a rule's window, read from the minute rollups."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from analytics.domain import sketch
from analytics.domain.scope import UsageFilter
from analytics.store import queries
from analytics.store.tables import ROLLUPS

__all__ = ["metric_value"]

_PERCENTILES = {
    "latency_p95": ("latency", 0.95),
    "latency_p99": ("latency", 0.99),
    "time_to_first_token_p95": ("ttft", 0.95),
}


async def metric_value(
    session: AsyncSession, metric: str, where: UsageFilter, now: datetime, window_seconds: int
) -> float:
    """Counts and cost as numbers, error rate 0-1, percentiles in seconds, spend ratio vs last week."""
    if metric == "cost_vs_last_week":
        return await _cost_vs_last_week(session, where, now, window_seconds)
    query = queries.RangeQuery(ROLLUPS["minute"], where, now - timedelta(seconds=window_seconds), now)
    if metric in _PERCENTILES:
        which, quantile = _PERCENTILES[metric]
        latency, ttft = await queries.sketches(session, query)
        return sketch.percentile(latency if which == "latency" else ttft, quantile) / 1000.0
    counters = await queries.totals(session, query)
    return {
        "request_count": float(counters.requests),
        "error_rate": counters.error_rate,
        "token_count": float(counters.total_tokens),
        "cost": float(counters.cost),
    }[metric]


async def _cost_vs_last_week(
    session: AsyncSession, where: UsageFilter, now: datetime, window_seconds: int
) -> float:
    """Spend of the last whole hours over the same hours a week before, from the hour tier
    (minute rows are not kept a week)."""
    end = now.replace(minute=0, second=0, microsecond=0)
    hours = timedelta(hours=max(1, math.ceil(window_seconds / 3600)))
    table = ROLLUPS["hour"]
    current = await queries.totals(session, queries.RangeQuery(table, where, end - hours, end))
    week = timedelta(days=7)
    before = await queries.totals(session, queries.RangeQuery(table, where, end - hours - week, end - week))
    return current.cost / max(before.cost, 1)
