from chatmesh.conversation.v1 import resources_pb2 as _resources_pb2
from google.rpc import status_pb2 as _status_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MessageView(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MESSAGE_VIEW_UNSPECIFIED: _ClassVar[MessageView]
    MESSAGE_VIEW_ACTIVE_PATH: _ClassVar[MessageView]
    MESSAGE_VIEW_SUBTREE: _ClassVar[MessageView]
    MESSAGE_VIEW_ALL: _ClassVar[MessageView]
MESSAGE_VIEW_UNSPECIFIED: MessageView
MESSAGE_VIEW_ACTIVE_PATH: MessageView
MESSAGE_VIEW_SUBTREE: MessageView
MESSAGE_VIEW_ALL: MessageView

class ListMessagesRequest(_message.Message):
    __slots__ = ("conversation_id", "page_size", "page_token", "view", "message_id")
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    page_size: int
    page_token: str
    view: MessageView
    message_id: str
    def __init__(self, conversation_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., view: _Optional[_Union[MessageView, str]] = ..., message_id: _Optional[str] = ...) -> None: ...

class ListMessagesResponse(_message.Message):
    __slots__ = ("messages", "next_page_token")
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    messages: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Message]
    next_page_token: str
    def __init__(self, messages: _Optional[_Iterable[_Union[_resources_pb2.Message, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetMessageRequest(_message.Message):
    __slots__ = ("conversation_id", "message_id")
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    message_id: str
    def __init__(self, conversation_id: _Optional[str] = ..., message_id: _Optional[str] = ...) -> None: ...

class GetMessageResponse(_message.Message):
    __slots__ = ("message",)
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    message: _resources_pb2.Message
    def __init__(self, message: _Optional[_Union[_resources_pb2.Message, _Mapping]] = ...) -> None: ...

class SendMessageRequest(_message.Message):
    __slots__ = ("conversation_id", "content", "parts", "attachment_ids", "parent_message_id", "request_id", "model", "after_event_id")
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    PARTS_FIELD_NUMBER: _ClassVar[int]
    ATTACHMENT_IDS_FIELD_NUMBER: _ClassVar[int]
    PARENT_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    AFTER_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    content: str
    parts: _containers.RepeatedCompositeFieldContainer[_resources_pb2.ContentPart]
    attachment_ids: _containers.RepeatedScalarFieldContainer[str]
    parent_message_id: str
    request_id: str
    model: str
    after_event_id: str
    def __init__(self, conversation_id: _Optional[str] = ..., content: _Optional[str] = ..., parts: _Optional[_Iterable[_Union[_resources_pb2.ContentPart, _Mapping]]] = ..., attachment_ids: _Optional[_Iterable[str]] = ..., parent_message_id: _Optional[str] = ..., request_id: _Optional[str] = ..., model: _Optional[str] = ..., after_event_id: _Optional[str] = ...) -> None: ...

class SendMessageResponse(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: GenerationEvent
    def __init__(self, event: _Optional[_Union[GenerationEvent, _Mapping]] = ...) -> None: ...

class RegenerateRequest(_message.Message):
    __slots__ = ("conversation_id", "message_id", "model", "request_id", "after_event_id")
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    AFTER_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    message_id: str
    model: str
    request_id: str
    after_event_id: str
    def __init__(self, conversation_id: _Optional[str] = ..., message_id: _Optional[str] = ..., model: _Optional[str] = ..., request_id: _Optional[str] = ..., after_event_id: _Optional[str] = ...) -> None: ...

class RegenerateResponse(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: GenerationEvent
    def __init__(self, event: _Optional[_Union[GenerationEvent, _Mapping]] = ...) -> None: ...

class ResumeGenerationRequest(_message.Message):
    __slots__ = ("conversation_id", "generation_id", "after_event_id")
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    GENERATION_ID_FIELD_NUMBER: _ClassVar[int]
    AFTER_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    generation_id: str
    after_event_id: str
    def __init__(self, conversation_id: _Optional[str] = ..., generation_id: _Optional[str] = ..., after_event_id: _Optional[str] = ...) -> None: ...

class ResumeGenerationResponse(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: GenerationEvent
    def __init__(self, event: _Optional[_Union[GenerationEvent, _Mapping]] = ...) -> None: ...

class StopGenerationRequest(_message.Message):
    __slots__ = ("conversation_id", "generation_id")
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    GENERATION_ID_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    generation_id: str
    def __init__(self, conversation_id: _Optional[str] = ..., generation_id: _Optional[str] = ...) -> None: ...

class StopGenerationResponse(_message.Message):
    __slots__ = ("stopped",)
    STOPPED_FIELD_NUMBER: _ClassVar[int]
    stopped: bool
    def __init__(self, stopped: _Optional[bool] = ...) -> None: ...

class EditMessageRequest(_message.Message):
    __slots__ = ("conversation_id", "message_id", "content", "parts")
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    PARTS_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    message_id: str
    content: str
    parts: _containers.RepeatedCompositeFieldContainer[_resources_pb2.ContentPart]
    def __init__(self, conversation_id: _Optional[str] = ..., message_id: _Optional[str] = ..., content: _Optional[str] = ..., parts: _Optional[_Iterable[_Union[_resources_pb2.ContentPart, _Mapping]]] = ...) -> None: ...

class EditMessageResponse(_message.Message):
    __slots__ = ("message",)
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    message: _resources_pb2.Message
    def __init__(self, message: _Optional[_Union[_resources_pb2.Message, _Mapping]] = ...) -> None: ...

class SwitchBranchRequest(_message.Message):
    __slots__ = ("conversation_id", "message_id")
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    message_id: str
    def __init__(self, conversation_id: _Optional[str] = ..., message_id: _Optional[str] = ...) -> None: ...

class SwitchBranchResponse(_message.Message):
    __slots__ = ("conversation",)
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    conversation: _resources_pb2.Conversation
    def __init__(self, conversation: _Optional[_Union[_resources_pb2.Conversation, _Mapping]] = ...) -> None: ...

class GenerationEvent(_message.Message):
    __slots__ = ("event_id", "generation_id", "started", "delta", "tool_call", "citations", "usage", "done", "error")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    GENERATION_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_FIELD_NUMBER: _ClassVar[int]
    DELTA_FIELD_NUMBER: _ClassVar[int]
    TOOL_CALL_FIELD_NUMBER: _ClassVar[int]
    CITATIONS_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    generation_id: str
    started: GenerationStarted
    delta: ContentDelta
    tool_call: ToolCallUpdate
    citations: CitationsUpdate
    usage: UsageUpdate
    done: GenerationDone
    error: GenerationFailed
    def __init__(self, event_id: _Optional[str] = ..., generation_id: _Optional[str] = ..., started: _Optional[_Union[GenerationStarted, _Mapping]] = ..., delta: _Optional[_Union[ContentDelta, _Mapping]] = ..., tool_call: _Optional[_Union[ToolCallUpdate, _Mapping]] = ..., citations: _Optional[_Union[CitationsUpdate, _Mapping]] = ..., usage: _Optional[_Union[UsageUpdate, _Mapping]] = ..., done: _Optional[_Union[GenerationDone, _Mapping]] = ..., error: _Optional[_Union[GenerationFailed, _Mapping]] = ...) -> None: ...

class GenerationStarted(_message.Message):
    __slots__ = ("conversation_id", "user_message_id", "assistant_message_id", "parent_message_id", "model")
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    USER_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    ASSISTANT_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    user_message_id: str
    assistant_message_id: str
    parent_message_id: str
    model: str
    def __init__(self, conversation_id: _Optional[str] = ..., user_message_id: _Optional[str] = ..., assistant_message_id: _Optional[str] = ..., parent_message_id: _Optional[str] = ..., model: _Optional[str] = ...) -> None: ...

class ContentDelta(_message.Message):
    __slots__ = ("text", "reasoning")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    REASONING_FIELD_NUMBER: _ClassVar[int]
    text: str
    reasoning: str
    def __init__(self, text: _Optional[str] = ..., reasoning: _Optional[str] = ...) -> None: ...

class ToolCallUpdate(_message.Message):
    __slots__ = ("tool_call",)
    TOOL_CALL_FIELD_NUMBER: _ClassVar[int]
    tool_call: _resources_pb2.ToolCall
    def __init__(self, tool_call: _Optional[_Union[_resources_pb2.ToolCall, _Mapping]] = ...) -> None: ...

class CitationsUpdate(_message.Message):
    __slots__ = ("citations",)
    CITATIONS_FIELD_NUMBER: _ClassVar[int]
    citations: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Citation]
    def __init__(self, citations: _Optional[_Iterable[_Union[_resources_pb2.Citation, _Mapping]]] = ...) -> None: ...

class UsageUpdate(_message.Message):
    __slots__ = ("usage",)
    USAGE_FIELD_NUMBER: _ClassVar[int]
    usage: _resources_pb2.Usage
    def __init__(self, usage: _Optional[_Union[_resources_pb2.Usage, _Mapping]] = ...) -> None: ...

class GenerationDone(_message.Message):
    __slots__ = ("message", "finish_reason")
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    FINISH_REASON_FIELD_NUMBER: _ClassVar[int]
    message: _resources_pb2.Message
    finish_reason: _resources_pb2.FinishReason
    def __init__(self, message: _Optional[_Union[_resources_pb2.Message, _Mapping]] = ..., finish_reason: _Optional[_Union[_resources_pb2.FinishReason, str]] = ...) -> None: ...

class GenerationFailed(_message.Message):
    __slots__ = ("status", "partial_message")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PARTIAL_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    status: _status_pb2.Status
    partial_message: _resources_pb2.Message
    def __init__(self, status: _Optional[_Union[_status_pb2.Status, _Mapping]] = ..., partial_message: _Optional[_Union[_resources_pb2.Message, _Mapping]] = ...) -> None: ...
