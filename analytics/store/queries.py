"""Reading rollups: series, totals, top lists, error breakdowns and merged sketches.

Every query reads one cube (domain.facts.CUBES), is bounded by ``bucket_start`` and, for
anyone but a platform admin, pinned to a tenant (``ix_*_tenant_time``), so its cost grows
with the rollup rows in the range, never with the requests behind them. Sketches are
merged in Postgres with ``analytics.hist_sum``, from the narrowest cube that can answer
(a tenant's month is 30 sketches), since merging is the costly part.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Double,
    Select,
    Table,
    and_,
    cast,
    func,
    literal,
    select,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.domain.facts import cube_for
from analytics.domain.metrics import Counters
from analytics.domain.scope import UsageFilter
from analytics.store.tables import activity_daily

__all__ = ["RangeQuery", "activity", "grouped_totals", "points", "sketches", "totals"]

# The summed Counters fields, in the dataclass's order (rows are read back positionally).
_SUMS = tuple(f.name for f in fields(Counters) if f.name != "active_users")


@dataclass(frozen=True)
class RangeQuery:
    """Rollup ``table`` rows in [start, end) matching ``where``."""

    table: Table
    where: UsageFilter
    start: datetime
    end: datetime

    def cube(self, *dimensions: str) -> int:
        """The narrowest cube holding the filter's dimensions and ``dimensions``."""
        return cube_for({name for name, _ in self.where.items()} | set(dimensions))

    def conditions(self, cube: int) -> ColumnElement[bool]:
        c = self.table.c
        clauses = [c.cube == cube, c.bucket_start >= self.start, c.bucket_start < self.end]
        clauses += [c[name] == value for name, value in self.where.items()]
        return and_(*clauses)


def _measures(table: Table) -> list[Any]:
    """The Counters fields, in their order; sums cast back to bigint (numeric decodes slowly)."""
    c = table.c
    columns: list[Any] = [
        cast(func.coalesce(func.sum(c[name]), 0), Double if name == "latency_ms_sum" else BigInteger).label(
            name
        )
        for name in _SUMS
    ]
    columns.append(func.count(func.distinct(c.user_id)).filter(c.user_id != "").label("active_users"))
    return columns


def _counters(row: Sequence[Any], first: int) -> Counters:
    """Counters from the measures that start at column ``first`` of a row."""
    return Counters(*row[first:])


def _dims(table: Table, group_by: Sequence[str]) -> list[Any]:
    return [table.c[name].label(name) for name in group_by]


async def totals(session: AsyncSession, query: RangeQuery) -> Counters:
    # The user cube at least: active_users counts distinct users.
    condition = query.conditions(query.cube("user_id"))
    row = (await session.execute(select(*_measures(query.table)).where(condition))).one()
    return _counters(row, 0)


async def grouped_totals(
    session: AsyncSession,
    query: RangeQuery,
    group_by: Sequence[str],
    *,
    order_by: str = "cost",
    limit: int | None = None,
    offset: int = 0,
) -> list[tuple[dict[str, str], Counters]]:
    """Totals per combination of ``group_by`` values, largest ``order_by`` first (then by key)."""
    dims = [query.table.c[name] for name in group_by]
    statement: Select[Any] = (
        select(*_dims(query.table, group_by), *_measures(query.table))
        .where(query.conditions(query.cube("user_id", *group_by)))
        .group_by(*dims)
        .order_by(func.sum(query.table.c[order_by]).desc(), *dims)
        .offset(offset)
    )
    if limit is not None:
        statement = statement.limit(limit)
    rows = (await session.execute(statement)).all()
    width = len(group_by)
    return [(dict(zip(group_by, row[:width], strict=True)), _counters(row, width)) for row in rows]


async def points(
    session: AsyncSession,
    query: RangeQuery,
    group_by: Sequence[str],
    unit: str,
    tz: str,
    groups: Sequence[dict[str, str]] | None = None,
) -> list[tuple[dict[str, str], datetime, Counters]]:
    """Counters per group and ``unit`` bucket in ``tz``; ``groups`` limits to those combinations.

    When the table's own buckets are the wanted ones (a UTC day series read from the day tier)
    they are used as they are: a time-zone-aware ``date_trunc`` per row costs more than the
    rest of the query.
    """
    table = query.table
    if table.name.endswith(f"_{unit}") and (unit in ("minute", "hour") or tz == "UTC"):
        bucket = table.c.bucket_start.label("bucket")
    else:
        bucket = func.date_trunc(unit, table.c.bucket_start, literal(tz)).label("bucket")
    dims = [table.c[name] for name in group_by]
    condition = query.conditions(query.cube("user_id", *group_by))
    if groups is not None and group_by:
        if not groups:
            return []
        keys = [tuple(group[name] for name in group_by) for group in groups]
        condition = and_(condition, tuple_(*dims).in_(keys))
    statement = (
        select(bucket, *_dims(table, group_by), *_measures(table))
        .where(condition)
        .group_by(bucket, *dims)
        .order_by(bucket)
    )
    rows = (await session.execute(statement)).all()
    width = len(group_by) + 1
    return [(dict(zip(group_by, row[1:width], strict=True)), row[0], _counters(row, width)) for row in rows]


async def sketches(session: AsyncSession, query: RangeQuery) -> tuple[list[int], list[int]]:
    """Merged latency and TTFT sketches of the range, from the narrowest cube that can answer."""
    c = query.table.c
    statement = select(func.analytics.hist_sum(c.latency_hist), func.analytics.hist_sum(c.ttft_hist)).where(
        query.conditions(query.cube())
    )
    latency, ttft = (await session.execute(statement)).one()
    return list(latency or []), list(ttft or [])


async def activity(session: AsyncSession, where: UsageFilter, start: date, end: date) -> dict[str, int]:
    """Activity counts per metric for days in [start, end] (tenant and user of ``where`` only)."""
    c = activity_daily.c
    clauses = [c.day >= start, c.day <= end]
    if where.tenant_id:
        clauses.append(c.tenant_id == where.tenant_id)
    if where.user_id:
        clauses.append(c.user_id == where.user_id)
    statement = select(c.metric, func.sum(c["count"])).where(and_(*clauses)).group_by(c.metric)
    return {metric: int(count) for metric, count in (await session.execute(statement)).all()}
