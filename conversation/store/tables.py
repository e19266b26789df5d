"""conversation's tables (schema ``conversation``), mirroring ``conversation/migrations``.

Messages form a tree through ``parent_id``; each conversation keeps the ids of its
active root-to-leaf path in ``active_path`` so the default ListMessages view pages by
slicing one array instead of walking parents. ``seq`` orders messages by creation
(children in creation order, depth-first exports). ``search_vector`` holds lexemes
computed in Python (CJK runs as bigrams, see mesh.search_text).
"""

from __future__ import annotations

import uuid

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR, UUID

from mesh.db import outbox_table, service_metadata

__all__ = ["conversations", "messages", "metadata", "outbox", "share_links"]

metadata = service_metadata("conversation")
outbox = outbox_table(metadata)

MESSAGE_ROLES = ("user", "assistant", "system", "tool")
MESSAGE_STATUSES = ("complete", "streaming", "incomplete", "failed")
SHARE_MODES = ("snapshot", "live")


def _uuid_pk() -> Column[uuid.UUID]:
    return Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()"))


def _now(name: str) -> Column[object]:
    return Column(name, DateTime(timezone=True), nullable=False, server_default=func.now())


conversations = Table(
    "conversations",
    metadata,
    _uuid_pk(),
    Column("tenant_id", Text, nullable=False),
    Column("owner_id", Text, nullable=False),
    Column("title", Text, nullable=False, server_default=""),
    Column("tags", ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")),
    Column("folder", Text, nullable=False, server_default=""),
    Column("pinned", Boolean, nullable=False, server_default=text("false")),
    Column("settings", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("active_leaf_id", UUID(as_uuid=True), nullable=True),
    Column("active_path", ARRAY(UUID(as_uuid=True)), nullable=False, server_default=text("'{}'::uuid[]")),
    Column("message_count", Integer, nullable=False, server_default=text("0")),
    Column("summary", Text, nullable=False, server_default=""),
    Column("request_id", Text, nullable=True),
    Column("search_vector", TSVECTOR, nullable=True),
    _now("created_at"),
    _now("updated_at"),
    Column("archived_at", DateTime(timezone=True), nullable=True),
    Column("deleted_at", DateTime(timezone=True), nullable=True),
    Index("ix_conversations_owner_updated", "tenant_id", "owner_id", "updated_at", "id"),
    Index(
        "uq_conversations_request_id",
        "tenant_id",
        "owner_id",
        "request_id",
        unique=True,
        postgresql_where=text("request_id IS NOT NULL"),
    ),
    Index("ix_conversations_tags", "tags", postgresql_using="gin"),
    Index("ix_conversations_search_vector", "search_vector", postgresql_using="gin"),
    Index("ix_conversations_deleted_at", "deleted_at", postgresql_where=text("deleted_at IS NOT NULL")),
)

messages = Table(
    "messages",
    metadata,
    _uuid_pk(),
    Column("seq", BigInteger, Identity(always=False), nullable=False),
    Column(
        "conversation_id",
        UUID(as_uuid=True),
        ForeignKey(conversations.c.id, ondelete="CASCADE"),
        nullable=False,
    ),
    Column("tenant_id", Text, nullable=False),
    Column("parent_id", UUID(as_uuid=True), ForeignKey("conversation.messages.id", ondelete="CASCADE")),
    Column("role", Text, nullable=False),
    Column("parts", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("attachments", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("status", Text, nullable=False, server_default="complete"),
    Column("generation_id", Text, nullable=False, server_default=""),
    Column("model", Text, nullable=False, server_default=""),
    Column("finish_reason", Text, nullable=False, server_default=""),
    Column("usage", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("tool_calls", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("citations", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("token_count", Integer, nullable=False, server_default=text("0")),
    Column("pinned", Boolean, nullable=False, server_default=text("false")),
    Column("request_id", Text, nullable=True),
    Column("search_vector", TSVECTOR, nullable=True),
    _now("created_at"),
    _now("updated_at"),
    CheckConstraint("role IN ('user', 'assistant', 'system', 'tool')", name="role_known"),
    CheckConstraint("status IN ('complete', 'streaming', 'incomplete', 'failed')", name="status_known"),
    CheckConstraint("token_count >= 0", name="token_count_non_negative"),
    Index("ix_messages_conversation_id_seq", "conversation_id", "seq"),
    Index("ix_messages_parent_id_seq", "parent_id", "seq"),
    Index(
        "uq_messages_request_id",
        "conversation_id",
        "request_id",
        unique=True,
        postgresql_where=text("request_id IS NOT NULL"),
    ),
    Index("ix_messages_search_vector", "search_vector", postgresql_using="gin"),
)

share_links = Table(
    "share_links",
    metadata,
    Column("id", Text, primary_key=True),
    Column(
        "conversation_id",
        UUID(as_uuid=True),
        ForeignKey(conversations.c.id, ondelete="CASCADE"),
        nullable=False,
    ),
    Column("tenant_id", Text, nullable=False),
    Column("owner_id", Text, nullable=False),
    Column("mode", Text, nullable=False),
    Column("snapshot_path", ARRAY(UUID(as_uuid=True)), nullable=True),
    Column("password_hash", Text, nullable=True),
    Column("expire_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("view_count", BigInteger, nullable=False, server_default=text("0")),
    _now("created_at"),
    CheckConstraint("mode IN ('snapshot', 'live')", name="mode_known"),
    CheckConstraint("mode <> 'snapshot' OR snapshot_path IS NOT NULL", name="snapshot_has_path"),
    Index("ix_share_links_conversation_id_created_at", "conversation_id", "created_at"),
)
