"""Export documents: Markdown for reading, JSON as a lossless copy of the whole tree.

The JSON document lists messages depth-first (parents before children, siblings in
creation order), which is also the order an import needs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = [
    "EXPORT_FORMAT",
    "EXPORT_VERSION",
    "ExportedMessage",
    "filename_for",
    "json_document",
    "markdown_document",
]

EXPORT_FORMAT = "chatmesh.conversation"
EXPORT_VERSION = 1
_ROLE_TITLES = {"user": "User", "assistant": "Assistant", "system": "System", "tool": "Tool"}


@dataclass(frozen=True)
class ExportedMessage:
    id: str
    parent_id: str
    role: str
    parts: list[dict[str, Any]]
    attachments: list[dict[str, Any]]
    status: str
    model: str
    finish_reason: str
    usage: dict[str, Any]
    tool_calls: list[dict[str, Any]]
    citations: list[dict[str, Any]]
    token_count: int
    pinned: bool
    generation_id: str
    create_time: str


def filename_for(title: str, extension: str) -> str:
    slug = re.sub(r"[^\w]+", "-", title.lower(), flags=re.UNICODE).strip("-_")[:60]
    return f"{slug or 'conversation'}.{extension}"


def json_document(
    conversation: dict[str, Any], messages: Sequence[ExportedMessage], exported_at: datetime
) -> str:
    document = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": exported_at.isoformat(),
        "conversation": conversation,
        "messages": [m.__dict__ for m in messages],
    }
    return json.dumps(document, ensure_ascii=False, indent=2)


def _part_markdown(part: dict[str, Any]) -> str:
    if "text" in part:
        return str(part["text"])
    if "image" in part:
        image = part["image"]
        return f"![image]({image.get('url') or 'attachment:' + str(image.get('file_id', ''))})"
    if "file" in part:
        file = part["file"]
        return (
            f"[file: {file.get('filename') or file.get('file_id', '')}](attachment:{file.get('file_id', '')})"
        )
    return ""


def _message_markdown(message: ExportedMessage, heading: str) -> list[str]:
    lines = [f"## {heading}", ""]
    body = "\n\n".join(p for p in (_part_markdown(part) for part in message.parts) if p)
    if body:
        lines += [body, ""]
    for call in message.tool_calls:
        lines += [f"> Tool call `{call.get('name', '')}`: `{call.get('arguments_json', '')}`", ""]
    if message.status in ("incomplete", "failed"):
        lines += [f"_({message.status})_", ""]
    if message.citations:
        for citation in message.citations:
            source = citation.get("uri") or citation.get("document_id", "")
            lines.append(f"[{citation.get('index', '')}] {citation.get('title', '')} {source}".rstrip())
        lines.append("")
    return lines


def markdown_document(title: str, messages: Sequence[ExportedMessage], *, all_branches: bool) -> str:
    """The active path as a transcript, or every branch numbered with what each replies to."""
    lines = [f"# {title or 'Conversation'}", ""]
    number = {m.id: i for i, m in enumerate(messages, start=1)}
    for i, message in enumerate(messages, start=1):
        role = _ROLE_TITLES.get(message.role, message.role.title())
        if all_branches:
            parent = number.get(message.parent_id)
            heading = f"{i}. {role}" + (f" (reply to {parent})" if parent else "")
        else:
            heading = role
        lines += _message_markdown(message, heading)
    return "\n".join(lines).rstrip() + "\n"
