import datetime

from chatmesh.analytics.v1 import usage_pb2 as _usage_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ReportType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REPORT_TYPE_UNSPECIFIED: _ClassVar[ReportType]
    REPORT_TYPE_USAGE_SUMMARY: _ClassVar[ReportType]
    REPORT_TYPE_REQUEST_LOG: _ClassVar[ReportType]
    REPORT_TYPE_BILLING: _ClassVar[ReportType]

class ReportFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REPORT_FORMAT_UNSPECIFIED: _ClassVar[ReportFormat]
    REPORT_FORMAT_CSV: _ClassVar[ReportFormat]
    REPORT_FORMAT_JSONL: _ClassVar[ReportFormat]

class ReportState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REPORT_STATE_UNSPECIFIED: _ClassVar[ReportState]
    REPORT_STATE_PENDING: _ClassVar[ReportState]
    REPORT_STATE_RUNNING: _ClassVar[ReportState]
    REPORT_STATE_SUCCEEDED: _ClassVar[ReportState]
    REPORT_STATE_FAILED: _ClassVar[ReportState]
REPORT_TYPE_UNSPECIFIED: ReportType
REPORT_TYPE_USAGE_SUMMARY: ReportType
REPORT_TYPE_REQUEST_LOG: ReportType
REPORT_TYPE_BILLING: ReportType
REPORT_FORMAT_UNSPECIFIED: ReportFormat
REPORT_FORMAT_CSV: ReportFormat
REPORT_FORMAT_JSONL: ReportFormat
REPORT_STATE_UNSPECIFIED: ReportState
REPORT_STATE_PENDING: ReportState
REPORT_STATE_RUNNING: ReportState
REPORT_STATE_SUCCEEDED: ReportState
REPORT_STATE_FAILED: ReportState

class ReportSpec(_message.Message):
    __slots__ = ("type", "filter", "start_time", "end_time", "granularity", "group_by", "format", "time_zone")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    GRANULARITY_FIELD_NUMBER: _ClassVar[int]
    GROUP_BY_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    type: ReportType
    filter: _usage_pb2.UsageFilter
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    granularity: _usage_pb2.Granularity
    group_by: _containers.RepeatedScalarFieldContainer[_usage_pb2.UsageDimension]
    format: ReportFormat
    time_zone: str
    def __init__(self, type: _Optional[_Union[ReportType, str]] = ..., filter: _Optional[_Union[_usage_pb2.UsageFilter, _Mapping]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., granularity: _Optional[_Union[_usage_pb2.Granularity, str]] = ..., group_by: _Optional[_Iterable[_Union[_usage_pb2.UsageDimension, str]]] = ..., format: _Optional[_Union[ReportFormat, str]] = ..., time_zone: _Optional[str] = ...) -> None: ...

class Report(_message.Message):
    __slots__ = ("id", "spec", "state", "row_count", "size_bytes", "error_message", "requested_by_user_id", "tenant_id", "create_time", "complete_time", "expire_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ROW_COUNT_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_BY_USER_ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_TIME_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    spec: ReportSpec
    state: ReportState
    row_count: int
    size_bytes: int
    error_message: str
    requested_by_user_id: str
    tenant_id: str
    create_time: _timestamp_pb2.Timestamp
    complete_time: _timestamp_pb2.Timestamp
    expire_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., spec: _Optional[_Union[ReportSpec, _Mapping]] = ..., state: _Optional[_Union[ReportState, str]] = ..., row_count: _Optional[int] = ..., size_bytes: _Optional[int] = ..., error_message: _Optional[str] = ..., requested_by_user_id: _Optional[str] = ..., tenant_id: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., complete_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ExportReportRequest(_message.Message):
    __slots__ = ("spec",)
    SPEC_FIELD_NUMBER: _ClassVar[int]
    spec: ReportSpec
    def __init__(self, spec: _Optional[_Union[ReportSpec, _Mapping]] = ...) -> None: ...

class ExportReportResponse(_message.Message):
    __slots__ = ("data", "content_type", "file_name", "row_count")
    DATA_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    ROW_COUNT_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    content_type: str
    file_name: str
    row_count: int
    def __init__(self, data: _Optional[bytes] = ..., content_type: _Optional[str] = ..., file_name: _Optional[str] = ..., row_count: _Optional[int] = ...) -> None: ...

class CreateReportRequest(_message.Message):
    __slots__ = ("report",)
    REPORT_FIELD_NUMBER: _ClassVar[int]
    report: Report
    def __init__(self, report: _Optional[_Union[Report, _Mapping]] = ...) -> None: ...

class CreateReportResponse(_message.Message):
    __slots__ = ("report",)
    REPORT_FIELD_NUMBER: _ClassVar[int]
    report: Report
    def __init__(self, report: _Optional[_Union[Report, _Mapping]] = ...) -> None: ...

class GetReportRequest(_message.Message):
    __slots__ = ("report_id",)
    REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    report_id: str
    def __init__(self, report_id: _Optional[str] = ...) -> None: ...

class GetReportResponse(_message.Message):
    __slots__ = ("report",)
    REPORT_FIELD_NUMBER: _ClassVar[int]
    report: Report
    def __init__(self, report: _Optional[_Union[Report, _Mapping]] = ...) -> None: ...

class ListReportsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "state")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    state: ReportState
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., state: _Optional[_Union[ReportState, str]] = ...) -> None: ...

class ListReportsResponse(_message.Message):
    __slots__ = ("reports", "next_page_token")
    REPORTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    reports: _containers.RepeatedCompositeFieldContainer[Report]
    next_page_token: str
    def __init__(self, reports: _Optional[_Iterable[_Union[Report, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeleteReportRequest(_message.Message):
    __slots__ = ("report_id",)
    REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    report_id: str
    def __init__(self, report_id: _Optional[str] = ...) -> None: ...

class DeleteReportResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DownloadReportRequest(_message.Message):
    __slots__ = ("report_id",)
    REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    report_id: str
    def __init__(self, report_id: _Optional[str] = ...) -> None: ...

class DownloadReportResponse(_message.Message):
    __slots__ = ("data", "content_type", "file_name")
    DATA_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    content_type: str
    file_name: str
    def __init__(self, data: _Optional[bytes] = ..., content_type: _Optional[str] = ..., file_name: _Optional[str] = ...) -> None: ...
