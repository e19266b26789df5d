"""GetUsage and GetDashboard over gRPC: figures from rollups, scopes by role, requests checked."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
import pytest_asyncio
from chatmesh.analytics.v1 import usage_pb2
from google.protobuf import timestamp_pb2

from analytics.deps import AnalyticsDeps
from mesh.config import Settings
from tests.integration.analytics.analytics_events import usage_envelope
from tests.integration.analytics.analytics_harness import as_user, serving, violations

DAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)


def _ts(value: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


@pytest_asyncio.fixture
async def stub(analytics_settings: Settings, deps: AnalyticsDeps) -> AsyncIterator[Any]:
    """Yesterday's traffic: alice 6 requests (2 failed), bob 3, eve (tenant t2) 4."""
    envelopes = []
    for i in range(6):
        failed = i < 2
        envelopes.append(
            usage_envelope(
                DAY + timedelta(hours=i),
                user="alice-id",
                key="k-alice",
                model="m-a" if i % 2 else "m-b",
                status="failed" if failed else "succeeded",
                error_code="UNAVAILABLE" if failed else "",
                latency_ms=100 * (i + 1),
                cost=10,
            )
        )
    envelopes += [
        usage_envelope(DAY + timedelta(hours=2), user="bob-id", key="k-bob", cost=5) for _ in range(3)
    ]
    envelopes += [
        usage_envelope(DAY + timedelta(hours=3), tenant="t2", user="eve-id", cost=1) for _ in range(4)
    ]
    async with deps.engine.begin() as conn:  # each test starts from its own traffic only
        from sqlalchemy import text

        for table in ("usage_rollup_minute", "usage_rollup_hour", "usage_rollup_day", "processed_events"):
            await conn.execute(text(f"TRUNCATE analytics.{table}"))
    assert deps.ingestor is not None
    await deps.ingestor.apply(envelopes)
    async with serving(analytics_settings, deps) as running:
        yield running


def _usage(**fields: Any) -> usage_pb2.GetUsageRequest:
    fields.setdefault("start_time", _ts(DAY))
    fields.setdefault("end_time", _ts(DAY + timedelta(days=1)))
    return usage_pb2.GetUsageRequest(**fields)


async def test_plain_user_sees_only_own_usage(stub: Any) -> None:
    response = await stub.GetUsage(_usage(), metadata=as_user("alice"))
    assert response.totals.requests == 6 and response.totals.failed_requests == 2
    assert response.totals.cost == 60
    bob = await stub.GetUsage(_usage(), metadata=as_user("bob"))
    assert bob.totals.requests == 3


async def test_tenant_admin_sees_the_tenant_grouped_by_user(stub: Any) -> None:
    response = await stub.GetUsage(
        _usage(group_by=[usage_pb2.USAGE_DIMENSION_USER]), metadata=as_user("admin")
    )
    assert response.totals.requests == 9
    by_user = {s.dimensions["user"]: s.totals.requests for s in response.series}
    assert by_user == {"alice-id": 6, "bob-id": 3}
    assert [s.dimensions["user"] for s in response.series] == ["alice-id", "bob-id"]  # largest cost first
    assert all(len(s.points) == 1 for s in response.series)


async def test_super_admin_sees_every_tenant(stub: Any) -> None:
    response = await stub.GetUsage(
        _usage(group_by=[usage_pb2.USAGE_DIMENSION_TENANT]), metadata=as_user("root")
    )
    assert {s.dimensions["tenant"]: s.totals.requests for s in response.series} == {"t1": 9, "t2": 4}


async def test_hourly_series_has_every_bucket(stub: Any) -> None:
    response = await stub.GetUsage(
        _usage(granularity=usage_pb2.GRANULARITY_HOUR, group_by=[usage_pb2.USAGE_DIMENSION_MODEL]),
        metadata=as_user("alice"),
    )
    for series in response.series:
        assert len(series.points) == 24
        assert sum(p.metrics.requests for p in series.points) == series.totals.requests == 3


