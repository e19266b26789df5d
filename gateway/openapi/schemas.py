"""JSON Schemas (OpenAPI 3.1) for protobuf messages as the proto3 JSON mapping writes them.

The gateway speaks ``google.protobuf.json_format``: lowerCamelCase names, 64-bit integers as
strings, enums by name, Timestamp as an RFC 3339 string, Duration as ``"1.5s"``, FieldMask as
a comma-separated string, Struct as any object, wrappers as their value or null. Messages become
components named by their full proto name and are referenced, so recursive messages work.
Only one member of a oneof may be set; the schema says so with ``not: {required: [a, b]}``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor

__all__ = ["SCALAR_MESSAGES", "SchemaBuilder", "is_map", "ref"]

Schema = dict[str, Any]
_INT32 = {"type": "integer", "format": "int32", "minimum": -(2**31), "maximum": 2**31 - 1}
_UINT32 = {"type": "integer", "format": "int64", "minimum": 0, "maximum": 2**32 - 1}
_INT64 = {"type": "string", "format": "int64", "pattern": "^-?[0-9]+$"}
_UINT64 = {"type": "string", "format": "uint64", "pattern": "^[0-9]+$"}
_FLOAT_MAX = 3.4028234663852886e38
_FLOAT = {"type": "number", "format": "float", "minimum": -_FLOAT_MAX, "maximum": _FLOAT_MAX}
_DOUBLE = {"type": "number", "format": "double"}
_BYTES = {"type": "string", "format": "byte", "contentEncoding": "base64"}
_T = FieldDescriptor

_SCALARS: dict[int, Schema] = {
    _T.TYPE_DOUBLE: _DOUBLE,
    _T.TYPE_FLOAT: _FLOAT,
    _T.TYPE_INT32: _INT32,
    _T.TYPE_SINT32: _INT32,
    _T.TYPE_SFIXED32: _INT32,
    _T.TYPE_UINT32: _UINT32,
    _T.TYPE_FIXED32: _UINT32,
    _T.TYPE_INT64: _INT64,
    _T.TYPE_SINT64: _INT64,
    _T.TYPE_SFIXED64: _INT64,
    _T.TYPE_UINT64: _UINT64,
    _T.TYPE_FIXED64: _UINT64,
    _T.TYPE_BOOL: {"type": "boolean"},
    _T.TYPE_STRING: {"type": "string"},
    _T.TYPE_BYTES: _BYTES,
}


def _nullable(schema: Schema) -> Schema:
    return {**schema, "type": [schema["type"], "null"]}


# Well-known types whose JSON form is a single value; query strings can carry these too.
SCALAR_MESSAGES: dict[str, Schema] = {
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    "google.protobuf.Duration": {
        "type": "string",
        "pattern": r"^-?[0-9]+(\.[0-9]{1,9})?s$",
        "description": "Seconds with an 's' suffix, e.g. \"1.5s\".",
    },
    "google.protobuf.FieldMask": {
        "type": "string",
        "description": 'Comma-separated field paths in lowerCamelCase, e.g. "title,metadata".',
    },
    "google.protobuf.DoubleValue": _nullable(_DOUBLE),
    "google.protobuf.FloatValue": _nullable(_FLOAT),
    "google.protobuf.Int64Value": _nullable(_INT64),
    "google.protobuf.UInt64Value": _nullable(_UINT64),
    "google.protobuf.Int32Value": _nullable(_INT32),
    "google.protobuf.UInt32Value": _nullable(_UINT32),
    "google.protobuf.BoolValue": {"type": ["boolean", "null"]},
    "google.protobuf.StringValue": {"type": ["string", "null"]},
    "google.protobuf.BytesValue": _nullable(_BYTES),
}
_STRUCTURED_WKT: dict[str, Schema] = {
    "google.protobuf.Struct": {"type": "object", "additionalProperties": True},
    "google.protobuf.Value": {"description": "Any JSON value."},
    "google.protobuf.ListValue": {"type": "array", "items": {}},
    "google.protobuf.Empty": {"type": "object", "properties": {}, "additionalProperties": False},
    "google.protobuf.Any": {
        "type": "object",
        "properties": {"@type": {"type": "string"}},
        "required": ["@type"],
        "additionalProperties": True,
    },
}
_NULL_VALUE = "google.protobuf.NullValue"


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def is_map(field: FieldDescriptor) -> bool:
    message = field.message_type
    return message is not None and message.GetOptions().map_entry


def _real_oneofs(message: Descriptor) -> list[list[FieldDescriptor]]:
    """Oneofs with two or more members; proto3 ``optional`` makes one-member synthetic oneofs."""
    return [list(oneof.fields) for oneof in message.oneofs if len(oneof.fields) > 1]


class SchemaBuilder:
    """Collects component schemas while fields ask for them; ``describe`` looks up comments."""

    def __init__(self, describe: Callable[[str], str | None] | None = None) -> None:
        self.components: dict[str, Schema] = {}
        self._describe = describe or (lambda name: None)

    def message(self, message: Descriptor) -> Schema:
        """A reference to the message's component (built on first use), or its WKT schema."""
        name = message.full_name
        if name in SCALAR_MESSAGES:
            return dict(SCALAR_MESSAGES[name])
        if name in _STRUCTURED_WKT:
            return dict(_STRUCTURED_WKT[name])
        if name not in self.components:
            self.components[name] = {}
            self.components[name] = self.object_schema(message)
        return ref(name)

    def object_schema(self, message: Descriptor, exclude: Mapping[str, object] | None = None) -> Schema:
        """The message as an inline object schema, without the top-level fields in ``exclude``."""
        skipped = exclude or {}
        properties = {
            field.json_name: self.field(field) for field in message.fields if field.name not in skipped
        }
        schema: Schema = {"type": "object", "properties": properties, "additionalProperties": False}
        description = self._describe(message.full_name)
        if description:
            schema["description"] = description
        exclusive = [
            {"not": {"required": [a.json_name, b.json_name]}}
            for members in _real_oneofs(message)
            for i, a in enumerate(members)
            for b in members[i + 1 :]
            if a.name not in skipped and b.name not in skipped
        ]
        if exclusive:
            schema["allOf"] = exclusive
        return schema

    def field(self, field: FieldDescriptor) -> Schema:
        entry = field.message_type
        if entry is not None and is_map(field):
            value = entry.fields_by_name["value"]
            schema: Schema = {"type": "object", "additionalProperties": self.single(value)}
        elif field.is_repeated:
            schema = {"type": "array", "items": self.single(field)}
        else:
            schema = self.single(field)
        description = self._describe(field.full_name)
        if description:
            schema = {**schema, "description": description}
        return schema

    def single(self, field: FieldDescriptor) -> Schema:
        """The schema of one value of ``field`` (ignoring repetition)."""
        if field.enum_type is not None:
            return self.enum(field.enum_type)
        if field.message_type is not None:
            return self.message(field.message_type)
        return dict(_SCALARS[field.type])

    def enum(self, enum: EnumDescriptor) -> Schema:
        if enum.full_name == _NULL_VALUE:
            return {"type": "null"}
        if enum.full_name not in self.components:
            schema: Schema = {"type": "string", "enum": [value.name for value in enum.values]}
            description = self._describe(enum.full_name)
            if description:
                schema["description"] = description
            self.components[enum.full_name] = schema
        return ref(enum.full_name)
