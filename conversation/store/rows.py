"""Plain records read from conversation's tables (what the store hands to the api layer)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row

__all__ = ["ConversationRow", "MessageRow", "ShareLinkRow", "message_text"]


def message_text(parts: list[dict[str, Any]]) -> str:
    """The text parts of a message joined: what search indexes and exports show."""
    return "\n".join(str(p["text"]) for p in parts if isinstance(p, dict) and "text" in p)


@dataclass(frozen=True)
class MessageRow:
    id: uuid.UUID
    seq: int
    conversation_id: uuid.UUID
    tenant_id: str
    parent_id: uuid.UUID | None
    role: str
    parts: list[dict[str, Any]]
    attachments: list[dict[str, Any]]
    status: str
    generation_id: str
    model: str
    finish_reason: str
    usage: dict[str, Any]
    tool_calls: list[dict[str, Any]]
    citations: list[dict[str, Any]]
    token_count: int
    pinned: bool
    request_id: str | None
    created_at: datetime
    updated_at: datetime
    # Filled by reads that ask for them (ListMessages, GetMessage); creation order.
    child_ids: tuple[str, ...] = field(default=())

    @classmethod
    def of(cls, row: Row[Any] | Any, child_ids: tuple[str, ...] = ()) -> MessageRow:
        m = row._mapping
        return cls(**{name: m[name] for name in MESSAGE_FIELDS}, child_ids=child_ids)

    @property
    def text(self) -> str:
        return message_text(self.parts)


MESSAGE_FIELDS: tuple[str, ...] = tuple(
    name for name in MessageRow.__dataclass_fields__ if name != "child_ids"
)


@dataclass(frozen=True)
class ConversationRow:
    id: uuid.UUID
    tenant_id: str
    owner_id: str
    title: str
    tags: list[str]
    folder: str
    pinned: bool
    settings: dict[str, Any]
    active_leaf_id: uuid.UUID | None
    message_count: int
    summary: str
    request_id: str | None
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None
    deleted_at: datetime | None

    @classmethod
    def of(cls, row: Row[Any] | Any) -> ConversationRow:
        m = row._mapping
        return cls(**{name: m[name] for name in CONVERSATION_FIELDS})


CONVERSATION_FIELDS: tuple[str, ...] = tuple(ConversationRow.__dataclass_fields__)


@dataclass(frozen=True)
class ShareLinkRow:
    id: str
    conversation_id: uuid.UUID
    tenant_id: str
    owner_id: str
    mode: str
    snapshot_path: list[uuid.UUID] | None
    password_hash: str | None
    expire_at: datetime | None
    revoked_at: datetime | None
    view_count: int
    created_at: datetime

    @classmethod
    def of(cls, row: Row[Any] | Any) -> ShareLinkRow:
        m = row._mapping
        return cls(**{name: m[name] for name in SHARE_LINK_FIELDS})


SHARE_LINK_FIELDS: tuple[str, ...] = tuple(ShareLinkRow.__dataclass_fields__)
