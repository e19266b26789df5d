"""One OpenAPI operation per google.api.http binding, mapped the way the transcoder maps requests.

Path variables become path parameters; ``body: "*"`` takes every other field from the JSON
body, ``body: "field"`` takes that field from it and the rest from the query string, and no body
means everything not in the path comes from the query string, nested message fields flattened
as ``a.b`` (lowerCamelCase names, as the proto3 JSON mapping writes them). Server-streaming RPCs
answer ``text/event-stream`` (or NDJSON with ``?stream=ndjson``); client-streaming uploads take
the file as the raw body or as multipart form data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from google.api import http_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor

from gateway.openapi.errors import error_responses
from gateway.openapi.schemas import SCALAR_MESSAGES, SchemaBuilder, is_map
from gateway.openapi.templates import PathTemplate, PathVariable, parse_template

__all__ = ["Binding", "bindings", "operation"]

Schema = dict[str, Any]
MAX_QUERY_DEPTH = 3
RESUME_FIELDS = ("after_event_id", "last_event_id")
STATUS_REF = {"$ref": "#/components/schemas/google.rpc.Status"}
# "message" is what a `data:` event without an `event:` line is called.
SSE_EVENTS = ("message", "error", "done")
_PATTERNS = ("get", "put", "post", "delete", "patch")
_OPENAPI_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})


@dataclass(frozen=True, slots=True)
class Binding:
    http_method: str
    template: str
    body: str
    response_body: str


def _binding(rule: http_pb2.HttpRule) -> Binding | None:
    kind = rule.WhichOneof("pattern")
    if kind in _PATTERNS:
        return Binding(kind, getattr(rule, kind), rule.body, rule.response_body)
    if kind == "custom" and rule.custom.kind.lower() in _OPENAPI_METHODS:
        return Binding(rule.custom.kind.lower(), rule.custom.path, rule.body, rule.response_body)
    return None


def bindings(rule: http_pb2.HttpRule) -> list[Binding]:
    """The rule's own binding and its ``additional_bindings``, skipping kinds OpenAPI lacks."""
    found = [_binding(rule), *(_binding(extra) for extra in rule.additional_bindings)]
    return [binding for binding in found if binding is not None]


def _field_at(message: Descriptor, path: str) -> FieldDescriptor:
    field: FieldDescriptor | None = None
    current: Descriptor | None = message
    for name in path.split("."):
        if current is None or name not in current.fields_by_name:
            raise ValueError(f"{message.full_name} has no field {path!r}")
        field = current.fields_by_name[name]
        current = field.message_type
    assert field is not None
    return field


def _path_parameter(message: Descriptor, variable: PathVariable, builder: SchemaBuilder) -> Schema:
    field = _field_at(message, variable.field_path)
    if variable.pattern != "^[^/]+$":
        schema: Schema = {"type": "string", "pattern": variable.pattern}
    else:
        schema = builder.single(field)
        if schema.get("type") == "string" and "pattern" not in schema and "format" not in schema:
            schema = {**schema, "pattern": "^[^/]+$"}
    parameter: Schema = {"name": variable.field_path, "in": "path", "required": True, "schema": schema}
    if variable.multi_segment:
        parameter["description"] = "May contain '/'."
    return parameter


def _query_parameters(
    message: Descriptor,
    builder: SchemaBuilder,
    bound: set[str],
    prefix: tuple[str, str] = ("", ""),
    seen: frozenset[str] = frozenset(),
) -> list[Schema]:
    """Query parameters for every field not bound elsewhere; ``prefix`` is (proto path, JSON path)."""
    found: list[Schema] = []
    for field in message.fields:
        proto_path, json_path = prefix[0] + field.name, prefix[1] + field.json_name
        if proto_path in bound or is_map(field):
            continue
        repeated = field.is_repeated
        nested = field.message_type
        if nested is not None and nested.full_name not in SCALAR_MESSAGES:
            if repeated or nested.full_name.startswith("google.protobuf.") or nested.full_name in seen:
                continue
            if len(seen) + 1 < MAX_QUERY_DEPTH:
                found += _query_parameters(
                    nested, builder, bound, (proto_path + ".", json_path + "."), seen | {message.full_name}
                )
            continue
        schema = builder.single(field)
        parameter: Schema = {"name": json_path, "in": "query", "required": False}
        if repeated:
            parameter.update(schema={"type": "array", "items": schema}, style="form", explode=True)
        else:
            parameter["schema"] = schema
        found.append(parameter)
    return found


