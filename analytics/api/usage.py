"""GetUsage and GetDashboard: request checked, scope applied, rollups read, protobuf built."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from chatmesh.analytics.v1 import usage_pb2

from analytics.api import convert
from analytics.api.caller import usage_caller
from analytics.domain.scope import scoped
from analytics.domain.timeranges import Granularity
from analytics.queries.dashboard import default_granularity, get_dashboard
from analytics.queries.ranges import resolve_range
from analytics.queries.usage import get_usage
from mesh.errors import FieldViolation, InvalidArgument
from mesh.paging import decode_offset, encode_offset, page_size

if TYPE_CHECKING:
    from analytics.deps import AnalyticsDeps

__all__ = ["UsageApi"]

MAX_TOP_N = 100


class UsageApi:
    deps: AnalyticsDeps

    async def GetUsage(self, request: usage_pb2.GetUsageRequest, context: Any) -> usage_pb2.GetUsageResponse:
        wanted = convert.usage_filter(request.filter)
        dimensions = convert.group_by(request.group_by)
        granularity = convert.granularity(request.granularity, Granularity.DAY)
        assert granularity is not None
        limit = page_size(request.page_size, 100, self.deps.settings.max_series)
        offset = decode_offset(request.page_token)
        span = resolve_range(
            self.deps.settings,
            start=convert.when(request, "start_time"),
            end=convert.when(request, "end_time"),
            default_span=timedelta(days=7),
            granularity=granularity,
            tz_name=request.time_zone,
        )
        where = scoped(await usage_caller(), wanted)
        columns = [column for column, _ in dimensions]
        names = dict(dimensions)
        page = await get_usage(self.deps.sessions, where, span, columns, limit=limit, offset=offset)
        response = usage_pb2.GetUsageResponse(totals=convert.counters_message(page.totals))
        stamps = {bucket: convert.timestamp(bucket) for bucket in span.buckets}
        empty = usage_pb2.UsageMetrics(average_latency=convert.duration(0))
        for series in page.series:
            item = response.series.add(totals=convert.counters_message(series.totals))
            for column, value in series.dimensions.items():
                item.dimensions[names[column]] = value
            for bucket, counters in series.points:
                metrics = convert.counters_message(counters) if counters.requests else empty
                item.points.add(start_time=stamps[bucket], metrics=metrics)
        if page.next_offset is not None:
            response.next_page_token = encode_offset(page.next_offset)
        return response

    async def GetDashboard(
        self, request: usage_pb2.GetDashboardRequest, context: Any
    ) -> usage_pb2.GetDashboardResponse:
        wanted = convert.usage_filter(request.filter)
        if request.top_n < 0:
            raise InvalidArgument("bad top_n", [FieldViolation("top_n", "must not be negative")])
        top_n = min(request.top_n or 10, MAX_TOP_N)
        start, end = convert.when(request, "start_time"), convert.when(request, "end_time")
        granularity = convert.granularity(request.granularity, None)
        span = resolve_range(
            self.deps.settings,
            start=start,
            end=end,
            default_span=timedelta(hours=24),
            granularity=granularity or Granularity.HOUR,
            tz_name=request.time_zone,
        )
        if granularity is None:
            chosen = default_granularity(span.start, span.end)
            span = resolve_range(
                self.deps.settings,
                start=span.start,
                end=span.end,
                default_span=timedelta(hours=24),
                granularity=chosen,
                tz_name=request.time_zone,
            )
        where = scoped(await usage_caller(), wanted)
        data = await get_dashboard(self.deps.sessions, where, span, top_n)
        dashboard = usage_pb2.Dashboard(
            totals=convert.counters_message(data.totals),
            error_rate=data.totals.error_rate,
            latency=convert.percentiles_message(data.latency_ms),
            time_to_first_token=convert.percentiles_message(data.ttft_ms),
            activity=usage_pb2.ActivityCounts(**data.activity),
        )
        dashboard.compute_time.GetCurrentTime()
        for bucket, counters in data.series:
            dashboard.time_series.add(
                start_time=convert.timestamp(bucket),  # type: ignore[arg-type]
                metrics=convert.counters_message(counters),
            )
        for name, ranked in data.top.items():
            target = getattr(dashboard, f"top_{name}")
            for entry in ranked:
                target.add(
                    key=entry.key,
                    label=entry.key,
                    metrics=convert.counters_message(entry.counters),
                    cost_share=entry.cost_share,
                )
        requests = data.totals.requests
        for reason, count in data.errors:
            dashboard.errors.add(reason=reason, count=count, rate=count / requests if requests else 0.0)
        return usage_pb2.GetDashboardResponse(dashboard=dashboard)
