"""Time buckets and rollup tiers: which tier answers a query, and the buckets of a series.

Rollups exist per minute, hour and day (UTC). A query reads the coarsest tier whose bucket
fits the requested granularity, lines up with the range ends and is still retained, so a
30-day range grouped by day reads 30 rows per group, not 43,200. Days, weeks and months in a
time zone other than UTC are built from hourly rows (shifted at query time) while those are
retained.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from enum import Enum
from zoneinfo import ZoneInfo

__all__ = ["TIERS", "Granularity", "Tier", "bucket_starts", "choose_tier", "truncate"]


class Granularity(Enum):
    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"

    @property
    def fixed(self) -> timedelta | None:
        """The bucket length when it does not depend on the calendar."""
        return {"minute": timedelta(minutes=1), "hour": timedelta(hours=1)}.get(self.value)


@dataclass(frozen=True)
class Tier:
    name: str  # "minute", "hour", "day": the rollup table's suffix and date_trunc unit
    size: timedelta


TIERS = (
    Tier("minute", timedelta(minutes=1)),
    Tier("hour", timedelta(hours=1)),
    Tier("day", timedelta(days=1)),
)
_ORDER = {"minute": 0, "hour": 1, "day": 2, "week": 3, "month": 3}
# A range this many buckets long may be read from a tier it is not aligned with.
ROUNDING_BUCKETS = 24


def _aligned(moment: datetime, tier: Tier) -> bool:
    return truncate(moment, tier.name, UTC) == moment


def choose_tier(
    granularity: Granularity,
    start: datetime,
    end: datetime,
    tz: ZoneInfo,
    retained_since: dict[str, datetime | None],
) -> Tier:
    """The tier to read; ``retained_since[tier]`` is the oldest bucket still kept (None: forever).

    Candidates are tiers no coarser than the granularity (UTC days only for UTC calendars),
    tried coarsest first. The first retained one wins when it is aligned with both ends, or
    when the range spans at least :data:`ROUNDING_BUCKETS` of its buckets: the range is then
    read at that tier's bucket edges (the partial first bucket is left out, the last one read
    whole), an error of at most 1/24 of the range that saves reading, say, 1,440 minute rows
    for a "last 24 hours" dashboard. Otherwise the finest retained tier is read.
    """
    utc = tz.key == "UTC"
    fits = [
        tier
        for tier in TIERS
        if _ORDER[tier.name] <= _ORDER[granularity.value] and (tier.name != "day" or utc)
    ]
    retained = [t for t in fits if retained_since.get(t.name) is None or start >= retained_since[t.name]]  # type: ignore[operator]
    for tier in reversed(retained):
        if (_aligned(start, tier) and _aligned(end, tier)) or end - start >= ROUNDING_BUCKETS * tier.size:
            return tier
    if retained:
        return retained[0]
    return fits[-1]


def truncate(moment: datetime, unit: str, tz: tzinfo) -> datetime:
    """Start of the ``unit`` bucket holding ``moment`` in ``tz`` (as Postgres' date_trunc does)."""
    local = moment.astimezone(tz)
    if unit == "minute":
        local = local.replace(second=0, microsecond=0)
    elif unit == "hour":
        local = local.replace(minute=0, second=0, microsecond=0)
    elif unit == "day":
        local = local.replace(hour=0, minute=0, second=0, microsecond=0)
    elif unit == "week":
        local = local.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=local.weekday())
    elif unit == "month":
        local = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    else:
        raise ValueError(f"unknown unit {unit!r}")
    # Re-attach the zone so a DST shift between moment and bucket start is applied.
    naive = local.replace(tzinfo=None)
    return naive.replace(tzinfo=tz).astimezone(UTC)


def _next(start: datetime, unit: str, tz: tzinfo) -> datetime:
    local = start.astimezone(tz).replace(tzinfo=None)
    if unit == "minute":
        local += timedelta(minutes=1)
    elif unit == "hour":
        return start + timedelta(hours=1)
    elif unit == "day":
        local += timedelta(days=1)
    elif unit == "week":
        local += timedelta(days=7)
    else:
        local = local.replace(year=local.year + local.month // 12, month=local.month % 12 + 1)
    return local.replace(tzinfo=tz).astimezone(UTC)


def bucket_starts(
    start: datetime, end: datetime, granularity: Granularity, tz: ZoneInfo, limit: int | None = None
) -> list[datetime]:
    """Starts of every bucket overlapping [start, end), in order (empty buckets included).

    With ``limit``, stops after ``limit + 1`` starts: enough for the caller to tell the range
    is too long. Without it a valid-looking request (minute or day buckets from year 1 to
    9999) would loop millions of times on the event loop and stall every RPC of the process.
    """
    unit = granularity.value
    current = truncate(start, unit, tz)
    starts: list[datetime] = []
    while current < end and (limit is None or len(starts) <= limit):
        starts.append(current)
        try:
            current = _next(current, unit, tz)
        except (OverflowError, ValueError):  # past datetime.max: no further bucket exists
            break
    return starts