def _request_body(
    method: MethodDescriptor, binding: Binding, builder: SchemaBuilder, path_fields: set[str]
) -> Schema | None:
    request = method.input_type
    if method.client_streaming:
        binary = {"type": "string", "format": "binary"}
        return {
            "required": True,
            "description": "The file: the raw body, or the 'file' part of a multipart form.",
            "content": {
                "application/octet-stream": {"schema": binary},
                "multipart/form-data": {
                    "schema": {"type": "object", "properties": {"file": binary}, "required": ["file"]}
                },
            },
        }
    if not binding.body:
        return None
    if binding.body == "*":
        schema = builder.object_schema(request, exclude=dict.fromkeys(path_fields))
        return {"required": False, "content": {"application/json": {"schema": schema}}}
    field = _field_at(request, binding.body)
    return {"required": False, "content": {"application/json": {"schema": builder.field(field)}}}


def _responses(method: MethodDescriptor, binding: Binding, builder: SchemaBuilder) -> Schema:
    output = method.output_type
    if binding.response_body:
        schema = builder.field(_field_at(output, binding.response_body))
        item = f"{output.full_name}.{binding.response_body}"
    else:
        schema = builder.message(output)
        item = output.full_name
    if method.server_streaming:
        ok: Schema = {
            "description": (
                f"A stream of {item} as JSON: one `data:` event each, `event: error` with a Status "
                "on failure, a final `event: done`. With `?stream=ndjson`, one JSON object per line."
            ),
            "content": {
                "text/event-stream": {"schema": _sse_event(schema)},
                "application/x-ndjson": {"schema": {"type": "string"}},
            },
            "x-stream-item": item,
        }
    else:
        ok = {"description": "OK", "content": {"application/json": {"schema": schema}}}
    return {"200": ok, **error_responses()}


def _sse_event(item: Schema) -> Schema:
    """One server-sent event (OpenAPI 3.1 has ``schema`` describe each event of a stream)."""
    return {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "event": {"type": "string", "enum": list(SSE_EVENTS)},
            "data": {
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": {"anyOf": [item, STATUS_REF]},
            },
            "retry": {"type": "integer"},
        },
    }


def _streaming_parameters(method: MethodDescriptor) -> list[Schema]:
    if not method.server_streaming:
        return []
    fields = method.input_type.fields_by_name
    found: list[Schema] = []
    if not any(field.json_name == "stream" for field in method.input_type.fields):
        found.append(
            {
                "name": "stream",
                "in": "query",
                "required": False,
                "description": "'ndjson' for newline-delimited JSON instead of server-sent events.",
                "schema": {"type": "string", "enum": ["ndjson"]},
            }
        )
    if any(name in fields for name in RESUME_FIELDS):
        found.append(
            {
                "name": "Last-Event-ID",
                "in": "header",
                "required": False,
                "description": "Resume after this event id.",
                "schema": {"type": "string"},
            }
        )
    return found


def operation(
    method: MethodDescriptor,
    binding: Binding,
    builder: SchemaBuilder,
    *,
    operation_id: str,
    public: bool,
    describe: Callable[[str], str | None],
) -> tuple[str, Schema]:
    """(OpenAPI path, operation object); raises ValueError when the binding cannot be expressed."""
    template: PathTemplate = parse_template(binding.template)
    request = method.input_type
    parameters = [_path_parameter(request, variable, builder) for variable in template.variables]
    path_fields = {variable.field_path for variable in template.variables}
    if binding.body != "*" and not method.client_streaming:
        bound = path_fields | ({binding.body} if binding.body else set())
        parameters += _query_parameters(request, builder, bound)
    elif method.client_streaming:
        parameters += _query_parameters(request, builder, path_fields | _bytes_fields(request))
    parameters += _streaming_parameters(method)
    service = method.containing_service
    op: Schema = {
        "operationId": operation_id,
        "tags": [service.name],
        "summary": f"{service.name}.{method.name}",
        "parameters": parameters,
        "responses": _responses(method, binding, builder),
    }
    description = describe(method.full_name)
    if description:
        op["description"] = description
    body = _request_body(method, binding, builder, path_fields)
    if body is not None:
        op["requestBody"] = body
    if public:
        op["security"] = []
    return template.path, op


def _bytes_fields(message: Descriptor) -> set[str]:
    return {field.name for field in message.fields if field.type == FieldDescriptor.TYPE_BYTES}
