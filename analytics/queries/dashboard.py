"""GetDashboard: totals, a time series, top lists, errors and percentiles for one range.

Everything comes from one rollup tier in a handful of grouped reads; percentiles come from
the sketches merged in Postgres, so a 30-day dashboard reads rollup rows, not requests.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from analytics.domain import sketch
from analytics.domain.metrics import Counters
from analytics.domain.scope import UsageFilter
from analytics.domain.timeranges import Granularity
from analytics.queries.ranges import TimeRange
from analytics.store import queries
from analytics.store.tables import ROLLUPS

__all__ = ["QUANTILES", "DashboardData", "Ranked", "default_granularity", "get_dashboard"]

QUANTILES = (0.5, 0.9, 0.95, 0.99)
# Top list → (dimension, ordered by).
TOP_LISTS = {
    "models": ("model", "cost"),
    "users": ("user_id", "cost"),
    "channels": ("channel_id", "requests"),
    "api_keys": ("api_key_id", "cost"),
}


@dataclass(frozen=True)
class Ranked:
    key: str
    counters: Counters
    cost_share: float


@dataclass
class DashboardData:
    totals: Counters
    series: list[tuple[datetime, Counters]]
    top: dict[str, list[Ranked]]
    errors: list[tuple[str, int]]
    latency_ms: list[float]
    ttft_ms: list[float]
    activity: dict[str, int] = field(default_factory=dict)


def default_granularity(start: datetime, end: datetime) -> Granularity:
    span = end - start
    if span <= timedelta(hours=3):
        return Granularity.MINUTE
    if span <= timedelta(days=3):
        return Granularity.HOUR
    return Granularity.DAY


async def get_dashboard(
    sessions: async_sessionmaker[AsyncSession], where: UsageFilter, span: TimeRange, top_n: int
) -> DashboardData:
    query = queries.RangeQuery(ROLLUPS[span.tier.name], where, span.start, span.end)
    async with sessions() as session:
        totals = await queries.totals(session, query)
        rows = await queries.points(session, query, (), span.granularity.value, span.tz.key)
        top = {}
        for name, (dimension, order) in TOP_LISTS.items():
            grouped = await queries.grouped_totals(session, query, [dimension], order_by=order, limit=top_n)
            top[name] = [
                Ranked(dims[dimension], counters, counters.cost / totals.cost if totals.cost else 0.0)
                for dims, counters in grouped
                if dims[dimension]
            ]
        failed = queries.RangeQuery(query.table, _with_status(where, "failed"), span.start, span.end)
        errors = await queries.grouped_totals(session, failed, ["error_code"], order_by="requests")
        latency, ttft = await queries.sketches(session, query)
        # Activity is counted per UTC day: the days the range touches (its end is exclusive).
        last_day = (span.end - timedelta(microseconds=1)).date()
        activity = await queries.activity(session, where, span.start.date(), last_day)
    by_bucket = {bucket: counters for _, bucket, counters in rows}
    return DashboardData(
        totals=totals,
        series=[(bucket, by_bucket.get(bucket, Counters())) for bucket in span.buckets],
        top=top,
        errors=[(dims["error_code"] or "UNKNOWN", counters.requests) for dims, counters in errors],
        latency_ms=sketch.percentiles(latency, QUANTILES),
        ttft_ms=sketch.percentiles(ttft, QUANTILES),
        activity=activity,
    )


def _with_status(where: UsageFilter, status: str) -> UsageFilter:
    return replace(where, status=status)
