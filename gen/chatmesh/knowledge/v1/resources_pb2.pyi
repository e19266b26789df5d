import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.rpc import status_pb2 as _status_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DocumentStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DOCUMENT_STATUS_UNSPECIFIED: _ClassVar[DocumentStatus]
    DOCUMENT_STATUS_PENDING: _ClassVar[DocumentStatus]
    DOCUMENT_STATUS_PROCESSING: _ClassVar[DocumentStatus]
    DOCUMENT_STATUS_READY: _ClassVar[DocumentStatus]
    DOCUMENT_STATUS_FAILED: _ClassVar[DocumentStatus]

class IngestionJobState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INGESTION_JOB_STATE_UNSPECIFIED: _ClassVar[IngestionJobState]
    INGESTION_JOB_STATE_QUEUED: _ClassVar[IngestionJobState]
    INGESTION_JOB_STATE_RUNNING: _ClassVar[IngestionJobState]
    INGESTION_JOB_STATE_SUCCEEDED: _ClassVar[IngestionJobState]
    INGESTION_JOB_STATE_FAILED: _ClassVar[IngestionJobState]
    INGESTION_JOB_STATE_CANCELLED: _ClassVar[IngestionJobState]

class IngestionStage(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INGESTION_STAGE_UNSPECIFIED: _ClassVar[IngestionStage]
    INGESTION_STAGE_PARSING: _ClassVar[IngestionStage]
    INGESTION_STAGE_CHUNKING: _ClassVar[IngestionStage]
    INGESTION_STAGE_EMBEDDING: _ClassVar[IngestionStage]
    INGESTION_STAGE_INDEXING: _ClassVar[IngestionStage]
    INGESTION_STAGE_DONE: _ClassVar[IngestionStage]
DOCUMENT_STATUS_UNSPECIFIED: DocumentStatus
DOCUMENT_STATUS_PENDING: DocumentStatus
DOCUMENT_STATUS_PROCESSING: DocumentStatus
DOCUMENT_STATUS_READY: DocumentStatus
DOCUMENT_STATUS_FAILED: DocumentStatus
INGESTION_JOB_STATE_UNSPECIFIED: IngestionJobState
INGESTION_JOB_STATE_QUEUED: IngestionJobState
INGESTION_JOB_STATE_RUNNING: IngestionJobState
INGESTION_JOB_STATE_SUCCEEDED: IngestionJobState
INGESTION_JOB_STATE_FAILED: IngestionJobState
INGESTION_JOB_STATE_CANCELLED: IngestionJobState
INGESTION_STAGE_UNSPECIFIED: IngestionStage
INGESTION_STAGE_PARSING: IngestionStage
INGESTION_STAGE_CHUNKING: IngestionStage
INGESTION_STAGE_EMBEDDING: IngestionStage
INGESTION_STAGE_INDEXING: IngestionStage
INGESTION_STAGE_DONE: IngestionStage

class KnowledgeBase(_message.Message):
    __slots__ = ("id", "tenant_id", "owner_id", "name", "description", "embedding_model", "embedding_dimensions", "chunking", "document_count", "chunk_count", "size_bytes", "create_time", "update_time", "retrieval", "token_count", "shared_user_ids", "shared_roles")
    ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_MODEL_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_DIMENSIONS_FIELD_NUMBER: _ClassVar[int]
    CHUNKING_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_COUNT_FIELD_NUMBER: _ClassVar[int]
    CHUNK_COUNT_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    RETRIEVAL_FIELD_NUMBER: _ClassVar[int]
    TOKEN_COUNT_FIELD_NUMBER: _ClassVar[int]
    SHARED_USER_IDS_FIELD_NUMBER: _ClassVar[int]
    SHARED_ROLES_FIELD_NUMBER: _ClassVar[int]
    id: str
    tenant_id: str
    owner_id: str
    name: str
    description: str
    embedding_model: str
    embedding_dimensions: int
    chunking: ChunkingConfig
    document_count: int
    chunk_count: int
    size_bytes: int
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    retrieval: RetrievalConfig
    token_count: int
    shared_user_ids: _containers.RepeatedScalarFieldContainer[str]
    shared_roles: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., tenant_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., embedding_model: _Optional[str] = ..., embedding_dimensions: _Optional[int] = ..., chunking: _Optional[_Union[ChunkingConfig, _Mapping]] = ..., document_count: _Optional[int] = ..., chunk_count: _Optional[int] = ..., size_bytes: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., retrieval: _Optional[_Union[RetrievalConfig, _Mapping]] = ..., token_count: _Optional[int] = ..., shared_user_ids: _Optional[_Iterable[str]] = ..., shared_roles: _Optional[_Iterable[str]] = ...) -> None: ...

