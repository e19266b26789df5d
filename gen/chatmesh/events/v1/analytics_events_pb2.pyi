import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AlertStateChanged(_message.Message):
    __slots__ = ("alert_event_id", "alert_rule_id", "rule_name", "state", "metric", "value", "threshold", "fire_time", "resolve_time")
    ALERT_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    ALERT_RULE_ID_FIELD_NUMBER: _ClassVar[int]
    RULE_NAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    METRIC_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    FIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    RESOLVE_TIME_FIELD_NUMBER: _ClassVar[int]
    alert_event_id: str
    alert_rule_id: str
    rule_name: str
    state: str
    metric: str
    value: float
    threshold: float
    fire_time: _timestamp_pb2.Timestamp
    resolve_time: _timestamp_pb2.Timestamp
    def __init__(self, alert_event_id: _Optional[str] = ..., alert_rule_id: _Optional[str] = ..., rule_name: _Optional[str] = ..., state: _Optional[str] = ..., metric: _Optional[str] = ..., value: _Optional[float] = ..., threshold: _Optional[float] = ..., fire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., resolve_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class BudgetThresholdReached(_message.Message):
    __slots__ = ("budget_id", "budget_name", "scope", "subject_id", "threshold", "amount", "spent", "period_start_time")
    BUDGET_ID_FIELD_NUMBER: _ClassVar[int]
    BUDGET_NAME_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    SPENT_FIELD_NUMBER: _ClassVar[int]
    PERIOD_START_TIME_FIELD_NUMBER: _ClassVar[int]
    budget_id: str
    budget_name: str
    scope: str
    subject_id: str
    threshold: float
    amount: int
    spent: int
    period_start_time: _timestamp_pb2.Timestamp
    def __init__(self, budget_id: _Optional[str] = ..., budget_name: _Optional[str] = ..., scope: _Optional[str] = ..., subject_id: _Optional[str] = ..., threshold: _Optional[float] = ..., amount: _Optional[int] = ..., spent: _Optional[int] = ..., period_start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
