import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ToolSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TOOL_SOURCE_UNSPECIFIED: _ClassVar[ToolSource]
    TOOL_SOURCE_BUILTIN: _ClassVar[ToolSource]
    TOOL_SOURCE_MCP: _ClassVar[ToolSource]

class McpTransport(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MCP_TRANSPORT_UNSPECIFIED: _ClassVar[McpTransport]
    MCP_TRANSPORT_STDIO: _ClassVar[McpTransport]
    MCP_TRANSPORT_STREAMABLE_HTTP: _ClassVar[McpTransport]

class McpServerState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MCP_SERVER_STATE_UNSPECIFIED: _ClassVar[McpServerState]
    MCP_SERVER_STATE_READY: _ClassVar[McpServerState]
    MCP_SERVER_STATE_ERROR: _ClassVar[McpServerState]
    MCP_SERVER_STATE_DISABLED: _ClassVar[McpServerState]
TOOL_SOURCE_UNSPECIFIED: ToolSource
TOOL_SOURCE_BUILTIN: ToolSource
TOOL_SOURCE_MCP: ToolSource
MCP_TRANSPORT_UNSPECIFIED: McpTransport
MCP_TRANSPORT_STDIO: McpTransport
MCP_TRANSPORT_STREAMABLE_HTTP: McpTransport
MCP_SERVER_STATE_UNSPECIFIED: McpServerState
MCP_SERVER_STATE_READY: McpServerState
MCP_SERVER_STATE_ERROR: McpServerState
MCP_SERVER_STATE_DISABLED: McpServerState

class Tool(_message.Message):
    __slots__ = ("name", "display_name", "description", "parameters", "source", "mcp_server_id", "timeout")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    MCP_SERVER_ID_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    name: str
    display_name: str
    description: str
    parameters: _struct_pb2.Struct
    source: ToolSource
    mcp_server_id: str
    timeout: _duration_pb2.Duration
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., description: _Optional[str] = ..., parameters: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., source: _Optional[_Union[ToolSource, str]] = ..., mcp_server_id: _Optional[str] = ..., timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class McpServer(_message.Message):
    __slots__ = ("id", "tenant_id", "name", "transport", "command", "args", "env", "url", "headers", "allowed_tools", "enabled", "timeout", "state", "state_message", "tool_count", "create_time", "update_time")
    class EnvEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TRANSPORT_FIELD_NUMBER: _ClassVar[int]
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    ARGS_FIELD_NUMBER: _ClassVar[int]
    ENV_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_TOOLS_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    STATE_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TOOL_COUNT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    tenant_id: str
    name: str
    transport: McpTransport
    command: str
    args: _containers.RepeatedScalarFieldContainer[str]
    env: _containers.ScalarMap[str, str]
    url: str
    headers: _containers.ScalarMap[str, str]
    allowed_tools: _containers.RepeatedScalarFieldContainer[str]
    enabled: bool
    timeout: _duration_pb2.Duration
    state: McpServerState
    state_message: str
    tool_count: int
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., tenant_id: _Optional[str] = ..., name: _Optional[str] = ..., transport: _Optional[_Union[McpTransport, str]] = ..., command: _Optional[str] = ..., args: _Optional[_Iterable[str]] = ..., env: _Optional[_Mapping[str, str]] = ..., url: _Optional[str] = ..., headers: _Optional[_Mapping[str, str]] = ..., allowed_tools: _Optional[_Iterable[str]] = ..., enabled: _Optional[bool] = ..., timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., state: _Optional[_Union[McpServerState, str]] = ..., state_message: _Optional[str] = ..., tool_count: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListToolsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "source")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    source: ToolSource
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., source: _Optional[_Union[ToolSource, str]] = ...) -> None: ...

class ListToolsResponse(_message.Message):
    __slots__ = ("tools", "next_page_token")
    TOOLS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    tools: _containers.RepeatedCompositeFieldContainer[Tool]
    next_page_token: str
    def __init__(self, tools: _Optional[_Iterable[_Union[Tool, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetToolRequest(_message.Message):
    __slots__ = ("tool_id",)
    TOOL_ID_FIELD_NUMBER: _ClassVar[int]
    tool_id: str
    def __init__(self, tool_id: _Optional[str] = ...) -> None: ...

class GetToolResponse(_message.Message):
    __slots__ = ("tool",)
    TOOL_FIELD_NUMBER: _ClassVar[int]
    tool: Tool
    def __init__(self, tool: _Optional[_Union[Tool, _Mapping]] = ...) -> None: ...

class CreateMcpServerRequest(_message.Message):
    __slots__ = ("mcp_server",)
    MCP_SERVER_FIELD_NUMBER: _ClassVar[int]
    mcp_server: McpServer
    def __init__(self, mcp_server: _Optional[_Union[McpServer, _Mapping]] = ...) -> None: ...

class CreateMcpServerResponse(_message.Message):
    __slots__ = ("mcp_server",)
    MCP_SERVER_FIELD_NUMBER: _ClassVar[int]
    mcp_server: McpServer
    def __init__(self, mcp_server: _Optional[_Union[McpServer, _Mapping]] = ...) -> None: ...

class GetMcpServerRequest(_message.Message):
    __slots__ = ("mcp_server_id",)
    MCP_SERVER_ID_FIELD_NUMBER: _ClassVar[int]
    mcp_server_id: str
    def __init__(self, mcp_server_id: _Optional[str] = ...) -> None: ...

class GetMcpServerResponse(_message.Message):
    __slots__ = ("mcp_server",)
    MCP_SERVER_FIELD_NUMBER: _ClassVar[int]
    mcp_server: McpServer
    def __init__(self, mcp_server: _Optional[_Union[McpServer, _Mapping]] = ...) -> None: ...

class ListMcpServersRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListMcpServersResponse(_message.Message):
    __slots__ = ("mcp_servers", "next_page_token")
    MCP_SERVERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    mcp_servers: _containers.RepeatedCompositeFieldContainer[McpServer]
    next_page_token: str
    def __init__(self, mcp_servers: _Optional[_Iterable[_Union[McpServer, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateMcpServerRequest(_message.Message):
    __slots__ = ("mcp_server_id", "mcp_server", "update_mask")
    MCP_SERVER_ID_FIELD_NUMBER: _ClassVar[int]
    MCP_SERVER_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    mcp_server_id: str
    mcp_server: McpServer
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, mcp_server_id: _Optional[str] = ..., mcp_server: _Optional[_Union[McpServer, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateMcpServerResponse(_message.Message):
    __slots__ = ("mcp_server",)
    MCP_SERVER_FIELD_NUMBER: _ClassVar[int]
    mcp_server: McpServer
    def __init__(self, mcp_server: _Optional[_Union[McpServer, _Mapping]] = ...) -> None: ...

class DeleteMcpServerRequest(_message.Message):
    __slots__ = ("mcp_server_id",)
    MCP_SERVER_ID_FIELD_NUMBER: _ClassVar[int]
    mcp_server_id: str
    def __init__(self, mcp_server_id: _Optional[str] = ...) -> None: ...

class DeleteMcpServerResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
