"""Setting request fields from text: path variables and query parameters.

Values arrive as strings and are type-checked against the field they land in, so a bad
``page_size=ten`` is a 400 naming ``page_size``, not a confused service. Field paths use
proto names or lowerCamelCase JSON names (``a.b``), repeated fields take the parameter
several times, map fields use ``name[key]=value`` (as grpc-gateway does), and the
well-known types with a string form (Timestamp, Duration, FieldMask, wrappers) are
parsed by their proto3 JSON rules.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Sequence
from typing import Any, cast

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from google.protobuf.message import Message

from mesh.errors import FieldViolation

__all__ = [
    "FieldError",
    "decode_base64",
    "describe_expected",
    "descriptor_of",
    "enum_type",
    "find_field",
    "is_map",
    "message_type",
    "parse_key",
    "scalar_from_text",
    "set_from_text",
]

_INT32 = (FieldDescriptor.TYPE_INT32, FieldDescriptor.TYPE_SINT32, FieldDescriptor.TYPE_SFIXED32)
_UINT32 = (FieldDescriptor.TYPE_UINT32, FieldDescriptor.TYPE_FIXED32)
_INT64 = (FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_SINT64, FieldDescriptor.TYPE_SFIXED64)
_UINT64 = (FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_FIXED64)
_RANGES: dict[int, tuple[int, int]] = {
    **dict.fromkeys(_INT32, (-(2**31), 2**31 - 1)),
    **dict.fromkeys(_UINT32, (0, 2**32 - 1)),
    **dict.fromkeys(_INT64, (-(2**63), 2**63 - 1)),
    **dict.fromkeys(_UINT64, (0, 2**64 - 1)),
}
_TRUE = frozenset({"true", "t", "1"})
_FALSE = frozenset({"false", "f", "0"})
_INTEGER = re.compile(r"[+-]?\d+\Z")
_FLOAT_MAX = 3.4028234663852886e38
_STRING_WKT = frozenset(
    {
        "google.protobuf.Timestamp",
        "google.protobuf.Duration",
        "google.protobuf.FieldMask",
    }
)
_WRAPPERS = frozenset(
    f"google.protobuf.{name}Value"
    for name in ("Double", "Float", "Int64", "UInt64", "Int32", "UInt32", "Bool", "String", "Bytes")
)
_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:\[([^\]]*)\])?\Z")


class FieldError(ValueError):
    """A value that does not fit its field; becomes one BadRequest field violation."""

    def __init__(self, field: str, description: str) -> None:
        super().__init__(f"{field}: {description}")
        self.violation = FieldViolation(field, description)


def descriptor_of(message: Message) -> Descriptor:
    """A message's descriptor, typed as the pure-Python class (the upb one has the same surface)."""
    return cast(Descriptor, message.DESCRIPTOR)


def message_type(field: FieldDescriptor) -> Descriptor:
    found = field.message_type
    if found is None:
        raise TypeError(f"{field.full_name} is not a message field")
    return found


def enum_type(field: FieldDescriptor) -> EnumDescriptor:
    found = field.enum_type
    if found is None:
        raise TypeError(f"{field.full_name} is not an enum field")
    return found


def is_map(field: FieldDescriptor) -> bool:
    return field.message_type is not None and bool(field.message_type.GetOptions().map_entry)


def find_field(message: Descriptor, name: str) -> FieldDescriptor | None:
    """A field by proto name or by its JSON (lowerCamelCase) name."""
    found = message.fields_by_name.get(name)
    if found is not None:
        return found
    for candidate in message.fields:
        if candidate.json_name == name:
            return candidate
    return None


def describe_expected(field: FieldDescriptor) -> str:
    """What a value for ``field`` must look like, in the words of the proto3 JSON mapping."""
    if is_map(field):
        return "expected a JSON object (a map)"
    if field.is_repeated:
        return "expected a JSON array"
    kind = field.type
    if kind == FieldDescriptor.TYPE_MESSAGE:
        return _describe_message(message_type(field))
    if kind == FieldDescriptor.TYPE_ENUM:
        names = [v.name for v in enum_type(field).values]
        shown = ", ".join(names[:20]) + (", ..." if len(names) > 20 else "")
        return f"expected one of {shown}"
    if kind in _RANGES:
        low, high = _RANGES[kind]
        return f"expected an integer from {low} to {high} (a JSON number or a decimal string)"
    if kind in (FieldDescriptor.TYPE_FLOAT, FieldDescriptor.TYPE_DOUBLE):
        return 'expected a number (or "NaN", "Infinity", "-Infinity")'
    if kind == FieldDescriptor.TYPE_BOOL:
        return "expected true or false"
    if kind == FieldDescriptor.TYPE_BYTES:
        return "expected base64-encoded bytes"
    return "expected a string"


def _describe_message(message: Descriptor) -> str:
    name = message.full_name
    if name == "google.protobuf.Timestamp":
        return 'expected an RFC 3339 timestamp such as "2024-01-31T12:00:00Z"'
    if name == "google.protobuf.Duration":
        return 'expected a duration in seconds with an "s" suffix, such as "1.5s"'
    if name == "google.protobuf.FieldMask":
        return 'expected comma-separated field paths, such as "title,settings.model"'
    if name in _WRAPPERS:
        return describe_expected(message.fields_by_name["value"])
    if name in ("google.protobuf.Value", "google.protobuf.Any"):
        return "expected a JSON value"
    return "expected a JSON object"


