import datetime

from chatmesh.model_router.v1 import chat_pb2 as _chat_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ChannelStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANNEL_STATUS_UNSPECIFIED: _ClassVar[ChannelStatus]
    CHANNEL_STATUS_ENABLED: _ClassVar[ChannelStatus]
    CHANNEL_STATUS_MANUALLY_DISABLED: _ClassVar[ChannelStatus]
    CHANNEL_STATUS_AUTO_DISABLED: _ClassVar[ChannelStatus]

class CircuitState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CIRCUIT_STATE_UNSPECIFIED: _ClassVar[CircuitState]
    CIRCUIT_STATE_CLOSED: _ClassVar[CircuitState]
    CIRCUIT_STATE_OPEN: _ClassVar[CircuitState]
    CIRCUIT_STATE_HALF_OPEN: _ClassVar[CircuitState]

class KeySelection(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    KEY_SELECTION_UNSPECIFIED: _ClassVar[KeySelection]
    KEY_SELECTION_RANDOM: _ClassVar[KeySelection]
    KEY_SELECTION_ROUND_ROBIN: _ClassVar[KeySelection]

class HealthEventSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HEALTH_EVENT_SOURCE_UNSPECIFIED: _ClassVar[HealthEventSource]
    HEALTH_EVENT_SOURCE_PROBE: _ClassVar[HealthEventSource]
    HEALTH_EVENT_SOURCE_TRAFFIC: _ClassVar[HealthEventSource]
    HEALTH_EVENT_SOURCE_MANUAL: _ClassVar[HealthEventSource]
    HEALTH_EVENT_SOURCE_KEYS: _ClassVar[HealthEventSource]
CHANNEL_STATUS_UNSPECIFIED: ChannelStatus
CHANNEL_STATUS_ENABLED: ChannelStatus
CHANNEL_STATUS_MANUALLY_DISABLED: ChannelStatus
CHANNEL_STATUS_AUTO_DISABLED: ChannelStatus
CIRCUIT_STATE_UNSPECIFIED: CircuitState
CIRCUIT_STATE_CLOSED: CircuitState
CIRCUIT_STATE_OPEN: CircuitState
CIRCUIT_STATE_HALF_OPEN: CircuitState
KEY_SELECTION_UNSPECIFIED: KeySelection
KEY_SELECTION_RANDOM: KeySelection
KEY_SELECTION_ROUND_ROBIN: KeySelection
HEALTH_EVENT_SOURCE_UNSPECIFIED: HealthEventSource
HEALTH_EVENT_SOURCE_PROBE: HealthEventSource
HEALTH_EVENT_SOURCE_TRAFFIC: HealthEventSource
HEALTH_EVENT_SOURCE_MANUAL: HealthEventSource
HEALTH_EVENT_SOURCE_KEYS: HealthEventSource

class Channel(_message.Message):
    __slots__ = ("id", "name", "type", "base_url", "keys", "models", "model_mapping", "groups", "priority", "weight", "status", "status_reason", "abilities", "test_model", "balance", "balance_update_time", "used_quota", "key_selection", "key_count", "usable_key_count", "circuit_state", "settings", "timeout", "rpm_limit", "tpm_limit", "tags", "description", "create_time", "update_time", "last_test_time", "last_test_latency", "etag")
    class ModelMappingEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    BASE_URL_FIELD_NUMBER: _ClassVar[int]
    KEYS_FIELD_NUMBER: _ClassVar[int]
    MODELS_FIELD_NUMBER: _ClassVar[int]
    MODEL_MAPPING_FIELD_NUMBER: _ClassVar[int]
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_REASON_FIELD_NUMBER: _ClassVar[int]
    ABILITIES_FIELD_NUMBER: _ClassVar[int]
    TEST_MODEL_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    BALANCE_UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    USED_QUOTA_FIELD_NUMBER: _ClassVar[int]
    KEY_SELECTION_FIELD_NUMBER: _ClassVar[int]
    KEY_COUNT_FIELD_NUMBER: _ClassVar[int]
    USABLE_KEY_COUNT_FIELD_NUMBER: _ClassVar[int]
    CIRCUIT_STATE_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    RPM_LIMIT_FIELD_NUMBER: _ClassVar[int]
    TPM_LIMIT_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_TEST_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_TEST_LATENCY_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    type: str
    base_url: str
    keys: _containers.RepeatedScalarFieldContainer[str]
    models: _containers.RepeatedScalarFieldContainer[str]
    model_mapping: _containers.ScalarMap[str, str]
    groups: _containers.RepeatedScalarFieldContainer[str]
    priority: int
    weight: int
    status: ChannelStatus
    status_reason: str
    abilities: _containers.RepeatedCompositeFieldContainer[_chat_pb2.ModelAbilities]
    test_model: str
    balance: int
    balance_update_time: _timestamp_pb2.Timestamp
    used_quota: int
    key_selection: KeySelection
    key_count: int
    usable_key_count: int
    circuit_state: CircuitState
    settings: _struct_pb2.Struct
    timeout: _duration_pb2.Duration
    rpm_limit: int
    tpm_limit: int
    tags: _containers.RepeatedScalarFieldContainer[str]
    description: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    last_test_time: _timestamp_pb2.Timestamp
    last_test_latency: _duration_pb2.Duration
    etag: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., type: _Optional[str] = ..., base_url: _Optional[str] = ..., keys: _Optional[_Iterable[str]] = ..., models: _Optional[_Iterable[str]] = ..., model_mapping: _Optional[_Mapping[str, str]] = ..., groups: _Optional[_Iterable[str]] = ..., priority: _Optional[int] = ..., weight: _Optional[int] = ..., status: _Optional[_Union[ChannelStatus, str]] = ..., status_reason: _Optional[str] = ..., abilities: _Optional[_Iterable[_Union[_chat_pb2.ModelAbilities, _Mapping]]] = ..., test_model: _Optional[str] = ..., balance: _Optional[int] = ..., balance_update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., used_quota: _Optional[int] = ..., key_selection: _Optional[_Union[KeySelection, str]] = ..., key_count: _Optional[int] = ..., usable_key_count: _Optional[int] = ..., circuit_state: _Optional[_Union[CircuitState, str]] = ..., settings: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., rpm_limit: _Optional[int] = ..., tpm_limit: _Optional[int] = ..., tags: _Optional[_Iterable[str]] = ..., description: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_test_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_test_latency: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., etag: _Optional[str] = ...) -> None: ...

