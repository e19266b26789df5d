from chatmesh.knowledge.v1 import resources_pb2 as _resources_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class UploadDocumentRequest(_message.Message):
    __slots__ = ("knowledge_base_id", "metadata", "chunk")
    KNOWLEDGE_BASE_ID_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    knowledge_base_id: str
    metadata: DocumentUploadMetadata
    chunk: bytes
    def __init__(self, knowledge_base_id: _Optional[str] = ..., metadata: _Optional[_Union[DocumentUploadMetadata, _Mapping]] = ..., chunk: _Optional[bytes] = ...) -> None: ...

class DocumentUploadMetadata(_message.Message):
    __slots__ = ("filename", "mime_type", "title", "metadata", "size_bytes", "sha256", "source_uri", "tags")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    MIME_TYPE_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    SOURCE_URI_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    filename: str
    mime_type: str
    title: str
    metadata: _containers.ScalarMap[str, str]
    size_bytes: int
    sha256: str
    source_uri: str
    tags: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, filename: _Optional[str] = ..., mime_type: _Optional[str] = ..., title: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ..., size_bytes: _Optional[int] = ..., sha256: _Optional[str] = ..., source_uri: _Optional[str] = ..., tags: _Optional[_Iterable[str]] = ...) -> None: ...

class UploadDocumentResponse(_message.Message):
    __slots__ = ("document", "ingestion_job")
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    INGESTION_JOB_FIELD_NUMBER: _ClassVar[int]
    document: _resources_pb2.Document
    ingestion_job: _resources_pb2.IngestionJob
    def __init__(self, document: _Optional[_Union[_resources_pb2.Document, _Mapping]] = ..., ingestion_job: _Optional[_Union[_resources_pb2.IngestionJob, _Mapping]] = ...) -> None: ...

class ImportDocumentRequest(_message.Message):
    __slots__ = ("knowledge_base_id", "url", "title", "metadata", "tags")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    KNOWLEDGE_BASE_ID_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    knowledge_base_id: str
    url: str
    title: str
    metadata: _containers.ScalarMap[str, str]
    tags: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, knowledge_base_id: _Optional[str] = ..., url: _Optional[str] = ..., title: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ..., tags: _Optional[_Iterable[str]] = ...) -> None: ...

class ImportDocumentResponse(_message.Message):
    __slots__ = ("document", "ingestion_job")
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    INGESTION_JOB_FIELD_NUMBER: _ClassVar[int]
    document: _resources_pb2.Document
    ingestion_job: _resources_pb2.IngestionJob
    def __init__(self, document: _Optional[_Union[_resources_pb2.Document, _Mapping]] = ..., ingestion_job: _Optional[_Union[_resources_pb2.IngestionJob, _Mapping]] = ...) -> None: ...

class GetDocumentRequest(_message.Message):
    __slots__ = ("knowledge_base_id", "document_id")
    KNOWLEDGE_BASE_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    knowledge_base_id: str
    document_id: str
    def __init__(self, knowledge_base_id: _Optional[str] = ..., document_id: _Optional[str] = ...) -> None: ...

class GetDocumentResponse(_message.Message):
    __slots__ = ("document",)
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    document: _resources_pb2.Document
    def __init__(self, document: _Optional[_Union[_resources_pb2.Document, _Mapping]] = ...) -> None: ...

class ListDocumentsRequest(_message.Message):
    __slots__ = ("knowledge_base_id", "page_size", "page_token", "status")
    KNOWLEDGE_BASE_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    knowledge_base_id: str
    page_size: int
    page_token: str
    status: _resources_pb2.DocumentStatus
    def __init__(self, knowledge_base_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., status: _Optional[_Union[_resources_pb2.DocumentStatus, str]] = ...) -> None: ...