async def test_overreach_is_permission_denied(stub: Any) -> None:
    for who, wanted in (
        ("alice", {"user_id": "bob-id"}),
        ("alice", {"tenant_id": "t2"}),
        ("admin", {"tenant_id": "t2"}),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.GetUsage(_usage(filter=usage_pb2.UsageFilter(**wanted)), metadata=as_user(who))
        assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_bad_requests_are_invalid_argument_with_details(stub: Any) -> None:
    cases = [
        (_usage(group_by=[usage_pb2.USAGE_DIMENSION_MODEL, usage_pb2.USAGE_DIMENSION_MODEL]), "group_by[1]"),
        (_usage(group_by=[42]), "group_by[0]"),
        (_usage(start_time=_ts(DAY), end_time=_ts(DAY)), "start_time"),
        (_usage(time_zone="Mars/Olympus"), "time_zone"),
        (
            _usage(granularity=usage_pb2.GRANULARITY_MINUTE, start_time=_ts(DAY - timedelta(days=30))),
            "granularity",
        ),
        (_usage(page_token="nope"), "page_token"),
    ]
    for request, field in cases:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.GetUsage(request, metadata=as_user("alice"))
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT, field
        assert field in violations(caught.value), (field, violations(caught.value))


async def test_series_page(stub: Any) -> None:
    first = await stub.GetUsage(
        _usage(group_by=[usage_pb2.USAGE_DIMENSION_USER], page_size=1), metadata=as_user("admin")
    )
    assert [s.dimensions["user"] for s in first.series] == ["alice-id"] and first.next_page_token
    second = await stub.GetUsage(
        _usage(group_by=[usage_pb2.USAGE_DIMENSION_USER], page_size=1, page_token=first.next_page_token),
        metadata=as_user("admin"),
    )
    assert [s.dimensions["user"] for s in second.series] == ["bob-id"] and not second.next_page_token


async def test_dashboard_figures(stub: Any) -> None:
    request = usage_pb2.GetDashboardRequest(start_time=_ts(DAY), end_time=_ts(DAY + timedelta(days=1)))
    board = (await stub.GetDashboard(request, metadata=as_user("alice"))).dashboard
    assert board.totals.requests == 6
    assert board.error_rate == pytest.approx(2 / 6)
    assert [(e.reason, e.count) for e in board.errors] == [("UNAVAILABLE", 2)]
    assert {m.key for m in board.top_models} == {"m-a", "m-b"}
    assert [u.key for u in board.top_users] == ["alice-id"]
    assert len(board.time_series) == 24  # a one-day range is bucketed by hour
    p50 = board.latency.p50.ToMilliseconds()
    p99 = board.latency.p99.ToMilliseconds()
    assert 300 * 0.9 <= p50 <= 300 * 1.1 and 600 * 0.9 <= p99 <= 600 * 1.1
    admin = (await stub.GetDashboard(request, metadata=as_user("admin"))).dashboard
    assert admin.totals.requests == 9 and admin.totals.active_users == 2


async def test_days_in_another_time_zone_come_from_hours(stub: Any) -> None:
    """Tokyo days start at 15:00 UTC: alice's six hourly requests (00:00-05:00 UTC) fall in one."""
    tokyo_day = DAY - timedelta(hours=9)  # 00:00 in Tokyo on DAY's date
    response = await stub.GetUsage(
        _usage(
            start_time=_ts(tokyo_day),
            end_time=_ts(tokyo_day + timedelta(days=2)),
            granularity=usage_pb2.GRANULARITY_DAY,
            time_zone="Asia/Tokyo",
        ),
        metadata=as_user("alice"),
    )
    points = response.series[0].points
    assert [p.start_time.ToDatetime(tzinfo=UTC) for p in points] == [tokyo_day, tokyo_day + timedelta(days=1)]
    assert [p.metrics.requests for p in points] == [6, 0]


async def test_dashboard_counts_platform_activity_once(stub: Any, deps: AnalyticsDeps) -> None:
    from chatmesh.events.v1 import conversation_events_pb2, identity_events_pb2

    from mesh.events import build_envelope

    at = DAY + timedelta(hours=4)
    envelopes = [
        build_envelope(
            conversation_events_pb2.ConversationCreated(conversation_id=f"c{i}", owner_id="alice-id"),
            source="conversation",
            tenant_id="t1",
            actor_id="",
            occurred_at=at,
        )
        for i in range(3)
    ]
    envelopes.append(
        build_envelope(
            identity_events_pb2.UserRegistered(user_id="new-id"),
            source="identity",
            tenant_id="t1",
            actor_id="",
            occurred_at=at,
        )
    )
    assert deps.ingestor is not None
    assert await deps.ingestor.apply(envelopes) == 4
    assert await deps.ingestor.apply(envelopes) == 0
    request = usage_pb2.GetDashboardRequest(start_time=_ts(DAY), end_time=_ts(DAY + timedelta(days=1)))
    admin = (await stub.GetDashboard(request, metadata=as_user("admin"))).dashboard
    assert (admin.activity.conversations_created, admin.activity.users_registered) == (3, 1)
    alice = (await stub.GetDashboard(request, metadata=as_user("alice"))).dashboard
    assert (alice.activity.conversations_created, alice.activity.users_registered) == (3, 0)
