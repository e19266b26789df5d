"""What a live event carries: a notification row as JSON, or the inbox state after a change.

Kept as plain JSON so the stream is readable with redis-cli and the api layer alone turns
it into protobuf.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

__all__ = ["decode", "notification_event", "state_event"]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def notification_event(row: Any) -> bytes:
    fields = {key: _plain(value) for key, value in row._mapping.items()}
    return json.dumps({"kind": "notification", "row": fields}).encode()


def state_event(unread: int, read_ids: list[str], deleted_ids: list[str]) -> bytes:
    return json.dumps({"kind": "state", "unread": unread, "read": read_ids, "deleted": deleted_ids}).encode()


def decode(payload: bytes) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(payload)
    return value