class ListDocumentsResponse(_message.Message):
    __slots__ = ("documents", "next_page_token")
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    documents: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Document]
    next_page_token: str
    def __init__(self, documents: _Optional[_Iterable[_Union[_resources_pb2.Document, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateDocumentRequest(_message.Message):
    __slots__ = ("knowledge_base_id", "document_id", "document", "update_mask")
    KNOWLEDGE_BASE_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    knowledge_base_id: str
    document_id: str
    document: _resources_pb2.Document
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, knowledge_base_id: _Optional[str] = ..., document_id: _Optional[str] = ..., document: _Optional[_Union[_resources_pb2.Document, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateDocumentResponse(_message.Message):
    __slots__ = ("document",)
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    document: _resources_pb2.Document
    def __init__(self, document: _Optional[_Union[_resources_pb2.Document, _Mapping]] = ...) -> None: ...

class DeleteDocumentRequest(_message.Message):
    __slots__ = ("knowledge_base_id", "document_id")
    KNOWLEDGE_BASE_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    knowledge_base_id: str
    document_id: str
    def __init__(self, knowledge_base_id: _Optional[str] = ..., document_id: _Optional[str] = ...) -> None: ...

class DeleteDocumentResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ReindexDocumentRequest(_message.Message):
    __slots__ = ("knowledge_base_id", "document_id")
    KNOWLEDGE_BASE_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    knowledge_base_id: str
    document_id: str
    def __init__(self, knowledge_base_id: _Optional[str] = ..., document_id: _Optional[str] = ...) -> None: ...

class ReindexDocumentResponse(_message.Message):
    __slots__ = ("ingestion_job",)
    INGESTION_JOB_FIELD_NUMBER: _ClassVar[int]
    ingestion_job: _resources_pb2.IngestionJob
    def __init__(self, ingestion_job: _Optional[_Union[_resources_pb2.IngestionJob, _Mapping]] = ...) -> None: ...

class ListChunksRequest(_message.Message):
    __slots__ = ("knowledge_base_id", "document_id", "page_size", "page_token")
    KNOWLEDGE_BASE_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    knowledge_base_id: str
    document_id: str
    page_size: int
    page_token: str
    def __init__(self, knowledge_base_id: _Optional[str] = ..., document_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListChunksResponse(_message.Message):
    __slots__ = ("chunks", "next_page_token")
    CHUNKS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    chunks: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Chunk]
    next_page_token: str
    def __init__(self, chunks: _Optional[_Iterable[_Union[_resources_pb2.Chunk, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetIngestionJobRequest(_message.Message):
    __slots__ = ("ingestion_job_id",)
    INGESTION_JOB_ID_FIELD_NUMBER: _ClassVar[int]
    ingestion_job_id: str
    def __init__(self, ingestion_job_id: _Optional[str] = ...) -> None: ...

class GetIngestionJobResponse(_message.Message):
    __slots__ = ("ingestion_job",)
    INGESTION_JOB_FIELD_NUMBER: _ClassVar[int]
    ingestion_job: _resources_pb2.IngestionJob
    def __init__(self, ingestion_job: _Optional[_Union[_resources_pb2.IngestionJob, _Mapping]] = ...) -> None: ...

class ListIngestionJobsRequest(_message.Message):
    __slots__ = ("knowledge_base_id", "page_size", "page_token", "state")
    KNOWLEDGE_BASE_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    knowledge_base_id: str
    page_size: int
    page_token: str
    state: _resources_pb2.IngestionJobState
    def __init__(self, knowledge_base_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., state: _Optional[_Union[_resources_pb2.IngestionJobState, str]] = ...) -> None: ...

class ListIngestionJobsResponse(_message.Message):
    __slots__ = ("ingestion_jobs", "next_page_token")
    INGESTION_JOBS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ingestion_jobs: _containers.RepeatedCompositeFieldContainer[_resources_pb2.IngestionJob]
    next_page_token: str
    def __init__(self, ingestion_jobs: _Optional[_Iterable[_Union[_resources_pb2.IngestionJob, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class WatchIngestionJobRequest(_message.Message):
    __slots__ = ("ingestion_job_id",)
    INGESTION_JOB_ID_FIELD_NUMBER: _ClassVar[int]
    ingestion_job_id: str
    def __init__(self, ingestion_job_id: _Optional[str] = ...) -> None: ...

class WatchIngestionJobResponse(_message.Message):
    __slots__ = ("ingestion_job",)
    INGESTION_JOB_FIELD_NUMBER: _ClassVar[int]
    ingestion_job: _resources_pb2.IngestionJob
    def __init__(self, ingestion_job: _Optional[_Union[_resources_pb2.IngestionJob, _Mapping]] = ...) -> None: ...

class CancelIngestionJobRequest(_message.Message):
    __slots__ = ("ingestion_job_id",)
    INGESTION_JOB_ID_FIELD_NUMBER: _ClassVar[int]
    ingestion_job_id: str
    def __init__(self, ingestion_job_id: _Optional[str] = ...) -> None: ...

class CancelIngestionJobResponse(_message.Message):
    __slots__ = ("ingestion_job",)
    INGESTION_JOB_FIELD_NUMBER: _ClassVar[int]
    ingestion_job: _resources_pb2.IngestionJob
    def __init__(self, ingestion_job: _Optional[_Union[_resources_pb2.IngestionJob, _Mapping]] = ...) -> None: ...
