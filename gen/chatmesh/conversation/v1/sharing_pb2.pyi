import datetime

from chatmesh.conversation.v1 import resources_pb2 as _resources_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ShareMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SHARE_MODE_UNSPECIFIED: _ClassVar[ShareMode]
    SHARE_MODE_SNAPSHOT: _ClassVar[ShareMode]
    SHARE_MODE_LIVE: _ClassVar[ShareMode]

class ExportFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXPORT_FORMAT_UNSPECIFIED: _ClassVar[ExportFormat]
    EXPORT_FORMAT_MARKDOWN: _ClassVar[ExportFormat]
    EXPORT_FORMAT_JSON: _ClassVar[ExportFormat]
SHARE_MODE_UNSPECIFIED: ShareMode
SHARE_MODE_SNAPSHOT: ShareMode
SHARE_MODE_LIVE: ShareMode
EXPORT_FORMAT_UNSPECIFIED: ExportFormat
EXPORT_FORMAT_MARKDOWN: ExportFormat
EXPORT_FORMAT_JSON: ExportFormat

class ShareLink(_message.Message):
    __slots__ = ("id", "conversation_id", "mode", "expire_time", "password", "password_protected", "view_count", "snapshot_message_id", "create_time", "revoke_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_PROTECTED_FIELD_NUMBER: _ClassVar[int]
    VIEW_COUNT_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    REVOKE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    conversation_id: str
    mode: ShareMode
    expire_time: _timestamp_pb2.Timestamp
    password: str
    password_protected: bool
    view_count: int
    snapshot_message_id: str
    create_time: _timestamp_pb2.Timestamp
    revoke_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., conversation_id: _Optional[str] = ..., mode: _Optional[_Union[ShareMode, str]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., password: _Optional[str] = ..., password_protected: _Optional[bool] = ..., view_count: _Optional[int] = ..., snapshot_message_id: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revoke_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateShareLinkRequest(_message.Message):
    __slots__ = ("conversation_id", "share_link")
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    SHARE_LINK_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    share_link: ShareLink
    def __init__(self, conversation_id: _Optional[str] = ..., share_link: _Optional[_Union[ShareLink, _Mapping]] = ...) -> None: ...

class CreateShareLinkResponse(_message.Message):
    __slots__ = ("share_link",)
    SHARE_LINK_FIELD_NUMBER: _ClassVar[int]
    share_link: ShareLink
    def __init__(self, share_link: _Optional[_Union[ShareLink, _Mapping]] = ...) -> None: ...

class ListShareLinksRequest(_message.Message):
    __slots__ = ("conversation_id", "page_size", "page_token", "show_revoked")
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SHOW_REVOKED_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    page_size: int
    page_token: str
    show_revoked: bool
    def __init__(self, conversation_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., show_revoked: _Optional[bool] = ...) -> None: ...

class ListShareLinksResponse(_message.Message):
    __slots__ = ("share_links", "next_page_token")
    SHARE_LINKS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    share_links: _containers.RepeatedCompositeFieldContainer[ShareLink]
    next_page_token: str
    def __init__(self, share_links: _Optional[_Iterable[_Union[ShareLink, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RevokeShareLinkRequest(_message.Message):
    __slots__ = ("conversation_id", "share_link_id")
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    SHARE_LINK_ID_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    share_link_id: str
    def __init__(self, conversation_id: _Optional[str] = ..., share_link_id: _Optional[str] = ...) -> None: ...

class RevokeShareLinkResponse(_message.Message):
    __slots__ = ("share_link",)
    SHARE_LINK_FIELD_NUMBER: _ClassVar[int]
    share_link: ShareLink
    def __init__(self, share_link: _Optional[_Union[ShareLink, _Mapping]] = ...) -> None: ...

class GetSharedConversationRequest(_message.Message):
    __slots__ = ("share_link_id", "password")
    SHARE_LINK_ID_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    share_link_id: str
    password: str
    def __init__(self, share_link_id: _Optional[str] = ..., password: _Optional[str] = ...) -> None: ...

class GetSharedConversationResponse(_message.Message):
    __slots__ = ("title", "messages", "create_time", "update_time")
    TITLE_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    title: str
    messages: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Message]
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, title: _Optional[str] = ..., messages: _Optional[_Iterable[_Union[_resources_pb2.Message, _Mapping]]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ExportConversationRequest(_message.Message):
    __slots__ = ("conversation_id", "format", "all_branches")
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    ALL_BRANCHES_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    format: ExportFormat
    all_branches: bool
    def __init__(self, conversation_id: _Optional[str] = ..., format: _Optional[_Union[ExportFormat, str]] = ..., all_branches: _Optional[bool] = ...) -> None: ...

class ExportConversationResponse(_message.Message):
    __slots__ = ("filename", "content_type", "content")
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    filename: str
    content_type: str
    content: str
    def __init__(self, filename: _Optional[str] = ..., content_type: _Optional[str] = ..., content: _Optional[str] = ...) -> None: ...

class ImportConversationRequest(_message.Message):
    __slots__ = ("content", "title")
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    content: str
    title: str
    def __init__(self, content: _Optional[str] = ..., title: _Optional[str] = ...) -> None: ...

class ImportConversationResponse(_message.Message):
    __slots__ = ("conversation",)
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    conversation: _resources_pb2.Conversation
    def __init__(self, conversation: _Optional[_Union[_resources_pb2.Conversation, _Mapping]] = ...) -> None: ...
