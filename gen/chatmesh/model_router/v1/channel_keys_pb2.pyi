import datetime

from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ChannelKeyStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANNEL_KEY_STATUS_UNSPECIFIED: _ClassVar[ChannelKeyStatus]
    CHANNEL_KEY_STATUS_ACTIVE: _ClassVar[ChannelKeyStatus]
    CHANNEL_KEY_STATUS_COOLING_DOWN: _ClassVar[ChannelKeyStatus]
    CHANNEL_KEY_STATUS_DISABLED: _ClassVar[ChannelKeyStatus]
    CHANNEL_KEY_STATUS_INVALID: _ClassVar[ChannelKeyStatus]
CHANNEL_KEY_STATUS_UNSPECIFIED: ChannelKeyStatus
CHANNEL_KEY_STATUS_ACTIVE: ChannelKeyStatus
CHANNEL_KEY_STATUS_COOLING_DOWN: ChannelKeyStatus
CHANNEL_KEY_STATUS_DISABLED: ChannelKeyStatus
CHANNEL_KEY_STATUS_INVALID: ChannelKeyStatus

class ChannelKey(_message.Message):
    __slots__ = ("id", "channel_id", "masked_key", "status", "status_reason", "cooldown_until", "failure_count", "last_used_time", "create_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    MASKED_KEY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_REASON_FIELD_NUMBER: _ClassVar[int]
    COOLDOWN_UNTIL_FIELD_NUMBER: _ClassVar[int]
    FAILURE_COUNT_FIELD_NUMBER: _ClassVar[int]
    LAST_USED_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    channel_id: str
    masked_key: str
    status: ChannelKeyStatus
    status_reason: str
    cooldown_until: _timestamp_pb2.Timestamp
    failure_count: int
    last_used_time: _timestamp_pb2.Timestamp
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., channel_id: _Optional[str] = ..., masked_key: _Optional[str] = ..., status: _Optional[_Union[ChannelKeyStatus, str]] = ..., status_reason: _Optional[str] = ..., cooldown_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., failure_count: _Optional[int] = ..., last_used_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AddChannelKeysRequest(_message.Message):
    __slots__ = ("channel_id", "keys")
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    KEYS_FIELD_NUMBER: _ClassVar[int]
    channel_id: str
    keys: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, channel_id: _Optional[str] = ..., keys: _Optional[_Iterable[str]] = ...) -> None: ...

class AddChannelKeysResponse(_message.Message):
    __slots__ = ("keys",)
    KEYS_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedCompositeFieldContainer[ChannelKey]
    def __init__(self, keys: _Optional[_Iterable[_Union[ChannelKey, _Mapping]]] = ...) -> None: ...

class ListChannelKeysRequest(_message.Message):
    __slots__ = ("channel_id", "page_size", "page_token", "status")
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    channel_id: str
    page_size: int
    page_token: str
    status: ChannelKeyStatus
    def __init__(self, channel_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., status: _Optional[_Union[ChannelKeyStatus, str]] = ...) -> None: ...

class ListChannelKeysResponse(_message.Message):
    __slots__ = ("keys", "next_page_token")
    KEYS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedCompositeFieldContainer[ChannelKey]
    next_page_token: str
    def __init__(self, keys: _Optional[_Iterable[_Union[ChannelKey, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateChannelKeyRequest(_message.Message):
    __slots__ = ("channel_id", "key_id", "key", "update_mask")
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    channel_id: str
    key_id: str
    key: ChannelKey
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, channel_id: _Optional[str] = ..., key_id: _Optional[str] = ..., key: _Optional[_Union[ChannelKey, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateChannelKeyResponse(_message.Message):
    __slots__ = ("key",)
    KEY_FIELD_NUMBER: _ClassVar[int]
    key: ChannelKey
    def __init__(self, key: _Optional[_Union[ChannelKey, _Mapping]] = ...) -> None: ...

class DeleteChannelKeyRequest(_message.Message):
    __slots__ = ("channel_id", "key_id")
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    channel_id: str
    key_id: str
    def __init__(self, channel_id: _Optional[str] = ..., key_id: _Optional[str] = ...) -> None: ...

class DeleteChannelKeyResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
