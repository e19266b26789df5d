"""Buckets of a series and the rollup tier chosen for a query."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from analytics.domain.facts import UsageFact
from analytics.domain.rollups import fold
from analytics.domain.timeranges import Granularity, bucket_starts, choose_tier, truncate

UTC_ZONE = ZoneInfo("UTC")
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
KEPT = {"minute": NOW - timedelta(days=2), "hour": NOW - timedelta(days=365), "day": None}


def test_day_buckets_follow_the_time_zone_and_dst() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    start = datetime(2026, 3, 28, 0, 0, tzinfo=berlin).astimezone(UTC)
    end = datetime(2026, 3, 31, 0, 0, tzinfo=berlin).astimezone(UTC)
    starts = bucket_starts(start, end, Granularity.DAY, berlin)
    assert [s.astimezone(berlin).day for s in starts] == [28, 29, 30]
    assert starts[1] - starts[0] == timedelta(hours=24) and starts[2] - starts[1] == timedelta(hours=23)


def test_weeks_start_on_monday_and_months_on_the_first() -> None:
    start = datetime(2026, 1, 14, tzinfo=UTC)
    weeks = bucket_starts(start, start + timedelta(days=15), Granularity.WEEK, UTC_ZONE)
    assert all(w.weekday() == 0 for w in weeks) and len(weeks) == 3
    months = bucket_starts(start, datetime(2026, 4, 2, tzinfo=UTC), Granularity.MONTH, UTC_ZONE)
    assert [m.month for m in months] == [1, 2, 3, 4] and all(m.day == 1 for m in months)
    assert truncate(datetime(2026, 12, 31, 23, 59, tzinfo=UTC), "month", UTC_ZONE).month == 12


def test_tier_choice() -> None:
    day_start = datetime(2026, 11, 1, tzinfo=UTC)
    assert (
        choose_tier(Granularity.DAY, day_start, day_start + timedelta(days=30), UTC_ZONE, KEPT).name == "day"
    )
    # Short unaligned ranges read a finer tier, long ones the coarse tier at its bucket edges.
    assert choose_tier(Granularity.DAY, day_start + timedelta(hours=3), NOW, UTC_ZONE, KEPT).name == "day"
    assert choose_tier(Granularity.DAY, NOW - timedelta(days=3), NOW, UTC_ZONE, KEPT).name == "hour"
    assert (
        choose_tier(Granularity.HOUR, NOW - timedelta(hours=24, minutes=7), NOW, UTC_ZONE, KEPT).name
        == "hour"
    )
    # A non-UTC calendar never reads UTC days.
    tokyo = ZoneInfo("Asia/Tokyo")
    assert choose_tier(Granularity.DAY, day_start, NOW, tokyo, KEPT).name == "hour"
    recent = NOW - timedelta(minutes=90)
    assert choose_tier(Granularity.HOUR, recent, NOW, UTC_ZONE, KEPT).name == "minute"
    assert choose_tier(Granularity.MINUTE, recent, NOW, UTC_ZONE, KEPT).name == "minute"
    # Past minute retention, an hour series reads hours even when its ends are not aligned.
    old = NOW - timedelta(days=10, minutes=30)
    assert choose_tier(Granularity.HOUR, old, NOW, UTC_ZONE, KEPT).name == "hour"


def test_fold_sums_per_bucket_and_key_whatever_the_order() -> None:
    at = datetime(2026, 12, 6, 10, 0, 30, tzinfo=UTC)
    facts = [
        UsageFact(
            event_id=str(i), request_id=str(i), occurred_at=at + timedelta(minutes=i % 3), cost=i, model="m"
        )
        for i in range(9)
    ]
    minute = fold(facts, "minute")
    assert [row.requests for row in minute] == [3] * 9  # three minutes, three cubes
    assert [row.values() for row in fold(list(reversed(facts)), "hour")] == [
        row.values() for row in fold(facts, "hour")
    ]
    assert {row.cube: row.cost for row in fold(facts, "day")} == {0: 36, 1: 36, 2: 36}
    narrow = next(row for row in fold(facts, "day") if row.cube == 1)
    assert narrow.key[0] == "" and set(narrow.key) == {""}  # no tenant in these facts: every key blank
