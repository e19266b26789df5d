"""The whole OpenAPI 3.1 document, built from the services' descriptors and google.api.http rules.

Nothing here is written by hand per RPC: a new annotated RPC shows up on the next start.
Operations whose path and method are served by an explicit route instead of the transcoder
(the OpenAI- and Anthropic-compatible routes, which have their vendors' shapes) are left out,
as are bindings OpenAPI cannot express (a bare ``*`` segment), with a log line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Mapping
from importlib import metadata
from typing import Any

from google.api import annotations_pb2
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor

from gateway.openapi.errors import error_components
from gateway.openapi.operations import bindings, operation
from gateway.openapi.schemas import SchemaBuilder, ref
from mesh.clients.registry import service_descriptor
from mesh.config import SERVICES

__all__ = ["OPENAPI_VERSION", "build_document", "is_public", "mesh_services"]

OPENAPI_VERSION = "3.1.0"
STATUS_SCHEMA = "google.rpc.Status"
PUBLIC_OPTION = "chatmesh.api.v1.public"

log = logging.getLogger(__name__)

Document = dict[str, Any]


def mesh_services() -> list[ServiceDescriptor]:
    """Every mesh service whose generated code is importable."""
    found = (service_descriptor(service) for service in SERVICES)
    return [descriptor for descriptor in found if descriptor is not None]


def is_public(method: MethodDescriptor) -> bool:
    options = method.GetOptions()
    for extension, value in options.ListFields():
        if extension.full_name == PUBLIC_OPTION:
            return bool(value)
    return False


def _version() -> str:
    try:
        return metadata.version("chatmesh")
    except metadata.PackageNotFoundError:
        return "0"


def _status_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "google.rpc.Status: the gRPC code, a message, and google.rpc details with '@type'.",
        "properties": {
            "code": {"type": "integer", "format": "int32"},
            "message": {"type": "string"},
            "details": {"type": "array", "items": ref("google.protobuf.Any")},
        },
        "required": ["code", "message"],
    }


def _components(builder: SchemaBuilder) -> dict[str, Any]:
    schemas = dict(sorted(builder.components.items()))
    schemas["google.protobuf.Any"] = {
        "type": "object",
        "properties": {"@type": {"type": "string"}},
        "required": ["@type"],
        "additionalProperties": True,
    }
    schemas[STATUS_SCHEMA] = _status_schema()
    return {
        "schemas": schemas,
        "responses": error_components(ref(STATUS_SCHEMA)),
        "securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT or sk- API key"},
            "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "x-api-key"},
            "apiKeyQuery": {"type": "apiKey", "in": "query", "name": "key"},
        },
    }


def build_document(
    services: Iterable[ServiceDescriptor] | None = None,
    *,
    shadowed: Collection[tuple[str, str]] = (),
    comments: Mapping[str, str] | None = None,
    title: str = "chatmesh API",
) -> Document:
    """The OpenAPI document; ``shadowed`` holds (HTTP method, path) pairs served by other routes."""
    notes = dict(comments or {})
    describe: Callable[[str], str | None] = notes.get
    builder = SchemaBuilder(describe)
    skip = {(method.upper(), path) for method, path in shadowed}
    paths: dict[str, dict[str, Any]] = {}
    tags = []
    for service in services if services is not None else mesh_services():
        tag: dict[str, Any] = {"name": service.name}
        if notes.get(service.full_name):
            tag["description"] = notes[service.full_name]
        tags.append(tag)
        for method in service.methods:
            _add_method(paths, method, builder, skip, describe)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": title, "version": _version()},
        "tags": tags,
        "paths": dict(sorted(paths.items())),
        "components": _components(builder),
        "security": [{"bearerAuth": []}, {"apiKeyHeader": []}, {"apiKeyQuery": []}],
    }


def _add_method(
    paths: dict[str, dict[str, Any]],
    method: MethodDescriptor,
    builder: SchemaBuilder,
    skip: set[tuple[str, str]],
    describe: Callable[[str], str | None],
) -> None:
    options = method.GetOptions()
    if not options.HasExtension(annotations_pb2.http):
        return
    base_id = f"{method.containing_service.name}_{method.name}"
    for index, binding in enumerate(bindings(options.Extensions[annotations_pb2.http])):
        operation_id = base_id if index == 0 else f"{base_id}_{index + 1}"
        try:
            path, op = operation(
                method,
                binding,
                builder,
                operation_id=operation_id,
                public=is_public(method),
                describe=describe,
            )
        except ValueError as exc:
            log.warning("left %s out of the OpenAPI document: %s", operation_id, exc)
            continue
        if (binding.http_method.upper(), path) in skip:
            continue
        slot = paths.setdefault(path, {})
        if binding.http_method in slot:
            log.warning(
                "left %s out of the OpenAPI document: %s %s is taken", operation_id, binding.http_method, path
            )
            continue
        slot[binding.http_method] = op
