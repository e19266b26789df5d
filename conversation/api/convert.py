"""Rows to protobuf messages and request content to JSON-ready values (the api layer's only mapping).

Exported for conv-stream too: ``message_to_proto``, ``parts_to_json``, ``usage_to_json``,
``citations_to_json``, ``tool_calls_to_json``, and the enum maps.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from chatmesh.conversation.v1 import resources_pb2, sharing_pb2
from google.protobuf import json_format
from google.protobuf.message import Message as ProtoMessage
from google.protobuf.timestamp_pb2 import Timestamp

from conversation.store.rows import ConversationRow, MessageRow, ShareLinkRow

__all__ = [
    "FINISH_REASONS",
    "ROLES",
    "STATUSES",
    "citations_to_json",
    "conversation_to_proto",
    "message_to_proto",
    "parts_to_json",
    "settings_from_json",
    "settings_to_json",
    "share_link_to_proto",
    "timestamp",
    "tool_calls_to_json",
    "usage_to_json",
]

ROLES: dict[str, int] = {
    "user": resources_pb2.MESSAGE_ROLE_USER,
    "assistant": resources_pb2.MESSAGE_ROLE_ASSISTANT,
    "system": resources_pb2.MESSAGE_ROLE_SYSTEM,
    "tool": resources_pb2.MESSAGE_ROLE_TOOL,
}
STATUSES: dict[str, int] = {
    "complete": resources_pb2.MESSAGE_STATUS_COMPLETE,
    "streaming": resources_pb2.MESSAGE_STATUS_IN_PROGRESS,
    "incomplete": resources_pb2.MESSAGE_STATUS_INCOMPLETE,
    "failed": resources_pb2.MESSAGE_STATUS_FAILED,
}
FINISH_REASONS: dict[str, int] = {
    "": resources_pb2.FINISH_REASON_UNSPECIFIED,
    "stop": resources_pb2.FINISH_REASON_STOP,
    "length": resources_pb2.FINISH_REASON_LENGTH,
    "tool_calls": resources_pb2.FINISH_REASON_TOOL_CALLS,
    "content_filter": resources_pb2.FINISH_REASON_CONTENT_FILTER,
    "cancelled": resources_pb2.FINISH_REASON_CANCELLED,
    "error": resources_pb2.FINISH_REASON_ERROR,
}


def timestamp(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    ts = Timestamp()
    ts.FromDatetime(value)
    return ts


def _json(message: ProtoMessage) -> dict[str, Any]:
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


def parts_to_json(parts: Iterable[resources_pb2.ContentPart]) -> list[dict[str, Any]]:
    return [_json(p) for p in parts if p.WhichOneof("part") is not None]


def usage_to_json(usage: resources_pb2.Usage) -> dict[str, Any]:
    return _json(usage)


def citations_to_json(citations: Iterable[resources_pb2.Citation]) -> list[dict[str, Any]]:
    return [_json(c) for c in citations]


def tool_calls_to_json(calls: Iterable[resources_pb2.ToolCall]) -> list[dict[str, Any]]:
    return [_json(c) for c in calls]


def settings_to_json(settings: resources_pb2.ConversationSettings) -> dict[str, Any]:
    return _json(settings)


def settings_from_json(value: dict[str, Any]) -> resources_pb2.ConversationSettings:
    return json_format.ParseDict(value, resources_pb2.ConversationSettings(), ignore_unknown_fields=True)


def _parse_list(values: list[dict[str, Any]], cls: type[ProtoMessage]) -> list[Any]:
    return [json_format.ParseDict(v, cls(), ignore_unknown_fields=True) for v in values] if values else []


def _parse_parts(values: list[dict[str, Any]]) -> list[resources_pb2.ContentPart]:
    """Text parts (nearly all of them) skip the generic JSON parser: ListMessages converts many per call."""
    parts = []
    for value in values:
        text = value.get("text") if len(value) == 1 else None
        if isinstance(text, str):
            parts.append(resources_pb2.ContentPart(text=text))
        else:
            part = resources_pb2.ContentPart()
            parts.append(json_format.ParseDict(value, part, ignore_unknown_fields=True))
    return parts


def message_to_proto(row: MessageRow) -> resources_pb2.Message:
    message = resources_pb2.Message(
        id=str(row.id),
        conversation_id=str(row.conversation_id),
        parent_id=str(row.parent_id or ""),
        child_ids=row.child_ids,
        role=ROLES.get(row.role, resources_pb2.MESSAGE_ROLE_UNSPECIFIED),  # type: ignore[arg-type]
        parts=_parse_parts(row.parts),
        attachments=_parse_list(row.attachments, resources_pb2.Attachment),
        status=STATUSES.get(row.status, resources_pb2.MESSAGE_STATUS_UNSPECIFIED),  # type: ignore[arg-type]
        model=row.model,
        finish_reason=FINISH_REASONS.get(row.finish_reason, 0),  # type: ignore[arg-type]
        token_count=row.token_count,
        citations=_parse_list(row.citations, resources_pb2.Citation),
        tool_calls=_parse_list(row.tool_calls, resources_pb2.ToolCall),
        pinned=row.pinned,
        generation_id=row.generation_id,
        create_time=timestamp(row.created_at),
        update_time=timestamp(row.updated_at),
    )
    if row.usage:
        message.usage.CopyFrom(
            json_format.ParseDict(row.usage, resources_pb2.Usage(), ignore_unknown_fields=True)
        )
    return message


def conversation_to_proto(row: ConversationRow) -> resources_pb2.Conversation:
    return resources_pb2.Conversation(
        id=str(row.id),
        tenant_id=row.tenant_id,
        owner_id=row.owner_id,
        title=row.title,
        tags=row.tags,
        folder=row.folder,
        pinned=row.pinned,
        archived=row.archived_at is not None,
        settings=settings_from_json(row.settings),
        active_leaf_id=str(row.active_leaf_id or ""),
        message_count=row.message_count,
        summary=row.summary,
        create_time=timestamp(row.created_at),
        update_time=timestamp(row.updated_at),
        archive_time=timestamp(row.archived_at),
        delete_time=timestamp(row.deleted_at),
    )


def share_link_to_proto(row: ShareLinkRow) -> sharing_pb2.ShareLink:
    path = row.snapshot_path or []
    return sharing_pb2.ShareLink(
        id=row.id,
        conversation_id=str(row.conversation_id),
        mode=sharing_pb2.SHARE_MODE_SNAPSHOT if row.mode == "snapshot" else sharing_pb2.SHARE_MODE_LIVE,
        expire_time=timestamp(row.expire_at),
        password_protected=row.password_hash is not None,
        view_count=row.view_count,
        snapshot_message_id=str(path[-1]) if path else "",
        create_time=timestamp(row.created_at),
        revoke_time=timestamp(row.revoked_at),
    )
