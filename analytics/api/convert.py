"""protobuf ↔ domain for the analytics RPCs: filters, dimensions, granularities, counters."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from chatmesh.analytics.v1 import usage_pb2
from google.protobuf import duration_pb2, timestamp_pb2
from google.protobuf.message import Message

from analytics.domain.metrics import Counters
from analytics.domain.scope import UsageFilter
from analytics.domain.timeranges import Granularity
from mesh.errors import FieldViolation, InvalidArgument

__all__ = [
    "DIMENSION_COLUMNS",
    "counters_message",
    "duration",
    "granularity",
    "group_by",
    "percentiles_message",
    "timestamp",
    "usage_filter",
    "when",
]

# Dimension enum → (rollup column, lower-case name used as the series' dimensions key).
DIMENSION_COLUMNS: dict[int, tuple[str, str]] = {
    usage_pb2.USAGE_DIMENSION_TENANT: ("tenant_id", "tenant"),
    usage_pb2.USAGE_DIMENSION_USER: ("user_id", "user"),
    usage_pb2.USAGE_DIMENSION_MODEL: ("model", "model"),
    usage_pb2.USAGE_DIMENSION_CHANNEL: ("channel_id", "channel"),
    usage_pb2.USAGE_DIMENSION_API_KEY: ("api_key_id", "api_key"),
    usage_pb2.USAGE_DIMENSION_STATUS: ("status", "status"),
    usage_pb2.USAGE_DIMENSION_ARM: ("arm", "arm"),
}
_GRANULARITIES: dict[int, Granularity] = {
    usage_pb2.GRANULARITY_MINUTE: Granularity.MINUTE,
    usage_pb2.GRANULARITY_HOUR: Granularity.HOUR,
    usage_pb2.GRANULARITY_DAY: Granularity.DAY,
    usage_pb2.GRANULARITY_WEEK: Granularity.WEEK,
    usage_pb2.GRANULARITY_MONTH: Granularity.MONTH,
}
_MAX_FILTER_CHARS = 256


def usage_filter(message: usage_pb2.UsageFilter, field: str = "filter") -> UsageFilter:
    values = {
        "tenant_id": message.tenant_id,
        "user_id": message.user_id,
        "model": message.model,
        "channel_id": message.channel_id,
        "api_key_id": message.api_key_id,
        "arm": message.arm,
        "source": message.source,
    }
    long = [name for name, value in values.items() if len(value) > _MAX_FILTER_CHARS]
    if long:
        raise InvalidArgument(
            "bad filter",
            [FieldViolation(f"{field}.{name}", f"at most {_MAX_FILTER_CHARS} characters") for name in long],
        )
    return UsageFilter(**values)


def granularity(value: int, default: Granularity | None, field: str = "granularity") -> Granularity | None:
    if value == usage_pb2.GRANULARITY_UNSPECIFIED:
        return default
    found = _GRANULARITIES.get(value)
    if found is None:
        raise InvalidArgument("bad granularity", [FieldViolation(field, f"unknown granularity {value}")])
    return found


def group_by(values: Sequence[int], field: str = "group_by") -> list[tuple[str, str]]:
    """(column, name) per requested dimension, in request order; unknown or repeated ones refused."""
    violations: list[FieldViolation] = []
    seen: set[int] = set()
    result: list[tuple[str, str]] = []
    for index, value in enumerate(values):
        if value not in DIMENSION_COLUMNS:
            violations.append(FieldViolation(f"{field}[{index}]", f"unknown dimension {value}"))
        elif value in seen:
            violations.append(FieldViolation(f"{field}[{index}]", "repeated dimension"))
        else:
            seen.add(value)
            result.append(DIMENSION_COLUMNS[value])
    if violations:
        raise InvalidArgument("bad group_by", violations)
    return result


def when(message: Message, field: str) -> datetime | None:
    if not message.HasField(field):
        return None
    value: timestamp_pb2.Timestamp = getattr(message, field)
    return value.ToDatetime(tzinfo=UTC)


def timestamp(value: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def duration(milliseconds: float) -> duration_pb2.Duration:
    value = duration_pb2.Duration()
    value.FromNanoseconds(int(milliseconds * 1e6))
    return value


def counters_message(counters: Counters) -> usage_pb2.UsageMetrics:
    return usage_pb2.UsageMetrics(
        requests=counters.requests,
        failed_requests=counters.failed_requests,
        cancelled_requests=counters.cancelled_requests,
        prompt_tokens=counters.prompt_tokens,
        completion_tokens=counters.completion_tokens,
        cached_tokens=counters.cached_tokens,
        reasoning_tokens=counters.reasoning_tokens,
        total_tokens=counters.total_tokens,
        cost=counters.cost,
        active_users=counters.active_users,
        average_latency=duration(counters.average_latency_ms),
    )


def percentiles_message(values_ms: Sequence[float]) -> usage_pb2.LatencyPercentiles:
    p50, p90, p95, p99 = values_ms
    return usage_pb2.LatencyPercentiles(
        p50=duration(p50), p90=duration(p90), p95=duration(p95), p99=duration(p99)
    )
