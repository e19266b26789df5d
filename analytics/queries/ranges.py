"""Checking a query's time range and picking the rollup tier that answers it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from analytics.config import AnalyticsSettings
from analytics.domain.timeranges import Granularity, Tier, bucket_starts, choose_tier
from mesh.errors import FieldViolation, InvalidArgument

__all__ = ["TimeRange", "resolve_range", "time_zone"]


@dataclass(frozen=True)
class TimeRange:
    start: datetime
    end: datetime
    granularity: Granularity
    tz: ZoneInfo
    tier: Tier
    buckets: list[datetime]


def time_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidArgument(
            "bad time_zone", [FieldViolation("time_zone", f"{name!r} is not an IANA time zone")]
        ) from None


def retained_since(settings: AnalyticsSettings, now: datetime) -> dict[str, datetime | None]:
    def since(days: int) -> datetime | None:
        return None if days == 0 else now - timedelta(days=days)

    return {
        "minute": since(settings.minute_retention_days),
        "hour": since(settings.hour_retention_days),
        "day": since(settings.day_retention_days),
    }


def resolve_range(
    settings: AnalyticsSettings,
    *,
    start: datetime | None,
    end: datetime | None,
    default_span: timedelta,
    granularity: Granularity,
    tz_name: str,
    now: datetime | None = None,
) -> TimeRange:
    """Defaults filled in and checked: INVALID_ARGUMENT with a field violation per problem."""
    now = now or datetime.now(UTC)
    tz = time_zone(tz_name)
    end = end or now
    start = start or end - default_span
    if start >= end:
        raise InvalidArgument("bad time range", [FieldViolation("start_time", "must be before end_time")])
    try:
        tier = choose_tier(granularity, start, end, tz, retained_since(settings, now))
        # Counted with a cap: generating every bucket of a fuzzed multi-millennium range first
        # would block the event loop (and so every RPC) for minutes.
        buckets = bucket_starts(start, end, granularity, tz, limit=settings.max_points)
    except OverflowError:  # a bucket edge in the zone falls before year 1 or after 9999
        raise InvalidArgument(
            "bad time range", [FieldViolation("start_time", "the range's buckets leave the calendar")]
        ) from None
    if len(buckets) > settings.max_points:
        raise InvalidArgument(
            "too many buckets",
            [
                FieldViolation(
                    "granularity",
                    f"more than {settings.max_points} {granularity.value} buckets in the range; "
                    f"at most {settings.max_points}",
                )
            ],
        )
    return TimeRange(start, end, granularity, tz, tier, buckets)
