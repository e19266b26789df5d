"""StreamLiveStats: windows over the Redis counters ingestion feeds, scoped like every query."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from chatmesh.analytics.v1 import usage_pb2
from google.protobuf import duration_pb2

from analytics.deps import AnalyticsDeps
from mesh.config import Settings
from tests.integration.analytics.analytics_events import usage_envelope
from tests.integration.analytics.analytics_harness import as_user, serving, violations


def _seconds(value: int) -> duration_pb2.Duration:
    return duration_pb2.Duration(seconds=value)


async def _first(stub: Any, who: str, **fields: Any) -> usage_pb2.StreamLiveStatsResponse:
    call = stub.StreamLiveStats(usage_pb2.StreamLiveStatsRequest(**fields), metadata=as_user(who))
    try:
        async for response in call:
            return response
    finally:
        call.cancel()
    raise AssertionError("no update")


async def test_live_window_counts_recent_requests_per_scope(
    analytics_settings: Settings, deps: AnalyticsDeps
) -> None:
    second = datetime.fromtimestamp(int(time.time()) - 2, UTC)
    envelopes = [
        usage_envelope(second, user="alice-id", model="m-live", prompt=7, completion=3, latency_ms=120)
        for _ in range(4)
    ]
    envelopes.append(
        usage_envelope(second - timedelta(seconds=1), user="bob-id", model="m-other", status="failed")
    )
    assert deps.ingestor is not None
    await deps.ingestor.apply(envelopes)
    async with serving(analytics_settings, deps) as stub:
        own = await _first(stub, "alice", window=_seconds(30))
        assert own.metrics.requests == 4 and own.metrics.total_tokens == 40
        assert own.requests_per_second == pytest.approx(4 / 30)
        assert [m.key for m in own.top_models] == ["m-live"]
        assert 100 <= own.latency.p50.ToMilliseconds() <= 140

        tenant = await _first(stub, "admin", window=_seconds(30))
        assert tenant.metrics.requests >= 5 and tenant.metrics.failed_requests >= 1
        one_model = await _first(
            stub, "admin", window=_seconds(30), filter=usage_pb2.UsageFilter(model="m-live")
        )
        assert one_model.metrics.requests >= 4 and one_model.metrics.failed_requests == 0

        for fields, field in (
            ({"filter": usage_pb2.UsageFilter(channel_id="c1")}, "filter.channel_id"),
            ({"window": _seconds(0)}, "window"),
            ({"interval": duration_pb2.Duration(nanos=500_000_000)}, "interval"),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await _first(stub, "admin", **fields)
            assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert field in violations(caught.value)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await _first(stub, "alice", filter=usage_pb2.UsageFilter(user_id="bob-id"))
        assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
