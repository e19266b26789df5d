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

class UsageStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    USAGE_STATUS_UNSPECIFIED: _ClassVar[UsageStatus]
    USAGE_STATUS_SUCCEEDED: _ClassVar[UsageStatus]
    USAGE_STATUS_FAILED: _ClassVar[UsageStatus]
    USAGE_STATUS_CANCELLED: _ClassVar[UsageStatus]
USAGE_STATUS_UNSPECIFIED: UsageStatus
USAGE_STATUS_SUCCEEDED: UsageStatus
USAGE_STATUS_FAILED: UsageStatus
USAGE_STATUS_CANCELLED: UsageStatus

class UsageRecord(_message.Message):
    __slots__ = ("request_id", "tenant_id", "user_id", "api_key_id", "endpoint", "model", "upstream_model", "channel_id", "routing_rule_id", "arm", "prompt_tokens", "completion_tokens", "cached_tokens", "reasoning_tokens", "cost", "latency", "time_to_first_token", "status", "error_code", "error_message", "retries", "attempts", "stream", "usage_estimated", "source", "create_time")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    API_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    UPSTREAM_MODEL_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    ROUTING_RULE_ID_FIELD_NUMBER: _ClassVar[int]
    ARM_FIELD_NUMBER: _ClassVar[int]
    PROMPT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    COMPLETION_TOKENS_FIELD_NUMBER: _ClassVar[int]
    CACHED_TOKENS_FIELD_NUMBER: _ClassVar[int]
    REASONING_TOKENS_FIELD_NUMBER: _ClassVar[int]
    COST_FIELD_NUMBER: _ClassVar[int]
    LATENCY_FIELD_NUMBER: _ClassVar[int]
    TIME_TO_FIRST_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    RETRIES_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    USAGE_ESTIMATED_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    tenant_id: str
    user_id: str
    api_key_id: str
    endpoint: str
    model: str
    upstream_model: str
    channel_id: str
    routing_rule_id: str
    arm: str
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    reasoning_tokens: int
    cost: int
    latency: _duration_pb2.Duration
    time_to_first_token: _duration_pb2.Duration
    status: UsageStatus
    error_code: str
    error_message: str
    retries: int
    attempts: _containers.RepeatedCompositeFieldContainer[RouteAttempt]
    stream: bool
    usage_estimated: bool
    source: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, request_id: _Optional[str] = ..., tenant_id: _Optional[str] = ..., user_id: _Optional[str] = ..., api_key_id: _Optional[str] = ..., endpoint: _Optional[str] = ..., model: _Optional[str] = ..., upstream_model: _Optional[str] = ..., channel_id: _Optional[str] = ..., routing_rule_id: _Optional[str] = ..., arm: _Optional[str] = ..., prompt_tokens: _Optional[int] = ..., completion_tokens: _Optional[int] = ..., cached_tokens: _Optional[int] = ..., reasoning_tokens: _Optional[int] = ..., cost: _Optional[int] = ..., latency: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., time_to_first_token: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., status: _Optional[_Union[UsageStatus, str]] = ..., error_code: _Optional[str] = ..., error_message: _Optional[str] = ..., retries: _Optional[int] = ..., attempts: _Optional[_Iterable[_Union[RouteAttempt, _Mapping]]] = ..., stream: _Optional[bool] = ..., usage_estimated: _Optional[bool] = ..., source: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RouteAttempt(_message.Message):
    __slots__ = ("attempt", "channel_id", "key_id", "duration", "http_status", "error", "retryable")
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    HTTP_STATUS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    RETRYABLE_FIELD_NUMBER: _ClassVar[int]
    attempt: int
    channel_id: str
    key_id: str
    duration: _duration_pb2.Duration
    http_status: int
    error: str
    retryable: bool
    def __init__(self, attempt: _Optional[int] = ..., channel_id: _Optional[str] = ..., key_id: _Optional[str] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., http_status: _Optional[int] = ..., error: _Optional[str] = ..., retryable: _Optional[bool] = ...) -> None: ...

class GetUsageRecordRequest(_message.Message):
    __slots__ = ("request_id",)
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    def __init__(self, request_id: _Optional[str] = ...) -> None: ...

class GetUsageRecordResponse(_message.Message):
    __slots__ = ("usage_record",)
    USAGE_RECORD_FIELD_NUMBER: _ClassVar[int]
    usage_record: UsageRecord
    def __init__(self, usage_record: _Optional[_Union[UsageRecord, _Mapping]] = ...) -> None: ...

class ListUsageRecordsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "tenant_id", "user_id", "api_key_id", "model", "channel_id", "status", "start_time", "end_time")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    API_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    tenant_id: str
    user_id: str
    api_key_id: str
    model: str
    channel_id: str
    status: UsageStatus
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., tenant_id: _Optional[str] = ..., user_id: _Optional[str] = ..., api_key_id: _Optional[str] = ..., model: _Optional[str] = ..., channel_id: _Optional[str] = ..., status: _Optional[_Union[UsageStatus, str]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListUsageRecordsResponse(_message.Message):
    __slots__ = ("usage_records", "next_page_token")
    USAGE_RECORDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    usage_records: _containers.RepeatedCompositeFieldContainer[UsageRecord]
    next_page_token: str
    def __init__(self, usage_records: _Optional[_Iterable[_Union[UsageRecord, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