class ChannelHealthEvent(_message.Message):
    __slots__ = ("id", "channel_id", "from_status", "to_status", "from_circuit_state", "to_circuit_state", "source", "reason", "http_status", "actor_user_id", "event_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_STATUS_FIELD_NUMBER: _ClassVar[int]
    TO_STATUS_FIELD_NUMBER: _ClassVar[int]
    FROM_CIRCUIT_STATE_FIELD_NUMBER: _ClassVar[int]
    TO_CIRCUIT_STATE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    HTTP_STATUS_FIELD_NUMBER: _ClassVar[int]
    ACTOR_USER_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    channel_id: str
    from_status: ChannelStatus
    to_status: ChannelStatus
    from_circuit_state: CircuitState
    to_circuit_state: CircuitState
    source: HealthEventSource
    reason: str
    http_status: int
    actor_user_id: str
    event_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., channel_id: _Optional[str] = ..., from_status: _Optional[_Union[ChannelStatus, str]] = ..., to_status: _Optional[_Union[ChannelStatus, str]] = ..., from_circuit_state: _Optional[_Union[CircuitState, str]] = ..., to_circuit_state: _Optional[_Union[CircuitState, str]] = ..., source: _Optional[_Union[HealthEventSource, str]] = ..., reason: _Optional[str] = ..., http_status: _Optional[int] = ..., actor_user_id: _Optional[str] = ..., event_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateChannelRequest(_message.Message):
    __slots__ = ("channel", "test_first")
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    TEST_FIRST_FIELD_NUMBER: _ClassVar[int]
    channel: Channel
    test_first: bool
    def __init__(self, channel: _Optional[_Union[Channel, _Mapping]] = ..., test_first: _Optional[bool] = ...) -> None: ...

class CreateChannelResponse(_message.Message):
    __slots__ = ("channel",)
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    channel: Channel
    def __init__(self, channel: _Optional[_Union[Channel, _Mapping]] = ...) -> None: ...

class GetChannelRequest(_message.Message):
    __slots__ = ("channel_id",)
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    channel_id: str
    def __init__(self, channel_id: _Optional[str] = ...) -> None: ...

class GetChannelResponse(_message.Message):
    __slots__ = ("channel",)
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    channel: Channel
    def __init__(self, channel: _Optional[_Union[Channel, _Mapping]] = ...) -> None: ...

class ListChannelsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "type", "status", "group", "model", "name_contains", "tag", "order_by")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    NAME_CONTAINS_FIELD_NUMBER: _ClassVar[int]
    TAG_FIELD_NUMBER: _ClassVar[int]
    ORDER_BY_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    type: str
    status: ChannelStatus
    group: str
    model: str
    name_contains: str
    tag: str
    order_by: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., type: _Optional[str] = ..., status: _Optional[_Union[ChannelStatus, str]] = ..., group: _Optional[str] = ..., model: _Optional[str] = ..., name_contains: _Optional[str] = ..., tag: _Optional[str] = ..., order_by: _Optional[str] = ...) -> None: ...

