"""Daily range partitions of ``usage_events``: created ahead, dropped whole by retention.

Dropping a day's partition is a catalog change, not a DELETE of millions of rows, so
retention never bloats the table or runs for minutes. Partitions are named
``usage_events_pYYYYMMDD`` and hold [day 00:00 UTC, next day 00:00 UTC).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

__all__ = ["create_partition", "drop_partitions_before", "existing_partitions", "partition_name"]

SCHEMA = "analytics"
PARENT = "usage_events"
_NAME = re.compile(r"^usage_events_p(\d{8})$")


def partition_name(day: date) -> str:
    return f"{PARENT}_p{day:%Y%m%d}"


def _bound(day: date) -> str:
    return datetime.combine(day, time(), tzinfo=UTC).isoformat()


async def existing_partitions(conn: AsyncConnection) -> list[date]:
    """Days that have a partition, oldest first."""
    rows = await conn.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = p.relnamespace "
            "WHERE n.nspname = :schema AND p.relname = :parent"
        ),
        {"schema": SCHEMA, "parent": PARENT},
    )
    days = []
    for (name,) in rows:
        if match := _NAME.match(name):
            days.append(datetime.strptime(match.group(1), "%Y%m%d").date())
    return sorted(days)


async def create_partition(engine: AsyncEngine, day: date) -> None:
    """Create ``day``'s partition unless it exists (a concurrent creator is not an error)."""
    ddl = (
        f'CREATE TABLE IF NOT EXISTS {SCHEMA}."{partition_name(day)}" PARTITION OF {SCHEMA}.{PARENT} '
        f"FOR VALUES FROM ('{_bound(day)}') TO ('{_bound(day + timedelta(days=1))}')"
    )
    try:
        async with engine.begin() as conn:
            await conn.execute(text(ddl))
    except DBAPIError as exc:  # two instances raced: the other one created it
        if "already exists" not in str(exc):
            raise


async def drop_partitions_before(engine: AsyncEngine, cutoff: date) -> list[date]:
    """Drop every partition whose whole day lies before ``cutoff``; returns the days dropped."""
    async with engine.connect() as conn:
        days = [day for day in await existing_partitions(conn) if day < cutoff]
    for day in days:
        async with engine.begin() as conn:
            await conn.execute(text(f'DROP TABLE IF EXISTS {SCHEMA}."{partition_name(day)}"'))
    return days
