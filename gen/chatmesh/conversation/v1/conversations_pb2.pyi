import datetime

from chatmesh.conversation.v1 import resources_pb2 as _resources_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateConversationRequest(_message.Message):
    __slots__ = ("conversation", "request_id")
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    conversation: _resources_pb2.Conversation
    request_id: str
    def __init__(self, conversation: _Optional[_Union[_resources_pb2.Conversation, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateConversationResponse(_message.Message):
    __slots__ = ("conversation",)
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    conversation: _resources_pb2.Conversation
    def __init__(self, conversation: _Optional[_Union[_resources_pb2.Conversation, _Mapping]] = ...) -> None: ...

class GetConversationRequest(_message.Message):
    __slots__ = ("conversation_id",)
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    def __init__(self, conversation_id: _Optional[str] = ...) -> None: ...

class GetConversationResponse(_message.Message):
    __slots__ = ("conversation",)
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    conversation: _resources_pb2.Conversation
    def __init__(self, conversation: _Optional[_Union[_resources_pb2.Conversation, _Mapping]] = ...) -> None: ...

class ListConversationsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "archived", "tag", "folder", "updated_since", "show_deleted", "order_by")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ARCHIVED_FIELD_NUMBER: _ClassVar[int]
    TAG_FIELD_NUMBER: _ClassVar[int]
    FOLDER_FIELD_NUMBER: _ClassVar[int]
    UPDATED_SINCE_FIELD_NUMBER: _ClassVar[int]
    SHOW_DELETED_FIELD_NUMBER: _ClassVar[int]
    ORDER_BY_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    archived: bool
    tag: str
    folder: str
    updated_since: _timestamp_pb2.Timestamp
    show_deleted: bool
    order_by: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., archived: _Optional[bool] = ..., tag: _Optional[str] = ..., folder: _Optional[str] = ..., updated_since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., show_deleted: _Optional[bool] = ..., order_by: _Optional[str] = ...) -> None: ...

class ListConversationsResponse(_message.Message):
    __slots__ = ("conversations", "next_page_token")
    CONVERSATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    conversations: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Conversation]
    next_page_token: str
    def __init__(self, conversations: _Optional[_Iterable[_Union[_resources_pb2.Conversation, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateConversationRequest(_message.Message):
    __slots__ = ("conversation_id", "conversation", "update_mask")
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    conversation: _resources_pb2.Conversation
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, conversation_id: _Optional[str] = ..., conversation: _Optional[_Union[_resources_pb2.Conversation, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateConversationResponse(_message.Message):
    __slots__ = ("conversation",)
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    conversation: _resources_pb2.Conversation
    def __init__(self, conversation: _Optional[_Union[_resources_pb2.Conversation, _Mapping]] = ...) -> None: ...

class ArchiveConversationRequest(_message.Message):
    __slots__ = ("conversation_id",)
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    def __init__(self, conversation_id: _Optional[str] = ...) -> None: ...

class ArchiveConversationResponse(_message.Message):
    __slots__ = ("conversation",)
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    conversation: _resources_pb2.Conversation
    def __init__(self, conversation: _Optional[_Union[_resources_pb2.Conversation, _Mapping]] = ...) -> None: ...

class UnarchiveConversationRequest(_message.Message):
    __slots__ = ("conversation_id",)
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    def __init__(self, conversation_id: _Optional[str] = ...) -> None: ...

class UnarchiveConversationResponse(_message.Message):
    __slots__ = ("conversation",)
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    conversation: _resources_pb2.Conversation
    def __init__(self, conversation: _Optional[_Union[_resources_pb2.Conversation, _Mapping]] = ...) -> None: ...

class DeleteConversationRequest(_message.Message):
    __slots__ = ("conversation_id",)
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    def __init__(self, conversation_id: _Optional[str] = ...) -> None: ...

class DeleteConversationResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RestoreConversationRequest(_message.Message):
    __slots__ = ("conversation_id",)
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    def __init__(self, conversation_id: _Optional[str] = ...) -> None: ...

class RestoreConversationResponse(_message.Message):
    __slots__ = ("conversation",)
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    conversation: _resources_pb2.Conversation
    def __init__(self, conversation: _Optional[_Union[_resources_pb2.Conversation, _Mapping]] = ...) -> None: ...

class GenerateTitleRequest(_message.Message):
    __slots__ = ("conversation_id",)
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    def __init__(self, conversation_id: _Optional[str] = ...) -> None: ...

class GenerateTitleResponse(_message.Message):
    __slots__ = ("title",)
    TITLE_FIELD_NUMBER: _ClassVar[int]
    title: str
    def __init__(self, title: _Optional[str] = ...) -> None: ...

class SummarizeRequest(_message.Message):
    __slots__ = ("conversation_id", "leaf_message_id")
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    LEAF_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    leaf_message_id: str
    def __init__(self, conversation_id: _Optional[str] = ..., leaf_message_id: _Optional[str] = ...) -> None: ...

class SummarizeResponse(_message.Message):
    __slots__ = ("summary", "through_message_id", "token_count")
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    THROUGH_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    TOKEN_COUNT_FIELD_NUMBER: _ClassVar[int]
    summary: str
    through_message_id: str
    token_count: int
    def __init__(self, summary: _Optional[str] = ..., through_message_id: _Optional[str] = ..., token_count: _Optional[int] = ...) -> None: ...

class SearchConversationsRequest(_message.Message):
    __slots__ = ("query", "page_size", "page_token", "include_archived")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_ARCHIVED_FIELD_NUMBER: _ClassVar[int]
    query: str
    page_size: int
    page_token: str
    include_archived: bool
    def __init__(self, query: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., include_archived: _Optional[bool] = ...) -> None: ...

class SearchConversationsResponse(_message.Message):
    __slots__ = ("hits", "next_page_token")
    HITS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    hits: _containers.RepeatedCompositeFieldContainer[SearchHit]
    next_page_token: str
    def __init__(self, hits: _Optional[_Iterable[_Union[SearchHit, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class SearchHit(_message.Message):
    __slots__ = ("conversation", "message_id", "snippet", "rank")
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    SNIPPET_FIELD_NUMBER: _ClassVar[int]
    RANK_FIELD_NUMBER: _ClassVar[int]
    conversation: _resources_pb2.Conversation
    message_id: str
    snippet: str
    rank: float
    def __init__(self, conversation: _Optional[_Union[_resources_pb2.Conversation, _Mapping]] = ..., message_id: _Optional[str] = ..., snippet: _Optional[str] = ..., rank: _Optional[float] = ...) -> None: ...

class GetContextWindowRequest(_message.Message):
    __slots__ = ("conversation_id", "leaf_message_id", "model", "reserve_tokens")
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    LEAF_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    RESERVE_TOKENS_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    leaf_message_id: str
    model: str
    reserve_tokens: int
    def __init__(self, conversation_id: _Optional[str] = ..., leaf_message_id: _Optional[str] = ..., model: _Optional[str] = ..., reserve_tokens: _Optional[int] = ...) -> None: ...

class GetContextWindowResponse(_message.Message):
    __slots__ = ("system_prompt", "summary", "messages", "token_count", "settings")
    SYSTEM_PROMPT_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    TOKEN_COUNT_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    system_prompt: str
    summary: str
    messages: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Message]
    token_count: int
    settings: _resources_pb2.ConversationSettings
    def __init__(self, system_prompt: _Optional[str] = ..., summary: _Optional[str] = ..., messages: _Optional[_Iterable[_Union[_resources_pb2.Message, _Mapping]]] = ..., token_count: _Optional[int] = ..., settings: _Optional[_Union[_resources_pb2.ConversationSettings, _Mapping]] = ...) -> None: ...