class ListChannelsResponse(_message.Message):
    __slots__ = ("channels", "next_page_token", "total_size")
    CHANNELS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    channels: _containers.RepeatedCompositeFieldContainer[Channel]
    next_page_token: str
    total_size: int
    def __init__(self, channels: _Optional[_Iterable[_Union[Channel, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class UpdateChannelRequest(_message.Message):
    __slots__ = ("channel_id", "channel", "update_mask")
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    channel_id: str
    channel: Channel
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, channel_id: _Optional[str] = ..., channel: _Optional[_Union[Channel, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateChannelResponse(_message.Message):
    __slots__ = ("channel",)
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    channel: Channel
    def __init__(self, channel: _Optional[_Union[Channel, _Mapping]] = ...) -> None: ...

class DeleteChannelRequest(_message.Message):
    __slots__ = ("channel_id", "etag")
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    channel_id: str
    etag: str
    def __init__(self, channel_id: _Optional[str] = ..., etag: _Optional[str] = ...) -> None: ...

class DeleteChannelResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class TestChannelRequest(_message.Message):
    __slots__ = ("channel_id", "model", "key_id", "stream")
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    channel_id: str
    model: str
    key_id: str
    stream: bool
    def __init__(self, channel_id: _Optional[str] = ..., model: _Optional[str] = ..., key_id: _Optional[str] = ..., stream: _Optional[bool] = ...) -> None: ...

class TestChannelResponse(_message.Message):
    __slots__ = ("success", "model", "key_id", "latency", "time_to_first_token", "http_status", "error_message", "usage", "channel")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    LATENCY_FIELD_NUMBER: _ClassVar[int]
    TIME_TO_FIRST_TOKEN_FIELD_NUMBER: _ClassVar[int]
    HTTP_STATUS_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    success: bool
    model: str
    key_id: str
    latency: _duration_pb2.Duration
    time_to_first_token: _duration_pb2.Duration
    http_status: int
    error_message: str
    usage: _chat_pb2.Usage
    channel: Channel
    def __init__(self, success: _Optional[bool] = ..., model: _Optional[str] = ..., key_id: _Optional[str] = ..., latency: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., time_to_first_token: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., http_status: _Optional[int] = ..., error_message: _Optional[str] = ..., usage: _Optional[_Union[_chat_pb2.Usage, _Mapping]] = ..., channel: _Optional[_Union[Channel, _Mapping]] = ...) -> None: ...

class EnableChannelRequest(_message.Message):
    __slots__ = ("channel_id",)
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    channel_id: str
    def __init__(self, channel_id: _Optional[str] = ...) -> None: ...

class EnableChannelResponse(_message.Message):
    __slots__ = ("channel",)
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    channel: Channel
    def __init__(self, channel: _Optional[_Union[Channel, _Mapping]] = ...) -> None: ...

class DisableChannelRequest(_message.Message):
    __slots__ = ("channel_id", "reason")
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    channel_id: str
    reason: str
    def __init__(self, channel_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class DisableChannelResponse(_message.Message):
    __slots__ = ("channel",)
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    channel: Channel
    def __init__(self, channel: _Optional[_Union[Channel, _Mapping]] = ...) -> None: ...

class ListChannelHealthEventsRequest(_message.Message):
    __slots__ = ("channel_id", "page_size", "page_token", "start_time", "end_time")
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    channel_id: str
    page_size: int
    page_token: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, channel_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListChannelHealthEventsResponse(_message.Message):
    __slots__ = ("events", "next_page_token")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[ChannelHealthEvent]
    next_page_token: str
    def __init__(self, events: _Optional[_Iterable[_Union[ChannelHealthEvent, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
