import datetime

from chatmesh.analytics.v1 import usage_pb2 as _usage_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AlertMetric(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ALERT_METRIC_UNSPECIFIED: _ClassVar[AlertMetric]
    ALERT_METRIC_REQUEST_COUNT: _ClassVar[AlertMetric]
    ALERT_METRIC_ERROR_RATE: _ClassVar[AlertMetric]
    ALERT_METRIC_TOKEN_COUNT: _ClassVar[AlertMetric]
    ALERT_METRIC_COST: _ClassVar[AlertMetric]
    ALERT_METRIC_LATENCY_P95: _ClassVar[AlertMetric]
    ALERT_METRIC_LATENCY_P99: _ClassVar[AlertMetric]
    ALERT_METRIC_TIME_TO_FIRST_TOKEN_P95: _ClassVar[AlertMetric]
    ALERT_METRIC_COST_VS_LAST_WEEK: _ClassVar[AlertMetric]

class AlertComparison(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ALERT_COMPARISON_UNSPECIFIED: _ClassVar[AlertComparison]
    ALERT_COMPARISON_GREATER: _ClassVar[AlertComparison]
    ALERT_COMPARISON_GREATER_OR_EQUAL: _ClassVar[AlertComparison]
    ALERT_COMPARISON_LESS: _ClassVar[AlertComparison]
    ALERT_COMPARISON_LESS_OR_EQUAL: _ClassVar[AlertComparison]

class AlertState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ALERT_STATE_UNSPECIFIED: _ClassVar[AlertState]
    ALERT_STATE_OK: _ClassVar[AlertState]
    ALERT_STATE_FIRING: _ClassVar[AlertState]
    ALERT_STATE_RESOLVED: _ClassVar[AlertState]

class AlertChannel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ALERT_CHANNEL_UNSPECIFIED: _ClassVar[AlertChannel]
    ALERT_CHANNEL_EMAIL: _ClassVar[AlertChannel]
    ALERT_CHANNEL_SMS: _ClassVar[AlertChannel]
    ALERT_CHANNEL_IN_APP: _ClassVar[AlertChannel]
ALERT_METRIC_UNSPECIFIED: AlertMetric
ALERT_METRIC_REQUEST_COUNT: AlertMetric
ALERT_METRIC_ERROR_RATE: AlertMetric
ALERT_METRIC_TOKEN_COUNT: AlertMetric
ALERT_METRIC_COST: AlertMetric
ALERT_METRIC_LATENCY_P95: AlertMetric
ALERT_METRIC_LATENCY_P99: AlertMetric
ALERT_METRIC_TIME_TO_FIRST_TOKEN_P95: AlertMetric
ALERT_METRIC_COST_VS_LAST_WEEK: AlertMetric
ALERT_COMPARISON_UNSPECIFIED: AlertComparison
ALERT_COMPARISON_GREATER: AlertComparison
ALERT_COMPARISON_GREATER_OR_EQUAL: AlertComparison
ALERT_COMPARISON_LESS: AlertComparison
ALERT_COMPARISON_LESS_OR_EQUAL: AlertComparison
ALERT_STATE_UNSPECIFIED: AlertState
ALERT_STATE_OK: AlertState
ALERT_STATE_FIRING: AlertState
ALERT_STATE_RESOLVED: AlertState
ALERT_CHANNEL_UNSPECIFIED: AlertChannel
ALERT_CHANNEL_EMAIL: AlertChannel
ALERT_CHANNEL_SMS: AlertChannel
ALERT_CHANNEL_IN_APP: AlertChannel

class AlertRule(_message.Message):
    __slots__ = ("id", "tenant_id", "name", "description", "metric", "filter", "comparison", "threshold", "window", "evaluation_interval", "cooldown", "targets", "enabled", "state", "last_value", "last_evaluation_time", "create_time", "update_time", "etag")
    ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    METRIC_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    COMPARISON_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    EVALUATION_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    COOLDOWN_FIELD_NUMBER: _ClassVar[int]
    TARGETS_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    LAST_VALUE_FIELD_NUMBER: _ClassVar[int]
    LAST_EVALUATION_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    id: str
    tenant_id: str
    name: str
    description: str
    metric: AlertMetric
    filter: _usage_pb2.UsageFilter
    comparison: AlertComparison
    threshold: float
    window: _duration_pb2.Duration
    evaluation_interval: _duration_pb2.Duration
    cooldown: _duration_pb2.Duration
    targets: _containers.RepeatedCompositeFieldContainer[AlertTarget]
    enabled: bool
    state: AlertState
    last_value: float
    last_evaluation_time: _timestamp_pb2.Timestamp
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    etag: str
    def __init__(self, id: _Optional[str] = ..., tenant_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., metric: _Optional[_Union[AlertMetric, str]] = ..., filter: _Optional[_Union[_usage_pb2.UsageFilter, _Mapping]] = ..., comparison: _Optional[_Union[AlertComparison, str]] = ..., threshold: _Optional[float] = ..., window: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., evaluation_interval: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., cooldown: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., targets: _Optional[_Iterable[_Union[AlertTarget, _Mapping]]] = ..., enabled: _Optional[bool] = ..., state: _Optional[_Union[AlertState, str]] = ..., last_value: _Optional[float] = ..., last_evaluation_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ...) -> None: ...

class AlertTarget(_message.Message):
    __slots__ = ("channel", "recipient")
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    RECIPIENT_FIELD_NUMBER: _ClassVar[int]
    channel: AlertChannel
    recipient: str
    def __init__(self, channel: _Optional[_Union[AlertChannel, str]] = ..., recipient: _Optional[str] = ...) -> None: ...

class AlertEvent(_message.Message):
    __slots__ = ("id", "alert_rule_id", "rule_name", "state", "metric", "value", "threshold", "peak_value", "fire_time", "resolve_time", "notification_ids")
    ID_FIELD_NUMBER: _ClassVar[int]
    ALERT_RULE_ID_FIELD_NUMBER: _ClassVar[int]
    RULE_NAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    METRIC_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    PEAK_VALUE_FIELD_NUMBER: _ClassVar[int]
    FIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    RESOLVE_TIME_FIELD_NUMBER: _ClassVar[int]
    NOTIFICATION_IDS_FIELD_NUMBER: _ClassVar[int]
    id: str
    alert_rule_id: str
    rule_name: str
    state: AlertState
    metric: AlertMetric
    value: float
    threshold: float
    peak_value: float
    fire_time: _timestamp_pb2.Timestamp
    resolve_time: _timestamp_pb2.Timestamp
    notification_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., alert_rule_id: _Optional[str] = ..., rule_name: _Optional[str] = ..., state: _Optional[_Union[AlertState, str]] = ..., metric: _Optional[_Union[AlertMetric, str]] = ..., value: _Optional[float] = ..., threshold: _Optional[float] = ..., peak_value: _Optional[float] = ..., fire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., resolve_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., notification_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class CreateAlertRuleRequest(_message.Message):
    __slots__ = ("alert_rule",)
    ALERT_RULE_FIELD_NUMBER: _ClassVar[int]
    alert_rule: AlertRule
    def __init__(self, alert_rule: _Optional[_Union[AlertRule, _Mapping]] = ...) -> None: ...

class CreateAlertRuleResponse(_message.Message):
    __slots__ = ("alert_rule",)
    ALERT_RULE_FIELD_NUMBER: _ClassVar[int]
    alert_rule: AlertRule
    def __init__(self, alert_rule: _Optional[_Union[AlertRule, _Mapping]] = ...) -> None: ...

class GetAlertRuleRequest(_message.Message):
    __slots__ = ("alert_rule_id",)
    ALERT_RULE_ID_FIELD_NUMBER: _ClassVar[int]
    alert_rule_id: str
    def __init__(self, alert_rule_id: _Optional[str] = ...) -> None: ...

class GetAlertRuleResponse(_message.Message):
    __slots__ = ("alert_rule",)
    ALERT_RULE_FIELD_NUMBER: _ClassVar[int]
    alert_rule: AlertRule
    def __init__(self, alert_rule: _Optional[_Union[AlertRule, _Mapping]] = ...) -> None: ...

class ListAlertRulesRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "state")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    state: AlertState
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., state: _Optional[_Union[AlertState, str]] = ...) -> None: ...

