import datetime

from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
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

class NotificationStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NOTIFICATION_STATUS_UNSPECIFIED: _ClassVar[NotificationStatus]
    NOTIFICATION_STATUS_PENDING: _ClassVar[NotificationStatus]
    NOTIFICATION_STATUS_SENT: _ClassVar[NotificationStatus]
    NOTIFICATION_STATUS_DELIVERED: _ClassVar[NotificationStatus]
    NOTIFICATION_STATUS_FAILED: _ClassVar[NotificationStatus]
    NOTIFICATION_STATUS_SUPPRESSED: _ClassVar[NotificationStatus]

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
NOTIFICATION_STATUS_UNSPECIFIED: NotificationStatus
NOTIFICATION_STATUS_PENDING: NotificationStatus
NOTIFICATION_STATUS_SENT: NotificationStatus
NOTIFICATION_STATUS_DELIVERED: NotificationStatus
NOTIFICATION_STATUS_FAILED: NotificationStatus
NOTIFICATION_STATUS_SUPPRESSED: NotificationStatus
NOTIFICATION_PRIORITY_UNSPECIFIED: NotificationPriority
NOTIFICATION_PRIORITY_LOW: NotificationPriority
NOTIFICATION_PRIORITY_NORMAL: NotificationPriority
NOTIFICATION_PRIORITY_HIGH: NotificationPriority

class Recipient(_message.Message):
    __slots__ = ("user_id", "email", "phone", "webhook_url")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_URL_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    email: str
    phone: str
    webhook_url: str
    def __init__(self, user_id: _Optional[str] = ..., email: _Optional[str] = ..., phone: _Optional[str] = ..., webhook_url: _Optional[str] = ...) -> None: ...

