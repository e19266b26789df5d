"""Response messages as proto3 JSON, the way grpc-gateway writes them.

lowerCamelCase names, int64 as strings, enums by name, well-known types in their JSON
forms, and fields without presence printed even when zero (grpc-gateway v2's default
``EmitUnpopulated``) so clients always find every field. ``response_body`` picks one field
of the response to be the whole HTTP body.
"""

from __future__ import annotations

import json
from typing import Any

from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from gateway.transcoding.bindings import HttpBinding

__all__ = ["dumps", "event_id", "message_dict", "response_value"]


def message_dict(message: Message) -> dict[str, Any]:
    return dict(json_format.MessageToDict(message, always_print_fields_with_no_presence=True))


def response_value(binding: HttpBinding, message: Message) -> Any:
    """What goes on the wire for one response message: the whole message or its response_body field."""
    field = binding.response_field
    if field is None:
        return message_dict(message)
    if field.type == FieldDescriptor.TYPE_MESSAGE and not field.is_repeated:
        return message_dict(getattr(message, field.name))
    return message_dict(message).get(field.json_name)


def event_id(binding: HttpBinding, message: Message) -> str:
    """The message's own event id (``event_id``, possibly inside response_body), or ""."""
    current: Any = message
    for field in binding.event_id_path:
        current = getattr(current, field.name)
    return current if isinstance(current, str) else ""


# Built once: json.dumps with options makes a new encoder on every call (every SSE event).
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def dumps(value: Any) -> bytes:
    """Compact JSON; never contains a raw newline, so it fits one SSE ``data:`` line."""
    return _ENCODER.encode(value).encode()
