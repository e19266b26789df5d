import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Granularity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    GRANULARITY_UNSPECIFIED: _ClassVar[Granularity]
    GRANULARITY_MINUTE: _ClassVar[Granularity]
    GRANULARITY_HOUR: _ClassVar[Granularity]
    GRANULARITY_DAY: _ClassVar[Granularity]
    GRANULARITY_WEEK: _ClassVar[Granularity]
    GRANULARITY_MONTH: _ClassVar[Granularity]

class UsageDimension(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    USAGE_DIMENSION_UNSPECIFIED: _ClassVar[UsageDimension]
    USAGE_DIMENSION_TENANT: _ClassVar[UsageDimension]
    USAGE_DIMENSION_USER: _ClassVar[UsageDimension]
    USAGE_DIMENSION_MODEL: _ClassVar[UsageDimension]
    USAGE_DIMENSION_CHANNEL: _ClassVar[UsageDimension]
    USAGE_DIMENSION_API_KEY: _ClassVar[UsageDimension]
    USAGE_DIMENSION_STATUS: _ClassVar[UsageDimension]
    USAGE_DIMENSION_ARM: _ClassVar[UsageDimension]
GRANULARITY_UNSPECIFIED: Granularity
GRANULARITY_MINUTE: Granularity
GRANULARITY_HOUR: Granularity
GRANULARITY_DAY: Granularity
GRANULARITY_WEEK: Granularity
GRANULARITY_MONTH: Granularity
USAGE_DIMENSION_UNSPECIFIED: UsageDimension
USAGE_DIMENSION_TENANT: UsageDimension
USAGE_DIMENSION_USER: UsageDimension
USAGE_DIMENSION_MODEL: UsageDimension
USAGE_DIMENSION_CHANNEL: UsageDimension
USAGE_DIMENSION_API_KEY: UsageDimension
USAGE_DIMENSION_STATUS: UsageDimension
USAGE_DIMENSION_ARM: UsageDimension

class UsageFilter(_message.Message):
    __slots__ = ("tenant_id", "user_id", "model", "channel_id", "api_key_id", "arm", "source")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    API_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    ARM_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    user_id: str
    model: str
    channel_id: str
    api_key_id: str
    arm: str
    source: str
    def __init__(self, tenant_id: _Optional[str] = ..., user_id: _Optional[str] = ..., model: _Optional[str] = ..., channel_id: _Optional[str] = ..., api_key_id: _Optional[str] = ..., arm: _Optional[str] = ..., source: _Optional[str] = ...) -> None: ...

class UsageMetrics(_message.Message):
    __slots__ = ("requests", "failed_requests", "cancelled_requests", "prompt_tokens", "completion_tokens", "cached_tokens", "reasoning_tokens", "total_tokens", "cost", "active_users", "average_latency")
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    FAILED_REQUESTS_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_REQUESTS_FIELD_NUMBER: _ClassVar[int]
    PROMPT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    COMPLETION_TOKENS_FIELD_NUMBER: _ClassVar[int]
    CACHED_TOKENS_FIELD_NUMBER: _ClassVar[int]
    REASONING_TOKENS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_TOKENS_FIELD_NUMBER: _ClassVar[int]
    COST_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_USERS_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_LATENCY_FIELD_NUMBER: _ClassVar[int]
    requests: int
    failed_requests: int
    cancelled_requests: int
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    reasoning_tokens: int
    total_tokens: int
    cost: int
    active_users: int
    average_latency: _duration_pb2.Duration
    def __init__(self, requests: _Optional[int] = ..., failed_requests: _Optional[int] = ..., cancelled_requests: _Optional[int] = ..., prompt_tokens: _Optional[int] = ..., completion_tokens: _Optional[int] = ..., cached_tokens: _Optional[int] = ..., reasoning_tokens: _Optional[int] = ..., total_tokens: _Optional[int] = ..., cost: _Optional[int] = ..., active_users: _Optional[int] = ..., average_latency: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class UsagePoint(_message.Message):
    __slots__ = ("start_time", "metrics")
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    start_time: _timestamp_pb2.Timestamp
    metrics: UsageMetrics
    def __init__(self, start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., metrics: _Optional[_Union[UsageMetrics, _Mapping]] = ...) -> None: ...

class UsageSeries(_message.Message):
    __slots__ = ("dimensions", "points", "totals")
    class DimensionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    DIMENSIONS_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    TOTALS_FIELD_NUMBER: _ClassVar[int]
    dimensions: _containers.ScalarMap[str, str]
    points: _containers.RepeatedCompositeFieldContainer[UsagePoint]
    totals: UsageMetrics
    def __init__(self, dimensions: _Optional[_Mapping[str, str]] = ..., points: _Optional[_Iterable[_Union[UsagePoint, _Mapping]]] = ..., totals: _Optional[_Union[UsageMetrics, _Mapping]] = ...) -> None: ...

class LatencyPercentiles(_message.Message):
    __slots__ = ("p50", "p90", "p95", "p99")
    P50_FIELD_NUMBER: _ClassVar[int]
    P90_FIELD_NUMBER: _ClassVar[int]
    P95_FIELD_NUMBER: _ClassVar[int]
    P99_FIELD_NUMBER: _ClassVar[int]
    p50: _duration_pb2.Duration
    p90: _duration_pb2.Duration
    p95: _duration_pb2.Duration
    p99: _duration_pb2.Duration
    def __init__(self, p50: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., p90: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., p95: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., p99: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class RankedUsage(_message.Message):
    __slots__ = ("key", "label", "metrics", "cost_share")
    KEY_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    COST_SHARE_FIELD_NUMBER: _ClassVar[int]
    key: str
    label: str
    metrics: UsageMetrics
    cost_share: float
    def __init__(self, key: _Optional[str] = ..., label: _Optional[str] = ..., metrics: _Optional[_Union[UsageMetrics, _Mapping]] = ..., cost_share: _Optional[float] = ...) -> None: ...

class ErrorCount(_message.Message):
    __slots__ = ("reason", "count", "rate")
    REASON_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    RATE_FIELD_NUMBER: _ClassVar[int]
    reason: str
    count: int
    rate: float
    def __init__(self, reason: _Optional[str] = ..., count: _Optional[int] = ..., rate: _Optional[float] = ...) -> None: ...

class Dashboard(_message.Message):
    __slots__ = ("totals", "error_rate", "time_series", "top_models", "top_users", "top_channels", "top_api_keys", "errors", "latency", "time_to_first_token", "compute_time", "activity")
    TOTALS_FIELD_NUMBER: _ClassVar[int]
    ERROR_RATE_FIELD_NUMBER: _ClassVar[int]
    TIME_SERIES_FIELD_NUMBER: _ClassVar[int]
    TOP_MODELS_FIELD_NUMBER: _ClassVar[int]
    TOP_USERS_FIELD_NUMBER: _ClassVar[int]
    TOP_CHANNELS_FIELD_NUMBER: _ClassVar[int]
    TOP_API_KEYS_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    LATENCY_FIELD_NUMBER: _ClassVar[int]
    TIME_TO_FIRST_TOKEN_FIELD_NUMBER: _ClassVar[int]
    COMPUTE_TIME_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_FIELD_NUMBER: _ClassVar[int]
    totals: UsageMetrics
    error_rate: float
    time_series: _containers.RepeatedCompositeFieldContainer[UsagePoint]
    top_models: _containers.RepeatedCompositeFieldContainer[RankedUsage]
    top_users: _containers.RepeatedCompositeFieldContainer[RankedUsage]
    top_channels: _containers.RepeatedCompositeFieldContainer[RankedUsage]
    top_api_keys: _containers.RepeatedCompositeFieldContainer[RankedUsage]
    errors: _containers.RepeatedCompositeFieldContainer[ErrorCount]
    latency: LatencyPercentiles
    time_to_first_token: LatencyPercentiles
    compute_time: _timestamp_pb2.Timestamp
    activity: ActivityCounts
    def __init__(self, totals: _Optional[_Union[UsageMetrics, _Mapping]] = ..., error_rate: _Optional[float] = ..., time_series: _Optional[_Iterable[_Union[UsagePoint, _Mapping]]] = ..., top_models: _Optional[_Iterable[_Union[RankedUsage, _Mapping]]] = ..., top_users: _Optional[_Iterable[_Union[RankedUsage, _Mapping]]] = ..., top_channels: _Optional[_Iterable[_Union[RankedUsage, _Mapping]]] = ..., top_api_keys: _Optional[_Iterable[_Union[RankedUsage, _Mapping]]] = ..., errors: _Optional[_Iterable[_Union[ErrorCount, _Mapping]]] = ..., latency: _Optional[_Union[LatencyPercentiles, _Mapping]] = ..., time_to_first_token: _Optional[_Union[LatencyPercentiles, _Mapping]] = ..., compute_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., activity: _Optional[_Union[ActivityCounts, _Mapping]] = ...) -> None: ...

class ActivityCounts(_message.Message):
    __slots__ = ("conversations_created", "generations_completed", "users_registered", "documents_ingested")
    CONVERSATIONS_CREATED_FIELD_NUMBER: _ClassVar[int]
    GENERATIONS_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    USERS_REGISTERED_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_INGESTED_FIELD_NUMBER: _ClassVar[int]
    conversations_created: int
    generations_completed: int
    users_registered: int
    documents_ingested: int
    def __init__(self, conversations_created: _Optional[int] = ..., generations_completed: _Optional[int] = ..., users_registered: _Optional[int] = ..., documents_ingested: _Optional[int] = ...) -> None: ...

class GetUsageRequest(_message.Message):
    __slots__ = ("filter", "start_time", "end_time", "granularity", "group_by", "time_zone", "page_size", "page_token")
    FILTER_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    GRANULARITY_FIELD_NUMBER: _ClassVar[int]
    GROUP_BY_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    filter: UsageFilter
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    granularity: Granularity
    group_by: _containers.RepeatedScalarFieldContainer[UsageDimension]
    time_zone: str
    page_size: int
    page_token: str
    def __init__(self, filter: _Optional[_Union[UsageFilter, _Mapping]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., granularity: _Optional[_Union[Granularity, str]] = ..., group_by: _Optional[_Iterable[_Union[UsageDimension, str]]] = ..., time_zone: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class GetUsageResponse(_message.Message):
    __slots__ = ("series", "totals", "next_page_token")
    SERIES_FIELD_NUMBER: _ClassVar[int]
    TOTALS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    series: _containers.RepeatedCompositeFieldContainer[UsageSeries]
    totals: UsageMetrics
    next_page_token: str
    def __init__(self, series: _Optional[_Iterable[_Union[UsageSeries, _Mapping]]] = ..., totals: _Optional[_Union[UsageMetrics, _Mapping]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetDashboardRequest(_message.Message):
    __slots__ = ("filter", "start_time", "end_time", "granularity", "top_n", "time_zone")
    FILTER_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    GRANULARITY_FIELD_NUMBER: _ClassVar[int]
    TOP_N_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    filter: UsageFilter
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    granularity: Granularity
    top_n: int
    time_zone: str
    def __init__(self, filter: _Optional[_Union[UsageFilter, _Mapping]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., granularity: _Optional[_Union[Granularity, str]] = ..., top_n: _Optional[int] = ..., time_zone: _Optional[str] = ...) -> None: ...

class GetDashboardResponse(_message.Message):
    __slots__ = ("dashboard",)
    DASHBOARD_FIELD_NUMBER: _ClassVar[int]
    dashboard: Dashboard
    def __init__(self, dashboard: _Optional[_Union[Dashboard, _Mapping]] = ...) -> None: ...

class StreamLiveStatsRequest(_message.Message):
    __slots__ = ("filter", "window", "interval")
    FILTER_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    filter: UsageFilter
    window: _duration_pb2.Duration
    interval: _duration_pb2.Duration
    def __init__(self, filter: _Optional[_Union[UsageFilter, _Mapping]] = ..., window: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., interval: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class StreamLiveStatsResponse(_message.Message):
    __slots__ = ("window_end_time", "window", "metrics", "requests_per_second", "tokens_per_second", "error_rate", "latency", "time_to_first_token", "top_models")
    WINDOW_END_TIME_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    REQUESTS_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    TOKENS_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    ERROR_RATE_FIELD_NUMBER: _ClassVar[int]
    LATENCY_FIELD_NUMBER: _ClassVar[int]
    TIME_TO_FIRST_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOP_MODELS_FIELD_NUMBER: _ClassVar[int]
    window_end_time: _timestamp_pb2.Timestamp
    window: _duration_pb2.Duration
    metrics: UsageMetrics
    requests_per_second: float
    tokens_per_second: float
    error_rate: float
    latency: LatencyPercentiles
    time_to_first_token: LatencyPercentiles
    top_models: _containers.RepeatedCompositeFieldContainer[RankedUsage]
    def __init__(self, window_end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., window: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., metrics: _Optional[_Union[UsageMetrics, _Mapping]] = ..., requests_per_second: _Optional[float] = ..., tokens_per_second: _Optional[float] = ..., error_rate: _Optional[float] = ..., latency: _Optional[_Union[LatencyPercentiles, _Mapping]] = ..., time_to_first_token: _Optional[_Union[LatencyPercentiles, _Mapping]] = ..., top_models: _Optional[_Iterable[_Union[RankedUsage, _Mapping]]] = ...) -> None: ...