class ListAlertRulesResponse(_message.Message):
    __slots__ = ("alert_rules", "next_page_token")
    ALERT_RULES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    alert_rules: _containers.RepeatedCompositeFieldContainer[AlertRule]
    next_page_token: str
    def __init__(self, alert_rules: _Optional[_Iterable[_Union[AlertRule, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateAlertRuleRequest(_message.Message):
    __slots__ = ("alert_rule_id", "alert_rule", "update_mask")
    ALERT_RULE_ID_FIELD_NUMBER: _ClassVar[int]
    ALERT_RULE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    alert_rule_id: str
    alert_rule: AlertRule
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, alert_rule_id: _Optional[str] = ..., alert_rule: _Optional[_Union[AlertRule, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateAlertRuleResponse(_message.Message):
    __slots__ = ("alert_rule",)
    ALERT_RULE_FIELD_NUMBER: _ClassVar[int]
    alert_rule: AlertRule
    def __init__(self, alert_rule: _Optional[_Union[AlertRule, _Mapping]] = ...) -> None: ...

class DeleteAlertRuleRequest(_message.Message):
    __slots__ = ("alert_rule_id",)
    ALERT_RULE_ID_FIELD_NUMBER: _ClassVar[int]
    alert_rule_id: str
    def __init__(self, alert_rule_id: _Optional[str] = ...) -> None: ...

class DeleteAlertRuleResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListAlertEventsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "alert_rule_id", "state", "start_time", "end_time")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ALERT_RULE_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    alert_rule_id: str
    state: AlertState
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., alert_rule_id: _Optional[str] = ..., state: _Optional[_Union[AlertState, str]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListAlertEventsResponse(_message.Message):
    __slots__ = ("alert_events", "next_page_token")
    ALERT_EVENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    alert_events: _containers.RepeatedCompositeFieldContainer[AlertEvent]
    next_page_token: str
    def __init__(self, alert_events: _Optional[_Iterable[_Union[AlertEvent, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
