"""StreamLiveStats: one window update per interval until the caller goes away."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chatmesh.analytics.v1 import usage_pb2

from analytics.api import convert
from analytics.api.caller import usage_caller
from analytics.domain.scope import UsageFilter, scoped
from analytics.live.stats import read_window
from analytics.store.live import scope_key
from mesh.errors import FieldViolation, InvalidArgument, Unavailable

if TYPE_CHECKING:
    from analytics.deps import AnalyticsDeps

__all__ = ["LiveApi"]

DEFAULT_WINDOW = 60
MAX_INTERVAL = 60
# Live counters are kept per platform, tenant, user and model only.
_UNSUPPORTED = ("api_key_id", "channel_id", "arm", "source")


def _seconds(request: Any, field: str, default: int, low: int, high: int) -> int:
    if not request.HasField(field):
        return default
    value = getattr(request, field).ToTimedelta().total_seconds()
    if value != int(value) or not low <= value <= high:
        raise InvalidArgument(
            f"bad {field}", [FieldViolation(field, f"must be whole seconds between {low} and {high}")]
        )
    return int(value)


def _live_scope(where: UsageFilter) -> str:
    bad = [
        FieldViolation(f"filter.{name}", "not available on live stats")
        for name in _UNSUPPORTED
        if getattr(where, name)
    ]
    if where.user_id and not where.tenant_id:
        bad.append(FieldViolation("filter.tenant_id", "is required with filter.user_id"))
    if bad:
        raise InvalidArgument("bad filter", bad)
    return scope_key(where.tenant_id, where.user_id)


class LiveApi:
    deps: AnalyticsDeps

    async def StreamLiveStats(
        self, request: usage_pb2.StreamLiveStatsRequest, context: Any
    ) -> AsyncIterator[usage_pb2.StreamLiveStatsResponse]:
        wanted = convert.usage_filter(request.filter)
        window = _seconds(request, "window", DEFAULT_WINDOW, 1, self.deps.settings.live_horizon_seconds)
        interval = _seconds(request, "interval", 1, 1, MAX_INTERVAL)
        where = scoped(await usage_caller(), wanted)
        scope = _live_scope(where)
        live = self.deps.live
        if live is None:
            raise Unavailable("live stats need Redis", reason="LIVE_NOT_CONFIGURED")
        while True:
            data = await read_window(live, scope, window, model=where.model)
            response = usage_pb2.StreamLiveStatsResponse(
                window_end_time=convert.timestamp(datetime.fromtimestamp(data.end_second, UTC)),
                window=convert.duration(window * 1000.0),
                metrics=convert.counters_message(data.counters),
                requests_per_second=data.requests_per_second,
                tokens_per_second=data.tokens_per_second,
                error_rate=data.counters.error_rate,
                latency=convert.percentiles_message(data.latency_ms),
                time_to_first_token=convert.percentiles_message(data.ttft_ms),
            )
            for model, counters in data.top_models:
                response.top_models.add(key=model, label=model, metrics=convert.counters_message(counters))
            yield response
            await asyncio.sleep(interval)