class NotificationContent(_message.Message):
    __slots__ = ("template_id", "variables", "subject", "body", "html_body", "locale", "data")
    TEMPLATE_ID_FIELD_NUMBER: _ClassVar[int]
    VARIABLES_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    HTML_BODY_FIELD_NUMBER: _ClassVar[int]
    LOCALE_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    template_id: str
    variables: _struct_pb2.Struct
    subject: str
    body: str
    html_body: str
    locale: str
    data: _struct_pb2.Struct
    def __init__(self, template_id: _Optional[str] = ..., variables: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., subject: _Optional[str] = ..., body: _Optional[str] = ..., html_body: _Optional[str] = ..., locale: _Optional[str] = ..., data: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class Notification(_message.Message):
    __slots__ = ("id", "tenant_id", "recipient", "channel", "category", "template_id", "subject", "body", "html_body", "data", "priority", "status", "failure_reason", "attempts", "read", "read_time", "batch_id", "idempotency_key", "create_time", "send_time", "deliver_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    RECIPIENT_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_ID_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    HTML_BODY_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    FAILURE_REASON_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    READ_FIELD_NUMBER: _ClassVar[int]
    READ_TIME_FIELD_NUMBER: _ClassVar[int]
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    SEND_TIME_FIELD_NUMBER: _ClassVar[int]
    DELIVER_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    tenant_id: str
    recipient: Recipient
    channel: NotificationChannel
    category: str
    template_id: str
    subject: str
    body: str
    html_body: str
    data: _struct_pb2.Struct
    priority: NotificationPriority
    status: NotificationStatus
    failure_reason: str
    attempts: int
    read: bool
    read_time: _timestamp_pb2.Timestamp
    batch_id: str
    idempotency_key: str
    create_time: _timestamp_pb2.Timestamp
    send_time: _timestamp_pb2.Timestamp
    deliver_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., tenant_id: _Optional[str] = ..., recipient: _Optional[_Union[Recipient, _Mapping]] = ..., channel: _Optional[_Union[NotificationChannel, str]] = ..., category: _Optional[str] = ..., template_id: _Optional[str] = ..., subject: _Optional[str] = ..., body: _Optional[str] = ..., html_body: _Optional[str] = ..., data: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., priority: _Optional[_Union[NotificationPriority, str]] = ..., status: _Optional[_Union[NotificationStatus, str]] = ..., failure_reason: _Optional[str] = ..., attempts: _Optional[int] = ..., read: _Optional[bool] = ..., read_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., batch_id: _Optional[str] = ..., idempotency_key: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., send_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., deliver_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class NotificationBatch(_message.Message):
    __slots__ = ("id", "channel", "total", "pending", "sent", "delivered", "failed", "suppressed", "create_time", "complete_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    PENDING_FIELD_NUMBER: _ClassVar[int]
    SENT_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    SUPPRESSED_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    channel: NotificationChannel
    total: int
    pending: int
    sent: int
    delivered: int
    failed: int
    suppressed: int
    create_time: _timestamp_pb2.Timestamp
    complete_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., channel: _Optional[_Union[NotificationChannel, str]] = ..., total: _Optional[int] = ..., pending: _Optional[int] = ..., sent: _Optional[int] = ..., delivered: _Optional[int] = ..., failed: _Optional[int] = ..., suppressed: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., complete_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SendRequest(_message.Message):
    __slots__ = ("idempotency_key", "tenant_id", "channel", "recipient", "category", "content", "priority", "send_time")
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    RECIPIENT_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    SEND_TIME_FIELD_NUMBER: _ClassVar[int]
    idempotency_key: str
    tenant_id: str
    channel: NotificationChannel
    recipient: Recipient
    category: str
    content: NotificationContent
    priority: NotificationPriority
    send_time: _timestamp_pb2.Timestamp
    def __init__(self, idempotency_key: _Optional[str] = ..., tenant_id: _Optional[str] = ..., channel: _Optional[_Union[NotificationChannel, str]] = ..., recipient: _Optional[_Union[Recipient, _Mapping]] = ..., category: _Optional[str] = ..., content: _Optional[_Union[NotificationContent, _Mapping]] = ..., priority: _Optional[_Union[NotificationPriority, str]] = ..., send_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SendResponse(_message.Message):
    __slots__ = ("notification",)
    NOTIFICATION_FIELD_NUMBER: _ClassVar[int]
    notification: Notification
    def __init__(self, notification: _Optional[_Union[Notification, _Mapping]] = ...) -> None: ...

class BatchRecipient(_message.Message):
    __slots__ = ("recipient", "variables")
    RECIPIENT_FIELD_NUMBER: _ClassVar[int]
    VARIABLES_FIELD_NUMBER: _ClassVar[int]
    recipient: Recipient
    variables: _struct_pb2.Struct
    def __init__(self, recipient: _Optional[_Union[Recipient, _Mapping]] = ..., variables: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class SendBatchRequest(_message.Message):
    __slots__ = ("idempotency_key", "tenant_id", "channel", "category", "content", "recipients", "priority", "send_time")
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    RECIPIENTS_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    SEND_TIME_FIELD_NUMBER: _ClassVar[int]
    idempotency_key: str
    tenant_id: str
    channel: NotificationChannel
    category: str
    content: NotificationContent
    recipients: _containers.RepeatedCompositeFieldContainer[BatchRecipient]
    priority: NotificationPriority
    send_time: _timestamp_pb2.Timestamp
    def __init__(self, idempotency_key: _Optional[str] = ..., tenant_id: _Optional[str] = ..., channel: _Optional[_Union[NotificationChannel, str]] = ..., category: _Optional[str] = ..., content: _Optional[_Union[NotificationContent, _Mapping]] = ..., recipients: _Optional[_Iterable[_Union[BatchRecipient, _Mapping]]] = ..., priority: _Optional[_Union[NotificationPriority, str]] = ..., send_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SendBatchResponse(_message.Message):
    __slots__ = ("batch",)
    BATCH_FIELD_NUMBER: _ClassVar[int]
    batch: NotificationBatch
    def __init__(self, batch: _Optional[_Union[NotificationBatch, _Mapping]] = ...) -> None: ...

class GetNotificationBatchRequest(_message.Message):
    __slots__ = ("batch_id",)
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    def __init__(self, batch_id: _Optional[str] = ...) -> None: ...

class GetNotificationBatchResponse(_message.Message):
    __slots__ = ("batch",)
    BATCH_FIELD_NUMBER: _ClassVar[int]
    batch: NotificationBatch
    def __init__(self, batch: _Optional[_Union[NotificationBatch, _Mapping]] = ...) -> None: ...

class GetNotificationRequest(_message.Message):
    __slots__ = ("notification_id",)
    NOTIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    notification_id: str
    def __init__(self, notification_id: _Optional[str] = ...) -> None: ...

class GetNotificationResponse(_message.Message):
    __slots__ = ("notification",)
    NOTIFICATION_FIELD_NUMBER: _ClassVar[int]
    notification: Notification
    def __init__(self, notification: _Optional[_Union[Notification, _Mapping]] = ...) -> None: ...

class ListNotificationsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "channel", "unread_only", "category", "user_id")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    UNREAD_ONLY_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    channel: NotificationChannel
    unread_only: bool
    category: str
    user_id: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., channel: _Optional[_Union[NotificationChannel, str]] = ..., unread_only: _Optional[bool] = ..., category: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class ListNotificationsResponse(_message.Message):
    __slots__ = ("notifications", "next_page_token", "unread_count")
    NOTIFICATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    UNREAD_COUNT_FIELD_NUMBER: _ClassVar[int]
    notifications: _containers.RepeatedCompositeFieldContainer[Notification]
    next_page_token: str
    unread_count: int
    def __init__(self, notifications: _Optional[_Iterable[_Union[Notification, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., unread_count: _Optional[int] = ...) -> None: ...

class MarkReadRequest(_message.Message):
    __slots__ = ("notification_ids", "all")
    NOTIFICATION_IDS_FIELD_NUMBER: _ClassVar[int]
    ALL_FIELD_NUMBER: _ClassVar[int]
    notification_ids: _containers.RepeatedScalarFieldContainer[str]
    all: bool
    def __init__(self, notification_ids: _Optional[_Iterable[str]] = ..., all: _Optional[bool] = ...) -> None: ...

class MarkReadResponse(_message.Message):
    __slots__ = ("updated_count", "unread_count")
    UPDATED_COUNT_FIELD_NUMBER: _ClassVar[int]
    UNREAD_COUNT_FIELD_NUMBER: _ClassVar[int]
    updated_count: int
    unread_count: int
    def __init__(self, updated_count: _Optional[int] = ..., unread_count: _Optional[int] = ...) -> None: ...

class DeleteNotificationRequest(_message.Message):
    __slots__ = ("notification_id",)
    NOTIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    notification_id: str
    def __init__(self, notification_id: _Optional[str] = ...) -> None: ...

class DeleteNotificationResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SubscribeRequest(_message.Message):
    __slots__ = ("categories", "last_event_id")
    CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    LAST_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    categories: _containers.RepeatedScalarFieldContainer[str]
    last_event_id: str
    def __init__(self, categories: _Optional[_Iterable[str]] = ..., last_event_id: _Optional[str] = ...) -> None: ...

class SubscribeResponse(_message.Message):
    __slots__ = ("event_id", "notification", "inbox_state")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    NOTIFICATION_FIELD_NUMBER: _ClassVar[int]
    INBOX_STATE_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    notification: Notification
    inbox_state: InboxState
    def __init__(self, event_id: _Optional[str] = ..., notification: _Optional[_Union[Notification, _Mapping]] = ..., inbox_state: _Optional[_Union[InboxState, _Mapping]] = ...) -> None: ...

class InboxState(_message.Message):
    __slots__ = ("unread_count", "read_notification_ids", "deleted_notification_ids")
    UNREAD_COUNT_FIELD_NUMBER: _ClassVar[int]
    READ_NOTIFICATION_IDS_FIELD_NUMBER: _ClassVar[int]
    DELETED_NOTIFICATION_IDS_FIELD_NUMBER: _ClassVar[int]
    unread_count: int
    read_notification_ids: _containers.RepeatedScalarFieldContainer[str]
    deleted_notification_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, unread_count: _Optional[int] = ..., read_notification_ids: _Optional[_Iterable[str]] = ..., deleted_notification_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class DeliveryCounts(_message.Message):
    __slots__ = ("total", "pending", "sent", "delivered", "failed", "suppressed", "read", "delivery_rate")
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    PENDING_FIELD_NUMBER: _ClassVar[int]
    SENT_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    SUPPRESSED_FIELD_NUMBER: _ClassVar[int]
    READ_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_RATE_FIELD_NUMBER: _ClassVar[int]
    total: int
    pending: int
    sent: int
    delivered: int
    failed: int
    suppressed: int
    read: int
    delivery_rate: float
    def __init__(self, total: _Optional[int] = ..., pending: _Optional[int] = ..., sent: _Optional[int] = ..., delivered: _Optional[int] = ..., failed: _Optional[int] = ..., suppressed: _Optional[int] = ..., read: _Optional[int] = ..., delivery_rate: _Optional[float] = ...) -> None: ...

class ChannelDeliveryStats(_message.Message):
    __slots__ = ("channel", "counts")
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    channel: NotificationChannel
    counts: DeliveryCounts
    def __init__(self, channel: _Optional[_Union[NotificationChannel, str]] = ..., counts: _Optional[_Union[DeliveryCounts, _Mapping]] = ...) -> None: ...

class GetDeliveryStatsRequest(_message.Message):
    __slots__ = ("start_time", "end_time", "channel", "template_id", "category", "tenant_id")
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_ID_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    channel: NotificationChannel
    template_id: str
    category: str
    tenant_id: str
    def __init__(self, start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., channel: _Optional[_Union[NotificationChannel, str]] = ..., template_id: _Optional[str] = ..., category: _Optional[str] = ..., tenant_id: _Optional[str] = ...) -> None: ...

class GetDeliveryStatsResponse(_message.Message):
    __slots__ = ("totals", "channels")
    TOTALS_FIELD_NUMBER: _ClassVar[int]
    CHANNELS_FIELD_NUMBER: _ClassVar[int]
    totals: DeliveryCounts
    channels: _containers.RepeatedCompositeFieldContainer[ChannelDeliveryStats]
    def __init__(self, totals: _Optional[_Union[DeliveryCounts, _Mapping]] = ..., channels: _Optional[_Iterable[_Union[ChannelDeliveryStats, _Mapping]]] = ...) -> None: ...
