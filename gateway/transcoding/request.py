"""Builds the request message of one call from the HTTP request: body, path, then query.

The order is grpc-gateway's: the body is parsed first, path variables then overwrite what
they name, and the query string fills the fields neither bound. Every mistake becomes a
400 with a ``google.rpc.BadRequest`` naming the field, never a service seeing half a request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from gateway.errors import bad_request
from gateway.transcoding.bindings import HttpBinding
from gateway.transcoding.fields import (
    FieldError,
    decode_base64,
    describe_expected,
    descriptor_of,
    find_field,
    is_map,
    message_type,
    parse_key,
    set_from_text,
)
from mesh.errors import FieldViolation

__all__ = [
    "RESERVED_QUERY",
    "apply_body",
    "apply_path",
    "apply_query",
    "build_request",
    "decode_json",
    "parse_query",
]

# Query parameters the edge itself reads (`?stream=ndjson`, API keys on `?key=`/`?token=`).
RESERVED_QUERY = frozenset({"stream", "key", "token"})
MAX_QUERY_FIELDS = 1000
JSON_MAX_DEPTH = 100
_FAILED = re.compile(r"Failed to parse (\S+) field: ")
_UNKNOWN = re.compile(r'has no field named "([^"]+)"')


def parse_query(query_string: bytes | str) -> dict[str, list[str]]:
    """Query parameters in order of first appearance, repeated names collected."""
    text = query_string.decode("latin-1") if isinstance(query_string, bytes) else query_string
    params: dict[str, list[str]] = {}
    try:
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_QUERY_FIELDS, errors="strict")
    except UnicodeDecodeError:
        raise bad_request("the query string is not valid percent-encoded UTF-8") from None
    except ValueError:
        raise bad_request(f"too many query parameters (at most {MAX_QUERY_FIELDS})") from None
    for key, value in pairs:
        params.setdefault(key, []).append(value)
    return params


def decode_json(body: bytes) -> Any:
    """The JSON value of ``body``; a 400 naming the problem when it is not JSON."""
    try:
        return json.loads(body)
    except UnicodeDecodeError:
        raise bad_request("the request body is not UTF-8 text", reason="MALFORMED_JSON") from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise bad_request(
            f"the request body is not valid JSON: {exc.msg} at {where}", reason="MALFORMED_JSON"
        ) from None
    except (RecursionError, ValueError) as exc:
        raise bad_request(
            f"the request body cannot be read as JSON: {exc}", reason="MALFORMED_JSON"
        ) from None


def _resolve(descriptor: Descriptor, names: Sequence[str]) -> list[FieldDescriptor]:
    """Descriptors along a JSON-name or proto-name path, as far as it resolves."""
    found: list[FieldDescriptor] = []
    current: Descriptor | None = descriptor
    for name in names:
        if current is None:
            break
        field = find_field(current, name.split("[", 1)[0])
        if field is None:
            break
        found.append(field)
        current = field.message_type
    return found


def _violation(request: Descriptor, prefix: Sequence[str], text: str) -> FieldViolation:
    """Turn json_format's chained ParseError text into a field path and a plain description."""
    names = list(prefix)
    rest = text
    while (step := _FAILED.match(rest)) is not None:
        names.append(step.group(1))
        rest = rest[step.end() :]
    unknown = _UNKNOWN.search(rest)
    if unknown is not None:
        names.append(unknown.group(1))
        return FieldViolation(".".join(names), "unknown field")
    if "too deep" in rest.lower():
        return FieldViolation(".".join(names), f"nested deeper than {JSON_MAX_DEPTH} levels")
    fields = _resolve(request, names)
    if names and len(fields) == len(names):
        return FieldViolation(".".join(names), describe_expected(fields[-1]))
    return FieldViolation(".".join(names), rest.rstrip(". ") or "invalid value")


def _shape_violation(
    descriptor: Descriptor, value: Any, path: list[str], depth: int = 0
) -> FieldViolation | None:
    """The first object/array/map where the JSON has something else, with its exact path.

    json_format reports these confusingly (a string where an object belongs reads as
    "no field named ..."); scalars, well-known types and depth limits are left to it.
    """
    if depth > JSON_MAX_DEPTH or not isinstance(value, dict):
        return None
    for key, item in value.items():
        field = find_field(descriptor, key)
        if field is None or item is None:
            continue
        here = [*path, key]
        mapped = is_map(field)
        if mapped or (field.type == FieldDescriptor.TYPE_MESSAGE and not field.is_repeated):
            if message_type(field).full_name.startswith("google.protobuf."):
                continue
            if not isinstance(item, dict):
                return FieldViolation(".".join(here), describe_expected(field))
            if not mapped:
                found = _shape_violation(message_type(field), item, here, depth + 1)
                if found is not None:
                    return found
        elif field.is_repeated and not isinstance(item, list):
            return FieldViolation(".".join(here), describe_expected(field))
        elif field.type == FieldDescriptor.TYPE_BYTES:
            for element in item if field.is_repeated else [item]:
                if not isinstance(element, str) or decode_base64(element) is None:
                    return FieldViolation(".".join(here), "expected base64-encoded bytes")
        elif field.is_repeated:
            if field.type == FieldDescriptor.TYPE_MESSAGE:
                for index, element in enumerate(item):
                    found = _shape_violation(
                        message_type(field), element, [*here[:-1], f"{key}[{index}]"], depth + 1
                    )
                    if found is not None:
                        return found
    return None