class RetrievalConfig(_message.Message):
    __slots__ = ("top_k", "score_threshold", "vector_weight", "keyword_weight", "rerank")
    TOP_K_FIELD_NUMBER: _ClassVar[int]
    SCORE_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    VECTOR_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    KEYWORD_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    RERANK_FIELD_NUMBER: _ClassVar[int]
    top_k: int
    score_threshold: float
    vector_weight: float
    keyword_weight: float
    rerank: bool
    def __init__(self, top_k: _Optional[int] = ..., score_threshold: _Optional[float] = ..., vector_weight: _Optional[float] = ..., keyword_weight: _Optional[float] = ..., rerank: _Optional[bool] = ...) -> None: ...

class ChunkingConfig(_message.Message):
    __slots__ = ("chunk_size_tokens", "chunk_overlap_tokens", "separators")
    CHUNK_SIZE_TOKENS_FIELD_NUMBER: _ClassVar[int]
    CHUNK_OVERLAP_TOKENS_FIELD_NUMBER: _ClassVar[int]
    SEPARATORS_FIELD_NUMBER: _ClassVar[int]
    chunk_size_tokens: int
    chunk_overlap_tokens: int
    separators: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, chunk_size_tokens: _Optional[int] = ..., chunk_overlap_tokens: _Optional[int] = ..., separators: _Optional[_Iterable[str]] = ...) -> None: ...

class Document(_message.Message):
    __slots__ = ("id", "knowledge_base_id", "tenant_id", "filename", "title", "mime_type", "size_bytes", "sha256", "status", "chunk_count", "token_count", "metadata", "source_uri", "ingestion_job_id", "create_time", "update_time", "tags", "failure_reason")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    KNOWLEDGE_BASE_ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    MIME_TYPE_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CHUNK_COUNT_FIELD_NUMBER: _ClassVar[int]
    TOKEN_COUNT_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    SOURCE_URI_FIELD_NUMBER: _ClassVar[int]
    INGESTION_JOB_ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    FAILURE_REASON_FIELD_NUMBER: _ClassVar[int]
    id: str
    knowledge_base_id: str
    tenant_id: str
    filename: str
    title: str
    mime_type: str
    size_bytes: int
    sha256: str
    status: DocumentStatus
    chunk_count: int
    token_count: int
    metadata: _containers.ScalarMap[str, str]
    source_uri: str
    ingestion_job_id: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    tags: _containers.RepeatedScalarFieldContainer[str]
    failure_reason: str
    def __init__(self, id: _Optional[str] = ..., knowledge_base_id: _Optional[str] = ..., tenant_id: _Optional[str] = ..., filename: _Optional[str] = ..., title: _Optional[str] = ..., mime_type: _Optional[str] = ..., size_bytes: _Optional[int] = ..., sha256: _Optional[str] = ..., status: _Optional[_Union[DocumentStatus, str]] = ..., chunk_count: _Optional[int] = ..., token_count: _Optional[int] = ..., metadata: _Optional[_Mapping[str, str]] = ..., source_uri: _Optional[str] = ..., ingestion_job_id: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., tags: _Optional[_Iterable[str]] = ..., failure_reason: _Optional[str] = ...) -> None: ...

class Chunk(_message.Message):
    __slots__ = ("id", "document_id", "knowledge_base_id", "index", "content", "token_count", "page", "start_offset", "end_offset", "heading")
    ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    KNOWLEDGE_BASE_ID_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    TOKEN_COUNT_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    START_OFFSET_FIELD_NUMBER: _ClassVar[int]
    END_OFFSET_FIELD_NUMBER: _ClassVar[int]
    HEADING_FIELD_NUMBER: _ClassVar[int]
    id: str
    document_id: str
    knowledge_base_id: str
    index: int
    content: str
    token_count: int
    page: int
    start_offset: int
    end_offset: int
    heading: str
    def __init__(self, id: _Optional[str] = ..., document_id: _Optional[str] = ..., knowledge_base_id: _Optional[str] = ..., index: _Optional[int] = ..., content: _Optional[str] = ..., token_count: _Optional[int] = ..., page: _Optional[int] = ..., start_offset: _Optional[int] = ..., end_offset: _Optional[int] = ..., heading: _Optional[str] = ...) -> None: ...

class IngestionJob(_message.Message):
    __slots__ = ("id", "knowledge_base_id", "document_id", "state", "stage", "chunks_total", "chunks_embedded", "progress_percent", "error", "attempt", "create_time", "start_time", "end_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    KNOWLEDGE_BASE_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    CHUNKS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    CHUNKS_EMBEDDED_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_PERCENT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    knowledge_base_id: str
    document_id: str
    state: IngestionJobState
    stage: IngestionStage
    chunks_total: int
    chunks_embedded: int
    progress_percent: float
    error: _status_pb2.Status
    attempt: int
    create_time: _timestamp_pb2.Timestamp
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., knowledge_base_id: _Optional[str] = ..., document_id: _Optional[str] = ..., state: _Optional[_Union[IngestionJobState, str]] = ..., stage: _Optional[_Union[IngestionStage, str]] = ..., chunks_total: _Optional[int] = ..., chunks_embedded: _Optional[int] = ..., progress_percent: _Optional[float] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ..., attempt: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