def scalar_from_text(field: FieldDescriptor, text: str, label: str) -> Any:
    """The Python value for a non-message ``field`` written as ``text``; FieldError when it does not fit."""
    kind = field.type
    if kind == FieldDescriptor.TYPE_STRING:
        return text
    if kind in _RANGES:
        low, high = _RANGES[kind]
        if _INTEGER.match(text) and low <= int(text) <= high:
            return int(text)
    elif kind in (FieldDescriptor.TYPE_FLOAT, FieldDescriptor.TYPE_DOUBLE):
        value = _float(text)
        if value is not None and (kind == FieldDescriptor.TYPE_DOUBLE or not abs(value) > _FLOAT_MAX):
            return value
    elif kind == FieldDescriptor.TYPE_BOOL:
        lowered = text.lower()
        if lowered in _TRUE or lowered in _FALSE:
            return lowered in _TRUE
    elif kind == FieldDescriptor.TYPE_BYTES:
        decoded = decode_base64(text)
        if decoded is not None:
            return decoded
    elif kind == FieldDescriptor.TYPE_ENUM:
        number = _enum_number(field, text)
        if number is not None:
            return number
    raise FieldError(label, f"{describe_expected(field)}, got {text!r}")


def _float(text: str) -> float | None:
    special = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
    if text in special:
        return special[text]
    if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def decode_base64(text: str) -> bytes | None:
    """Standard or URL-safe base64, padding optional (what proto3 JSON accepts for bytes)."""
    padded = text + "=" * (-len(text) % 4)
    alphabet = {"-": "+", "_": "/"}
    normal = "".join(alphabet.get(c, c) for c in padded)
    try:
        return base64.b64decode(normal, validate=True)
    except (binascii.Error, ValueError):
        return None


def _enum_number(field: FieldDescriptor, text: str) -> int | None:
    values = enum_type(field)
    value = values.values_by_name.get(text)
    if value is not None:
        return int(value.number)
    if _INTEGER.match(text) and int(text) in values.values_by_number:
        return int(text)
    return None


def parse_key(key: str) -> tuple[list[str], str | None]:
    """``a.b[k]`` -> (["a", "b"], "k"); raises FieldError for a malformed name."""
    parts = key.split(".")
    names: list[str] = []
    map_key: str | None = None
    for index, part in enumerate(parts):
        found = _KEY.match(part)
        if found is None or (found.group(2) is not None and index != len(parts) - 1):
            raise FieldError(key, "not a field path (expected names like a.b or m[key])")
        names.append(found.group(1))
        map_key = found.group(2)
    return names, map_key


def _descend(message: Message, names: Sequence[str], label: str) -> tuple[Message, FieldDescriptor]:
    """The message holding the last field of ``names`` (created on the way) and that field."""
    current = message
    for index, name in enumerate(names):
        field = find_field(descriptor_of(current), name)
        if field is None:
            raise FieldError(label, f"unknown field {'.'.join(names[: index + 1])!r}")
        if index == len(names) - 1:
            return current, field
        if field.type != FieldDescriptor.TYPE_MESSAGE or field.is_repeated:
            raise FieldError(label, f"{name!r} is not a message with subfields")
        _check_oneof(current, field, label)
        current = getattr(current, field.name)
    raise FieldError(label, "empty field path")


def _check_oneof(message: Message, field: FieldDescriptor, label: str) -> None:
    oneof = field.containing_oneof
    if oneof is None:
        return
    chosen = message.WhichOneof(oneof.name)
    if chosen is not None and chosen != field.name:
        raise FieldError(
            label, f"{field.name!r} and {chosen!r} are alternatives (oneof {oneof.name}); set one"
        )


def _set_message(message: Message, field: FieldDescriptor, values: Sequence[str], label: str) -> None:
    name = message_type(field).full_name
    if field.is_repeated or (name not in _STRING_WKT and name not in _WRAPPERS):
        raise FieldError(label, "a message cannot be set from text; set its subfields (a.b=value)")
    if len(values) != 1:
        raise FieldError(label, "takes exactly one value")
    target = getattr(message, field.name)
    if name in _WRAPPERS:
        inner = message_type(field).fields_by_name["value"]
        target.value = scalar_from_text(inner, values[0], label)
        return
    try:
        json_format.ParseDict(values[0], target)  # type: ignore[arg-type]  # a WKT's JSON is a string
    except json_format.ParseError:
        raise FieldError(label, f"{describe_expected(field)}, got {values[0]!r}") from None


def set_from_text(message: Message, key: str, values: Sequence[str]) -> None:
    """Set the field named by ``key`` (``a.b``, ``m[k]``) from one or more text values."""
    names, map_key = parse_key(key)
    holder, field = _descend(message, names, key)
    _check_oneof(holder, field, key)
    if is_map(field):
        if map_key is None or len(values) != 1:
            raise FieldError(key, "a map field takes one value per key: name[key]=value")
        key_field = message_type(field).fields_by_name["key"]
        value_field = message_type(field).fields_by_name["value"]
        if value_field.type == FieldDescriptor.TYPE_MESSAGE:
            raise FieldError(key, "map values that are messages cannot be set from text")
        entries = getattr(holder, field.name)
        entries[scalar_from_text(key_field, map_key, key)] = scalar_from_text(value_field, values[0], key)
        return
    if map_key is not None:
        raise FieldError(key, f"{field.name!r} is not a map; [key] is only for maps")
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        _set_message(holder, field, values, key)
    elif field.is_repeated:
        getattr(holder, field.name).extend(scalar_from_text(field, v, key) for v in values)
    elif len(values) != 1:
        raise FieldError(key, f"takes one value, got {len(values)}")
    else:
        setattr(holder, field.name, scalar_from_text(field, values[0], key))
