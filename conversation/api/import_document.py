"""Reading an ImportConversation document: every problem reported as a field violation, nothing stored.

Content values are normalised through their protobuf types (unknown keys dropped), so
what is stored is exactly what ExportConversation would write again.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chatmesh.conversation.v1 import resources_pb2
from google.protobuf import json_format
from google.protobuf.message import Message as ProtoMessage

from conversation.api.conversations import settings_values
from conversation.config import ConversationConfig
from conversation.domain import fields
from conversation.domain.export import EXPORT_FORMAT, EXPORT_VERSION
from mesh.auth import current_principal
from mesh.errors import FieldViolation, InvalidArgument
from mesh.key_limits import require_model

__all__ = ["ImportPlan", "ImportedMessage", "parse_import"]

_ROLES = frozenset({"user", "assistant", "system", "tool"})
_STATUSES = {
    "complete": "complete",
    "incomplete": "incomplete",
    "failed": "failed",
    "streaming": "incomplete",
}
_FINISH = frozenset({"", "stop", "length", "tool_calls", "content_filter", "cancelled", "error"})
MAX_IMPORT_MESSAGES = 50_000


@dataclass
class ImportedMessage:
    id: uuid.UUID
    parent_id: uuid.UUID | None
    values: dict[str, Any]


@dataclass
class ImportPlan:
    title: str
    tags: list[str]
    folder: str
    settings: dict[str, Any]
    summary: str
    messages: list[ImportedMessage] = field(default_factory=list)
    active_leaf: uuid.UUID | None = None


def _normalise(value: Any, cls: type[ProtoMessage]) -> dict[str, Any]:
    parsed = json_format.ParseDict(value, cls(), ignore_unknown_fields=True)
    return json_format.MessageToDict(parsed, preserving_proto_field_name=True)


def _list_of(
    value: Any, cls: type[ProtoMessage], where: str, problems: list[FieldViolation]
) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append(FieldViolation(where, "must be a list"))
        return []
    out = []
    for i, item in enumerate(value):
        try:
            out.append(_normalise(item, cls))
        except (json_format.ParseError, TypeError, ValueError) as exc:
            problems.append(FieldViolation(f"{where}[{i}]", f"not a valid {cls.__name__}: {exc}"[:200]))
    return out


def _time(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


def _message(
    raw: Any, i: int, ids: dict[str, uuid.UUID], problems: list[FieldViolation]
) -> ImportedMessage | None:
    where = f"content.messages[{i}]"
    if not isinstance(raw, dict):
        problems.append(FieldViolation(where, "must be an object"))
        return None
    old_id, parent = raw.get("id"), raw.get("parent_id") or ""
    role, status = raw.get("role"), raw.get("status") or "complete"
    before = len(problems)
    if not isinstance(old_id, str) or not old_id or old_id in ids:
        problems.append(FieldViolation(f"{where}.id", "a non-empty id not used before"))
    if not isinstance(parent, str) or (parent and parent not in ids):
        problems.append(FieldViolation(f"{where}.parent_id", "must name an earlier message"))
    if role not in _ROLES:
        problems.append(FieldViolation(f"{where}.role", f"one of {sorted(_ROLES)}"))
    if status not in _STATUSES:
        problems.append(FieldViolation(f"{where}.status", f"one of {sorted(_STATUSES)}"))
    finish = raw.get("finish_reason") or ""
    if finish not in _FINISH:
        problems.append(FieldViolation(f"{where}.finish_reason", f"one of {sorted(_FINISH)}"))
    tokens = raw.get("token_count", 0)
    if not isinstance(tokens, int) or tokens < 0:
        problems.append(FieldViolation(f"{where}.token_count", "a non-negative integer"))
    parts = _list_of(raw.get("parts"), resources_pb2.ContentPart, f"{where}.parts", problems)
    values = {
        "role": role,
        "parts": parts,
        "attachments": _list_of(
            raw.get("attachments"), resources_pb2.Attachment, f"{where}.attachments", problems
        ),
        "status": _STATUSES.get(status, "complete"),
        "model": str(raw.get("model") or ""),
        "finish_reason": finish,
        "usage": _normalise(raw.get("usage") or {}, resources_pb2.Usage)
        if isinstance(raw.get("usage") or {}, dict)
        else {},
        "tool_calls": _list_of(
            raw.get("tool_calls"), resources_pb2.ToolCall, f"{where}.tool_calls", problems
        ),
        "citations": _list_of(raw.get("citations"), resources_pb2.Citation, f"{where}.citations", problems),
        "token_count": tokens if isinstance(tokens, int) else 0,
        "pinned": bool(raw.get("pinned", False)),
        "generation_id": str(raw.get("generation_id") or ""),
    }
    created = _time(raw.get("create_time"))
    if created is not None:
        values["created_at"] = created
    if len(problems) > before:
        return None
    new_id = uuid.uuid4()
    ids[str(old_id)] = new_id
    return ImportedMessage(id=new_id, parent_id=ids[str(parent)] if parent else None, values=values)


def _load(content: str, config: ConversationConfig) -> dict[str, Any]:
    if len(content.encode()) > config.max_import_bytes:
        raise InvalidArgument(
            "document too large", [FieldViolation("content", f"at most {config.max_import_bytes} bytes")]
        )
    try:
        document = json.loads(content)
    except RecursionError:
        raise InvalidArgument("not JSON", [FieldViolation("content", "nested too deeply")]) from None
    except ValueError as exc:
        raise InvalidArgument("not JSON", [FieldViolation("content", f"not valid JSON: {exc}")]) from None
    if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
        raise InvalidArgument(
            "not an export", [FieldViolation("content.format", f"must be {EXPORT_FORMAT!r}")]
        )
    if document.get("version") != EXPORT_VERSION:
        raise InvalidArgument(
            "unsupported version", [FieldViolation("content.version", f"must be {EXPORT_VERSION}")]
        )
    return document


def parse_import(content: str, title: str, config: ConversationConfig) -> ImportPlan:
    document = _load(content, config)
    problems: list[FieldViolation] = []
    found = document.get("conversation")
    meta: dict[str, Any] = found if isinstance(found, dict) else {}
    raw_messages = document.get("messages")
    if not isinstance(raw_messages, list) or len(raw_messages) > MAX_IMPORT_MESSAGES:
        raise InvalidArgument(
            "bad messages", [FieldViolation("content.messages", f"a list of at most {MAX_IMPORT_MESSAGES}")]
        )
    chosen_title = (title or str(meta.get("title") or "")).strip()
    problems += fields.check_title(chosen_title, config, "title" if title else "content.conversation.title")
    tags, bad_tags = fields.normalize_tags(
        [str(t) for t in meta.get("tags") or [] if isinstance(t, str)], config, "content.conversation.tags"
    )
    folder = str(meta.get("folder") or "")
    problems += bad_tags + fields.check_folder(folder, config, "content.conversation.folder")
    settings: dict[str, Any] = {}
    try:
        parsed = json_format.ParseDict(
            meta.get("settings") or {}, resources_pb2.ConversationSettings(), ignore_unknown_fields=True
        )
        problems += fields.check_settings(settings_values(parsed), config, "content.conversation.settings")
        # An imported conversation is a stored model choice like any other (conversations._values).
        require_model(current_principal(), parsed.model)
        settings = json_format.MessageToDict(parsed, preserving_proto_field_name=True)
    except (json_format.ParseError, TypeError, ValueError):
        problems.append(FieldViolation("content.conversation.settings", "not valid conversation settings"))
    ids: dict[str, uuid.UUID] = {}
    plan = ImportPlan(chosen_title, tags, folder, settings, str(meta.get("summary") or ""))
    for i, raw in enumerate(raw_messages):
        message = _message(raw, i, ids, problems)
        if message is not None:
            plan.messages.append(message)
        if len(problems) >= 50:
            break
    fields.raise_if_any(problems, "invalid import document")
    leaf = meta.get("active_leaf_id")
    plan.active_leaf = ids.get(leaf) if isinstance(leaf, str) else None
    return plan
