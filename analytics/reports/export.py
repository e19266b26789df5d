"""Building a report as a stream of file pieces: nothing holds the whole file in memory.

- REQUEST_LOG: one row per request from the raw partitions, through a server-side cursor.
- USAGE_SUMMARY: one row per bucket and group from the rollups.
- BILLING: one row per day, tenant, user and API key: billed tokens and cost.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from analytics.config import AnalyticsSettings
from analytics.domain.scope import UsageFilter
from analytics.queries.ranges import TimeRange
from analytics.reports.formats import CONTENT_TYPES, chunks
from analytics.store import queries
from analytics.store.exports import REQUEST_LOG_COLUMNS, request_log
from analytics.store.tables import ROLLUPS

__all__ = ["Piece", "ReportRequest", "export"]

_SUMMARY_MEASURES = (
    "requests",
    "failed_requests",
    "cancelled_requests",
    "prompt_tokens",
    "completion_tokens",
    "cost",
    "active_users",
)
_BILLING_GROUPS = ("tenant_id", "user_id", "api_key_id")
_BILLING_MEASURES = ("requests", "prompt_tokens", "completion_tokens", "cost")


@dataclass(frozen=True)
class ReportRequest:
    kind: str  # "request_log", "usage_summary", "billing"
    fmt: str  # "csv", "jsonl"
    where: UsageFilter
    span: TimeRange
    group_by: Sequence[str] = ()


@dataclass(frozen=True)
class Piece:
    data: bytes
    rows: int
    content_type: str = ""
    file_name: str = ""


async def _summary_rows(
    sessions: async_sessionmaker[AsyncSession],
    request: ReportRequest,
    group_by: Sequence[str],
    measures: Sequence[str],
) -> AsyncIterator[Sequence[Any]]:
    span = request.span
    query = queries.RangeQuery(ROLLUPS[span.tier.name], request.where, span.start, span.end)
    async with sessions() as session:
        rows = await queries.points(session, query, group_by, span.granularity.value, span.tz.key)
    for dims, bucket, counters in rows:
        yield (bucket, *(dims[name] for name in group_by), *(getattr(counters, m) for m in measures))


def _rows(
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    settings: AnalyticsSettings,
    request: ReportRequest,
) -> tuple[list[str], AsyncIterator[Sequence[Any]]]:
    if request.kind == "request_log":
        rows = request_log(
            engine, request.where, request.span.start, request.span.end, settings.export_fetch_rows
        )
        return list(REQUEST_LOG_COLUMNS), rows
    if request.kind == "billing":
        columns = ["day", *_BILLING_GROUPS, *_BILLING_MEASURES]
        return columns, _summary_rows(sessions, request, _BILLING_GROUPS, _BILLING_MEASURES)
    columns = ["bucket_start", *request.group_by, *_SUMMARY_MEASURES]
    return columns, _summary_rows(sessions, request, request.group_by, _SUMMARY_MEASURES)


async def export(
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    settings: AnalyticsSettings,
    request: ReportRequest,
) -> AsyncIterator[Piece]:
    columns, rows = _rows(engine, sessions, settings, request)
    first = True
    name = f"{request.kind}-{request.span.start:%Y%m%d}-{request.span.end:%Y%m%d}.{request.fmt}"
    async for data, count in chunks(request.fmt, columns, rows, settings.export_chunk_bytes):
        if first:
            yield Piece(data, count, CONTENT_TYPES[request.fmt], name)
            first = False
        else:
            yield Piece(data, count)
