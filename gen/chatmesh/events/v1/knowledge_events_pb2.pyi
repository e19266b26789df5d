import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DocumentIngested(_message.Message):
    __slots__ = ("knowledge_base_id", "document_id", "ingestion_job_id", "chunk_count", "token_count", "size_bytes", "embedding_model", "duration")
    KNOWLEDGE_BASE_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    INGESTION_JOB_ID_FIELD_NUMBER: _ClassVar[int]
    CHUNK_COUNT_FIELD_NUMBER: _ClassVar[int]
    TOKEN_COUNT_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_MODEL_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    knowledge_base_id: str
    document_id: str
    ingestion_job_id: str
    chunk_count: int
    token_count: int
    size_bytes: int
    embedding_model: str
    duration: _duration_pb2.Duration
    def __init__(self, knowledge_base_id: _Optional[str] = ..., document_id: _Optional[str] = ..., ingestion_job_id: _Optional[str] = ..., chunk_count: _Optional[int] = ..., token_count: _Optional[int] = ..., size_bytes: _Optional[int] = ..., embedding_model: _Optional[str] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class IngestionFailed(_message.Message):
    __slots__ = ("knowledge_base_id", "document_id", "ingestion_job_id", "code", "message", "attempt", "will_retry")
    KNOWLEDGE_BASE_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    INGESTION_JOB_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    WILL_RETRY_FIELD_NUMBER: _ClassVar[int]
    knowledge_base_id: str
    document_id: str
    ingestion_job_id: str
    code: str
    message: str
    attempt: int
    will_retry: bool
    def __init__(self, knowledge_base_id: _Optional[str] = ..., document_id: _Optional[str] = ..., ingestion_job_id: _Optional[str] = ..., code: _Optional[str] = ..., message: _Optional[str] = ..., attempt: _Optional[int] = ..., will_retry: _Optional[bool] = ...) -> None: ...

class KnowledgeBaseDeleted(_message.Message):
    __slots__ = ("knowledge_base_id", "owner_id", "document_count", "size_bytes")
    KNOWLEDGE_BASE_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_COUNT_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    knowledge_base_id: str
    owner_id: str
    document_count: int
    size_bytes: int
    def __init__(self, knowledge_base_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., document_count: _Optional[int] = ..., size_bytes: _Optional[int] = ...) -> None: ...
