"""MCP server settings as the admin API sees them: drafts, validation, update masks, messages.

Stdio servers run a program on the orchestrator's host, so only executables the
operator listed (``CHATMESH_ORCHESTRATOR_MCP_STDIO_COMMANDS``), with arguments it allows
and no environment that steers loaders (orchestrator.domain.stdio_policy), may be configured. Fields
of the other transport are cleared, and ``env`` / ``headers`` never leave the service.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from chatmesh.orchestrator.v1 import tools_pb2

from mesh.errors import FieldViolation, InvalidArgument
from orchestrator.domain.stdio_policy import StdioPolicy

__all__ = [
    "DEFAULT_TIMEOUT_MS",
    "UPDATABLE",
    "apply_update",
    "draft_from_message",
    "server_message",
    "update_paths",
    "validate_server",
]

DEFAULT_TIMEOUT_MS = 30_000
MAX_TIMEOUT_MS = 600_000
UPDATABLE = (
    "name",
    "transport",
    "command",
    "args",
    "env",
    "url",
    "headers",
    "allowed_tools",
    "enabled",
    "timeout",
)
_TRANSPORTS = {
    tools_pb2.MCP_TRANSPORT_STDIO: "stdio",
    tools_pb2.MCP_TRANSPORT_STREAMABLE_HTTP: "streamable_http",
}
_TRANSPORT_TO_PROTO = {v: k for k, v in _TRANSPORTS.items()}
_STATES = {
    "ready": tools_pb2.MCP_SERVER_STATE_READY,
    "error": tools_pb2.MCP_SERVER_STATE_ERROR,
}
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_ENV_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_HEADER = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$")
_TOOL = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")


def draft_from_message(server: tools_pb2.McpServer) -> dict[str, Any]:
    timeout_ms = server.timeout.ToMilliseconds() if server.HasField("timeout") else DEFAULT_TIMEOUT_MS
    return {
        "name": server.name.strip(),
        "transport": _TRANSPORTS.get(server.transport, ""),
        "command": server.command,
        "args": list(server.args),
        "env": dict(server.env),
        "url": server.url.strip(),
        "headers": dict(server.headers),
        "allowed_tools": list(server.allowed_tools),
        "enabled": server.enabled,
        "timeout_ms": timeout_ms,
    }


def _is_set(server: tools_pb2.McpServer, name: str) -> bool:
    if name == "timeout":
        return server.HasField("timeout")
    value = getattr(server, name)
    return bool(len(value)) if name in ("args", "env", "headers", "allowed_tools") else bool(value)


def update_paths(server: tools_pb2.McpServer, mask: Sequence[str]) -> list[str]:
    if not mask:
        return [name for name in UPDATABLE if _is_set(server, name)]
    bad = [FieldViolation("update_mask", f"{p!r} cannot be updated") for p in mask if p not in UPDATABLE]
    if bad:
        raise InvalidArgument("bad update_mask", bad)
    return list(dict.fromkeys(mask))


def apply_update(draft: dict[str, Any], server: tools_pb2.McpServer, paths: Sequence[str]) -> dict[str, Any]:
    fresh = draft_from_message(server)
    updated = dict(draft)
    for path in paths:
        column = "timeout_ms" if path == "timeout" else path
        updated[column] = fresh[column]
    return updated


def _url_violations(url: str) -> list[FieldViolation]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 2048:
        return [FieldViolation("mcp_server.url", "an http(s) URL of at most 2048 characters")]
    return []


def _map_violations(values: Mapping[str, str], field: str, key: re.Pattern[str]) -> list[FieldViolation]:
    bad = []
    if len(values) > 50:
        bad.append(FieldViolation(f"mcp_server.{field}", "at most 50 entries"))
    for name, value in values.items():
        if not key.match(name) or len(value) > 8192 or "\r" in value or "\n" in value:
            bad.append(
                FieldViolation(f"mcp_server.{field}[{name}]", "bad name, or value too long or multi-line")
            )
    return bad


def validate_server(draft: dict[str, Any], stdio: StdioPolicy) -> list[FieldViolation]:
    """Problems with ``draft``; also clears the fields the chosen transport does not use."""
    bad = []
    if not _NAME.match(draft["name"]) or "__" in draft["name"]:
        bad.append(FieldViolation("mcp_server.name", "1-32 of a-z 0-9 _ -, starting alphanumeric, no '__'"))
    if draft["transport"] == "stdio":
        draft.update(url="", headers={})
        if len(draft["args"]) > 50 or any(len(a) > 1000 or "\x00" in a for a in draft["args"]):
            bad.append(FieldViolation("mcp_server.args", "at most 50 arguments of at most 1000 characters"))
        bad += _map_violations(draft["env"], "env", _ENV_KEY)
        bad += stdio.violations(draft["command"], draft["args"], draft["env"])
    elif draft["transport"] == "streamable_http":
        draft.update(command="", args=[], env={})
        bad += _url_violations(draft["url"])
        bad += _map_violations(draft["headers"], "headers", _HEADER)
    else:
        bad.append(FieldViolation("mcp_server.transport", "STDIO or STREAMABLE_HTTP"))
    tools = draft["allowed_tools"]
    if len(tools) > 200 or any(not _TOOL.match(t) for t in tools):
        bad.append(FieldViolation("mcp_server.allowed_tools", "at most 200 tool names"))
    if not 1000 <= draft["timeout_ms"] <= MAX_TIMEOUT_MS:
        bad.append(FieldViolation("mcp_server.timeout", "between 1 s and 600 s"))
    return bad


def server_message(row: Mapping[str, Any]) -> tools_pb2.McpServer:
    """The server as callers see it: no env, no headers."""
    server = tools_pb2.McpServer(
        id=str(row["id"]),
        tenant_id=row["tenant_id"],
        name=row["name"],
        transport=_TRANSPORT_TO_PROTO[row["transport"]],
        command=row["command"],
        args=row["args"],
        url=row["url"],
        allowed_tools=row["allowed_tools"],
        enabled=row["enabled"],
        state=_STATES.get(row["state"], tools_pb2.MCP_SERVER_STATE_UNSPECIFIED)
        if row["enabled"]
        else tools_pb2.MCP_SERVER_STATE_DISABLED,
        state_message=row["state_message"] if row["enabled"] else "",
        tool_count=row["tool_count"] if row["enabled"] else 0,
    )
    server.timeout.FromMilliseconds(row["timeout_ms"])
    server.create_time.FromDatetime(row["create_time"])
    server.update_time.FromDatetime(row["update_time"])
    return server
