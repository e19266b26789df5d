"""GetUsage: one time series per combination of group-by values, largest cost first.

Three reads, all on one rollup tier: the page of groups (ordered by cost), the points of
just those groups, and the totals of everything the filter matched. Empty buckets are
filled with zero counters here, so a series always has one point per bucket.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from analytics.domain.metrics import Counters
from analytics.domain.scope import UsageFilter
from analytics.queries.ranges import TimeRange
from analytics.store import queries
from analytics.store.tables import ROLLUPS

__all__ = ["Series", "UsagePage", "get_usage"]


@dataclass(frozen=True)
class Series:
    dimensions: dict[str, str]
    points: list[tuple[datetime, Counters]]
    totals: Counters


@dataclass(frozen=True)
class UsagePage:
    series: list[Series]
    totals: Counters
    next_offset: int | None


async def get_usage(
    sessions: async_sessionmaker[AsyncSession],
    where: UsageFilter,
    span: TimeRange,
    group_by: Sequence[str],
    *,
    limit: int,
    offset: int,
) -> UsagePage:
    query = queries.RangeQuery(ROLLUPS[span.tier.name], where, span.start, span.end)
    async with sessions() as session:
        groups = await queries.grouped_totals(session, query, group_by, limit=limit + 1, offset=offset)
        more = len(groups) > limit
        groups = groups[:limit]
        rows = await queries.points(
            session, query, group_by, span.granularity.value, span.tz.key, [g for g, _ in groups]
        )
        overall = await queries.totals(session, query)
    by_group: dict[tuple[str, ...], dict[datetime, Counters]] = {}
    for dims, bucket, counters in rows:
        by_group.setdefault(tuple(dims[name] for name in group_by), {})[bucket] = counters
    series = []
    for dims, group_totals in groups:
        found = by_group.get(tuple(dims[name] for name in group_by), {})
        points = [(bucket, found.get(bucket, Counters())) for bucket in span.buckets]
        series.append(Series(dims, points, group_totals))
    return UsagePage(series, overall, offset + limit if more else None)
