import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MessageAuthor(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MESSAGE_AUTHOR_UNSPECIFIED: _ClassVar[MessageAuthor]
    MESSAGE_AUTHOR_USER: _ClassVar[MessageAuthor]
    MESSAGE_AUTHOR_ASSISTANT: _ClassVar[MessageAuthor]
    MESSAGE_AUTHOR_SYSTEM: _ClassVar[MessageAuthor]
    MESSAGE_AUTHOR_TOOL: _ClassVar[MessageAuthor]

class GenerationOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    GENERATION_OUTCOME_UNSPECIFIED: _ClassVar[GenerationOutcome]
    GENERATION_OUTCOME_SUCCEEDED: _ClassVar[GenerationOutcome]
    GENERATION_OUTCOME_CANCELLED: _ClassVar[GenerationOutcome]
    GENERATION_OUTCOME_FAILED: _ClassVar[GenerationOutcome]
MESSAGE_AUTHOR_UNSPECIFIED: MessageAuthor
MESSAGE_AUTHOR_USER: MessageAuthor
MESSAGE_AUTHOR_ASSISTANT: MessageAuthor
MESSAGE_AUTHOR_SYSTEM: MessageAuthor
MESSAGE_AUTHOR_TOOL: MessageAuthor
GENERATION_OUTCOME_UNSPECIFIED: GenerationOutcome
GENERATION_OUTCOME_SUCCEEDED: GenerationOutcome
GENERATION_OUTCOME_CANCELLED: GenerationOutcome
GENERATION_OUTCOME_FAILED: GenerationOutcome

class ConversationCreated(_message.Message):
    __slots__ = ("conversation_id", "owner_id", "title", "model")
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    owner_id: str
    title: str
    model: str
    def __init__(self, conversation_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., title: _Optional[str] = ..., model: _Optional[str] = ...) -> None: ...

class ConversationDeleted(_message.Message):
    __slots__ = ("conversation_id", "owner_id", "permanent")
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    PERMANENT_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    owner_id: str
    permanent: bool
    def __init__(self, conversation_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., permanent: _Optional[bool] = ...) -> None: ...

class MessageCreated(_message.Message):
    __slots__ = ("conversation_id", "message_id", "parent_id", "author", "owner_id", "token_count")
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_ID_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    TOKEN_COUNT_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    message_id: str
    parent_id: str
    author: MessageAuthor
    owner_id: str
    token_count: int
    def __init__(self, conversation_id: _Optional[str] = ..., message_id: _Optional[str] = ..., parent_id: _Optional[str] = ..., author: _Optional[_Union[MessageAuthor, str]] = ..., owner_id: _Optional[str] = ..., token_count: _Optional[int] = ...) -> None: ...

class GenerationCompleted(_message.Message):
    __slots__ = ("generation_id", "conversation_id", "message_id", "owner_id", "model", "outcome", "finish_reason", "prompt_tokens", "completion_tokens", "tool_calls", "time_to_first_token", "duration")
    GENERATION_ID_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    FINISH_REASON_FIELD_NUMBER: _ClassVar[int]
    PROMPT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    COMPLETION_TOKENS_FIELD_NUMBER: _ClassVar[int]
    TOOL_CALLS_FIELD_NUMBER: _ClassVar[int]
    TIME_TO_FIRST_TOKEN_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    generation_id: str
    conversation_id: str
    message_id: str
    owner_id: str
    model: str
    outcome: GenerationOutcome
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    tool_calls: int
    time_to_first_token: _duration_pb2.Duration
    duration: _duration_pb2.Duration
    def __init__(self, generation_id: _Optional[str] = ..., conversation_id: _Optional[str] = ..., message_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., model: _Optional[str] = ..., outcome: _Optional[_Union[GenerationOutcome, str]] = ..., finish_reason: _Optional[str] = ..., prompt_tokens: _Optional[int] = ..., completion_tokens: _Optional[int] = ..., tool_calls: _Optional[int] = ..., time_to_first_token: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...
