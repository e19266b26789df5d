"""Generations (one assistant turn each) and rolling summaries of a branch's older turns.

A generation row outlives its Redis stream: it is how StopGeneration and ResumeGeneration
find a turn's conversation and owner, and how a retried SendMessage (same ``request_id``)
finds the turn it already started. A summary row covers a branch from its root through
``through_message_id``; the next summary of that branch extends the newest one on the path.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "conversation"


def _now(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "generations",
        sa.Column("id", UUID(as_uuid=False), primary_key=True),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Text(), nullable=False),
        sa.Column(
            "conversation_id",
            UUID(as_uuid=False),
            sa.ForeignKey("conversation.conversations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("user_message_id", UUID(as_uuid=False), nullable=True),
        sa.Column("assistant_message_id", UUID(as_uuid=False), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("request_id", sa.Text(), server_default="", nullable=False),
        sa.Column("model", sa.Text(), server_default="", nullable=False),
        sa.Column("status", sa.Text(), server_default="running", nullable=False),
        sa.Column("error", sa.Text(), server_default="", nullable=False),
        _now("created_at"),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('send', 'regenerate')", name=op.f("ck_generations_kind_known")),
        sa.CheckConstraint(
            "status IN ('running', 'complete', 'incomplete', 'failed')",
            name=op.f("ck_generations_status_known"),
        ),
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_generations_conversation_id_created_at"),
        "generations",
        ["conversation_id", "created_at"],
        schema=SCHEMA,
    )
    op.create_index(
        op.f("uq_generations_request"),
        "generations",
        ["tenant_id", "conversation_id", "request_id"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("request_id <> ''"),
    )
    op.create_table(
        "summaries",
        sa.Column("id", UUID(as_uuid=False), primary_key=True),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column(
            "conversation_id",
            UUID(as_uuid=False),
            sa.ForeignKey("conversation.conversations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("through_message_id", UUID(as_uuid=False), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("token_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("covered_messages", sa.Integer(), server_default=sa.text("0"), nullable=False),
        _now("created_at"),
        schema=SCHEMA,
    )
    op.create_index(
        op.f("uq_summaries_conversation_id_through_message_id"),
        "summaries",
        ["conversation_id", "through_message_id"],
        unique=True,
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("summaries", schema=SCHEMA)
    op.drop_table("generations", schema=SCHEMA)
