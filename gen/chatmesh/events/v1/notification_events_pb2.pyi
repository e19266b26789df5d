from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class NotificationChannel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NOTIFICATION_CHANNEL_UNSPECIFIED: _ClassVar[NotificationChannel]
    NOTIFICATION_CHANNEL_EMAIL: _ClassVar[NotificationChannel]
    NOTIFICATION_CHANNEL_SMS: _ClassVar[NotificationChannel]
    NOTIFICATION_CHANNEL_IN_APP: _ClassVar[NotificationChannel]
    NOTIFICATION_CHANNEL_WEBHOOK: _ClassVar[NotificationChannel]

class NotificationPriority(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NOTIFICATION_PRIORITY_UNSPECIFIED: _ClassVar[NotificationPriority]
    NOTIFICATION_PRIORITY_LOW: _ClassVar[NotificationPriority]
    NOTIFICATION_PRIORITY_NORMAL: _ClassVar[NotificationPriority]
    NOTIFICATION_PRIORITY_HIGH: _ClassVar[NotificationPriority]
NOTIFICATION_CHANNEL_UNSPECIFIED: NotificationChannel
NOTIFICATION_CHANNEL_EMAIL: NotificationChannel
NOTIFICATION_CHANNEL_SMS: NotificationChannel
NOTIFICATION_CHANNEL_IN_APP: NotificationChannel
NOTIFICATION_CHANNEL_WEBHOOK: NotificationChannel
NOTIFICATION_PRIORITY_UNSPECIFIED: NotificationPriority
NOTIFICATION_PRIORITY_LOW: NotificationPriority
NOTIFICATION_PRIORITY_NORMAL: NotificationPriority
NOTIFICATION_PRIORITY_HIGH: NotificationPriority

class NotificationRequested(_message.Message):
    __slots__ = ("user_id", "email", "phone", "channels", "template_id", "variables", "locale", "priority", "dedupe_key")
    class VariablesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    CHANNELS_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_ID_FIELD_NUMBER: _ClassVar[int]
    VARIABLES_FIELD_NUMBER: _ClassVar[int]
    LOCALE_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    DEDUPE_KEY_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    email: str
    phone: str
    channels: _containers.RepeatedScalarFieldContainer[NotificationChannel]
    template_id: str
    variables: _containers.ScalarMap[str, str]
    locale: str
    priority: NotificationPriority
    dedupe_key: str
    def __init__(self, user_id: _Optional[str] = ..., email: _Optional[str] = ..., phone: _Optional[str] = ..., channels: _Optional[_Iterable[_Union[NotificationChannel, str]]] = ..., template_id: _Optional[str] = ..., variables: _Optional[_Mapping[str, str]] = ..., locale: _Optional[str] = ..., priority: _Optional[_Union[NotificationPriority, str]] = ..., dedupe_key: _Optional[str] = ...) -> None: ...

class NotificationQueued(_message.Message):
    __slots__ = ("notification_id", "channel", "priority")
    NOTIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    notification_id: str
    channel: NotificationChannel
    priority: NotificationPriority
    def __init__(self, notification_id: _Optional[str] = ..., channel: _Optional[_Union[NotificationChannel, str]] = ..., priority: _Optional[_Union[NotificationPriority, str]] = ...) -> None: ...

class InboxDelivered(_message.Message):
    __slots__ = ("notification_ids",)
    NOTIFICATION_IDS_FIELD_NUMBER: _ClassVar[int]
    notification_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, notification_ids: _Optional[_Iterable[str]] = ...) -> None: ...