def _parse_into(message: Message, value: dict[str, Any], prefix: Sequence[str]) -> None:
    shape = _shape_violation(descriptor_of(message), value, list(prefix))
    if shape is not None:
        raise bad_request(f"invalid {shape.field}: {shape.description}", [shape])
    try:
        json_format.ParseDict(value, message, max_recursion_depth=JSON_MAX_DEPTH)
    except json_format.ParseError as exc:
        violation = _violation(descriptor_of(message), prefix, str(exc))
        raise bad_request(
            f"invalid {violation.field or 'request'}: {violation.description}", [violation]
        ) from None
    except (RecursionError, ValueError, TypeError) as exc:
        violation = FieldViolation(".".join(prefix), f"cannot be read: {exc}")
        raise bad_request("the request body does not fit the request message", [violation]) from None


def apply_body(binding: HttpBinding, message: Message, body: bytes) -> None:
    if not body.strip():
        return
    value = decode_json(body)
    if binding.body == "*":
        if not isinstance(value, dict):
            violation = FieldViolation("", "the request body must be a JSON object")
            raise bad_request("the request body must be a JSON object", [violation])
        _parse_into(message, value, ())
        return
    field = binding.body_field
    assert field is not None
    if value is None:
        return
    _parse_into(message, {field.json_name: value}, ())


def apply_path(message: Message, bindings: Mapping[tuple[str, ...], str]) -> None:
    for path, value in bindings.items():
        key = ".".join(path)
        try:
            set_from_text(message, key, [value])
        except FieldError as exc:
            raise bad_request(
                f"invalid path segment for {key}: {exc.violation.description}", [exc.violation]
            ) from None


def _bound(binding: HttpBinding, proto_path: Sequence[str], file_body: bool) -> str | None:
    """Why a query parameter may not set ``proto_path``, or None when it may."""
    if file_body:
        if binding.chunk_field is not None and proto_path[0] == binding.chunk_field.name:
            return "the file is the request body"
    elif binding.body == "*":
        return "this route reads every field from the request body"
    if binding.body_field is not None and proto_path[0] == binding.body_field.name:
        return f"{binding.body_field.name!r} is read from the request body"
    for bound in binding.path_fields:
        shared = min(len(bound), len(proto_path))
        if tuple(proto_path[:shared]) == bound[:shared]:
            return f"{'.'.join(bound)!r} is bound by the path"
    return None


def apply_query(
    binding: HttpBinding,
    message: Message,
    params: Mapping[str, Sequence[str]],
    *,
    reserved: Iterable[str] = RESERVED_QUERY,
    file_body: bool = False,
) -> None:
    """Fill fields from query parameters; ``file_body`` for uploads, whose body is the file."""
    skip = frozenset(reserved)
    violations: list[FieldViolation] = []
    for key, values in params.items():
        if key in skip:
            continue
        try:
            names, _ = parse_key(key)
            resolved = _resolve(descriptor_of(message), names)
            if len(resolved) != len(names):
                raise FieldError(key, "unknown field")
            why = _bound(binding, [f.name for f in resolved], file_body)
            if why is not None:
                raise FieldError(key, f"not accepted as a query parameter: {why}")
            set_from_text(message, key, values)
        except FieldError as exc:
            violations.append(exc.violation)
    if violations:
        summary = "; ".join(f"{v.field}: {v.description}" for v in violations[:3])
        raise bad_request(f"invalid query parameters: {summary}", violations)


def build_request(
    binding: HttpBinding,
    path_values: Mapping[tuple[str, ...], str],
    params: Mapping[str, Sequence[str]],
    body: bytes,
) -> Message:
    """The request message for ``binding``; raises GatewayError (400) on any bad input."""
    message = binding.request_class()
    if binding.body:
        apply_body(binding, message, body)
    apply_path(message, path_values)
    apply_query(binding, message, params)
    return message
