import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class UsageKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    USAGE_KIND_UNSPECIFIED: _ClassVar[UsageKind]
    USAGE_KIND_CHAT: _ClassVar[UsageKind]
    USAGE_KIND_EMBEDDING: _ClassVar[UsageKind]

class UsageStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    USAGE_STATUS_UNSPECIFIED: _ClassVar[UsageStatus]
    USAGE_STATUS_SUCCEEDED: _ClassVar[UsageStatus]
    USAGE_STATUS_FAILED: _ClassVar[UsageStatus]
    USAGE_STATUS_CANCELLED: _ClassVar[UsageStatus]

class QuotaScope(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    QUOTA_SCOPE_UNSPECIFIED: _ClassVar[QuotaScope]
    QUOTA_SCOPE_TENANT: _ClassVar[QuotaScope]
    QUOTA_SCOPE_API_KEY: _ClassVar[QuotaScope]
    QUOTA_SCOPE_USER: _ClassVar[QuotaScope]
USAGE_KIND_UNSPECIFIED: UsageKind
USAGE_KIND_CHAT: UsageKind
USAGE_KIND_EMBEDDING: UsageKind
USAGE_STATUS_UNSPECIFIED: UsageStatus
USAGE_STATUS_SUCCEEDED: UsageStatus
USAGE_STATUS_FAILED: UsageStatus
USAGE_STATUS_CANCELLED: UsageStatus
QUOTA_SCOPE_UNSPECIFIED: QuotaScope
QUOTA_SCOPE_TENANT: QuotaScope
QUOTA_SCOPE_API_KEY: QuotaScope
QUOTA_SCOPE_USER: QuotaScope

class UsageRecorded(_message.Message):
    __slots__ = ("request_id", "user_id", "api_key_id", "conversation_id", "generation_id", "kind", "model", "upstream_model", "channel_id", "arm", "prompt_tokens", "completion_tokens", "cached_tokens", "cost_micros", "currency", "quota_units", "latency", "time_to_first_token", "status", "retries", "stream", "error_code", "estimated", "source", "reasoning_tokens", "routing_rule_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    API_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    GENERATION_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    UPSTREAM_MODEL_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    ARM_FIELD_NUMBER: _ClassVar[int]
    PROMPT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    COMPLETION_TOKENS_FIELD_NUMBER: _ClassVar[int]
    CACHED_TOKENS_FIELD_NUMBER: _ClassVar[int]
    COST_MICROS_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    QUOTA_UNITS_FIELD_NUMBER: _ClassVar[int]
    LATENCY_FIELD_NUMBER: _ClassVar[int]
    TIME_TO_FIRST_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    RETRIES_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    REASONING_TOKENS_FIELD_NUMBER: _ClassVar[int]
    ROUTING_RULE_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    user_id: str
    api_key_id: str
    conversation_id: str
    generation_id: str
    kind: UsageKind
    model: str
    upstream_model: str
    channel_id: str
    arm: str
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    cost_micros: int
    currency: str
    quota_units: int
    latency: _duration_pb2.Duration
    time_to_first_token: _duration_pb2.Duration
    status: UsageStatus
    retries: int
    stream: bool
    error_code: str
    estimated: bool
    source: str
    reasoning_tokens: int
    routing_rule_id: str
    def __init__(self, request_id: _Optional[str] = ..., user_id: _Optional[str] = ..., api_key_id: _Optional[str] = ..., conversation_id: _Optional[str] = ..., generation_id: _Optional[str] = ..., kind: _Optional[_Union[UsageKind, str]] = ..., model: _Optional[str] = ..., upstream_model: _Optional[str] = ..., channel_id: _Optional[str] = ..., arm: _Optional[str] = ..., prompt_tokens: _Optional[int] = ..., completion_tokens: _Optional[int] = ..., cached_tokens: _Optional[int] = ..., cost_micros: _Optional[int] = ..., currency: _Optional[str] = ..., quota_units: _Optional[int] = ..., latency: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., time_to_first_token: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., status: _Optional[_Union[UsageStatus, str]] = ..., retries: _Optional[int] = ..., stream: _Optional[bool] = ..., error_code: _Optional[str] = ..., estimated: _Optional[bool] = ..., source: _Optional[str] = ..., reasoning_tokens: _Optional[int] = ..., routing_rule_id: _Optional[str] = ...) -> None: ...

class QuotaExhausted(_message.Message):
    __slots__ = ("scope", "subject_id", "metric", "limit", "used", "notify_user_id")
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    METRIC_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    USED_FIELD_NUMBER: _ClassVar[int]
    NOTIFY_USER_ID_FIELD_NUMBER: _ClassVar[int]
    scope: QuotaScope
    subject_id: str
    metric: str
    limit: int
    used: int
    notify_user_id: str
    def __init__(self, scope: _Optional[_Union[QuotaScope, str]] = ..., subject_id: _Optional[str] = ..., metric: _Optional[str] = ..., limit: _Optional[int] = ..., used: _Optional[int] = ..., notify_user_id: _Optional[str] = ...) -> None: ...

class ChannelStatusChanged(_message.Message):
    __slots__ = ("channel_id", "channel_name", "previous_status", "status", "reason", "manual")
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_NAME_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_STATUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    MANUAL_FIELD_NUMBER: _ClassVar[int]
    channel_id: str
    channel_name: str
    previous_status: str
    status: str
    reason: str
    manual: bool
    def __init__(self, channel_id: _Optional[str] = ..., channel_name: _Optional[str] = ..., previous_status: _Optional[str] = ..., status: _Optional[str] = ..., reason: _Optional[str] = ..., manual: _Optional[bool] = ...) -> None: ...
