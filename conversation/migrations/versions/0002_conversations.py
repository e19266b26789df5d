"""Conversations, the message tree and share links.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR, UUID

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "conversation"


def _now(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False)


def _id() -> sa.Column:
    return sa.Column("id", UUID(as_uuid=True), server_default=sa.text("gen_random_uuid()"), nullable=False)


def _conversations() -> None:
    op.create_table(
        "conversations",
        _id(),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), server_default="", nullable=False),
        sa.Column("tags", ARRAY(sa.Text()), server_default=sa.text("'{}'::text[]"), nullable=False),
        sa.Column("folder", sa.Text(), server_default="", nullable=False),
        sa.Column("pinned", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("settings", JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("active_leaf_id", UUID(as_uuid=True), nullable=True),
        sa.Column(
            "active_path", ARRAY(UUID(as_uuid=True)), server_default=sa.text("'{}'::uuid[]"), nullable=False
        ),
        sa.Column("message_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("summary", sa.Text(), server_default="", nullable=False),
        sa.Column("request_id", sa.Text(), nullable=True),
        sa.Column("search_vector", TSVECTOR(), nullable=True),
        _now("created_at"),
        _now("updated_at"),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_conversations_owner_updated",
        "conversations",
        ["tenant_id", "owner_id", "updated_at", "id"],
        schema=SCHEMA,
    )
    op.create_index(
        "uq_conversations_request_id",
        "conversations",
        ["tenant_id", "owner_id", "request_id"],
        unique=True,
        postgresql_where=sa.text("request_id IS NOT NULL"),
        schema=SCHEMA,
    )
    op.create_index("ix_conversations_tags", "conversations", ["tags"], postgresql_using="gin", schema=SCHEMA)
    op.create_index(
        "ix_conversations_search_vector",
        "conversations",
        ["search_vector"],
        postgresql_using="gin",
        schema=SCHEMA,
    )
    op.create_index(
        "ix_conversations_deleted_at",
        "conversations",
        ["deleted_at"],
        postgresql_where=sa.text("deleted_at IS NOT NULL"),
        schema=SCHEMA,
    )


def _messages() -> None:
    op.create_table(
        "messages",
        _id(),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("conversation_id", UUID(as_uuid=True), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("parent_id", UUID(as_uuid=True), nullable=True),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("parts", JSONB(), server_default=sa.text("'[]'::jsonb"), nullable=False),
        sa.Column("attachments", JSONB(), server_default=sa.text("'[]'::jsonb"), nullable=False),
        sa.Column("status", sa.Text(), server_default="complete", nullable=False),
        sa.Column("generation_id", sa.Text(), server_default="", nullable=False),
        sa.Column("model", sa.Text(), server_default="", nullable=False),
        sa.Column("finish_reason", sa.Text(), server_default="", nullable=False),
        sa.Column("usage", JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("tool_calls", JSONB(), server_default=sa.text("'[]'::jsonb"), nullable=False),
        sa.Column("citations", JSONB(), server_default=sa.text("'[]'::jsonb"), nullable=False),
        sa.Column("token_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("pinned", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("request_id", sa.Text(), nullable=True),
        sa.Column("search_vector", TSVECTOR(), nullable=True),
        _now("created_at"),
        _now("updated_at"),
        sa.CheckConstraint(
            "role IN ('user', 'assistant', 'system', 'tool')", name=op.f("ck_messages_role_known")
        ),
        sa.CheckConstraint(
            "status IN ('complete', 'streaming', 'incomplete', 'failed')",
            name=op.f("ck_messages_status_known"),
        ),
        sa.CheckConstraint("token_count >= 0", name=op.f("ck_messages_token_count_non_negative")),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            [f"{SCHEMA}.conversations.id"],
            name=op.f("fk_messages_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            [f"{SCHEMA}.messages.id"],
            name=op.f("fk_messages_parent_id_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        schema=SCHEMA,
    )
    op.create_index("ix_messages_conversation_id_seq", "messages", ["conversation_id", "seq"], schema=SCHEMA)
    op.create_index("ix_messages_parent_id_seq", "messages", ["parent_id", "seq"], schema=SCHEMA)
    op.create_index(
        "uq_messages_request_id",
        "messages",
        ["conversation_id", "request_id"],
        unique=True,
        postgresql_where=sa.text("request_id IS NOT NULL"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_messages_search_vector", "messages", ["search_vector"], postgresql_using="gin", schema=SCHEMA
    )


def _share_links() -> None:
    op.create_table(
        "share_links",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("conversation_id", UUID(as_uuid=True), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Text(), nullable=False),
        sa.Column("mode", sa.Text(), nullable=False),
        sa.Column("snapshot_path", ARRAY(UUID(as_uuid=True)), nullable=True),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("expire_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("view_count", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        _now("created_at"),
        sa.CheckConstraint("mode IN ('snapshot', 'live')", name=op.f("ck_share_links_mode_known")),
        sa.CheckConstraint(
            "mode <> 'snapshot' OR snapshot_path IS NOT NULL", name=op.f("ck_share_links_snapshot_has_path")
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            [f"{SCHEMA}.conversations.id"],
            name=op.f("fk_share_links_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_links")),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_share_links_conversation_id_created_at",
        "share_links",
        ["conversation_id", "created_at"],
        schema=SCHEMA,
    )


def upgrade() -> None:
    _conversations()
    _messages()
    _share_links()


def downgrade() -> None:
    op.drop_table("share_links", schema=SCHEMA)
    op.drop_table("messages", schema=SCHEMA)
    op.drop_table("conversations", schema=SCHEMA)
