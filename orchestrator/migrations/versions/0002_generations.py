"""Generations: one status record per assistant turn (state, timings, usage, tool calls, error).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "orchestrator"


def upgrade() -> None:
    op.create_table(
        "generations",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), server_default="", nullable=False),
        sa.Column("conversation_id", sa.Text(), server_default="", nullable=False),
        sa.Column("message_id", sa.Text(), server_default="", nullable=False),
        sa.Column("request_id", sa.Text(), server_default="", nullable=False),
        sa.Column("instance_id", sa.Text(), server_default="", nullable=False),
        sa.Column("state", sa.SmallInteger(), nullable=False),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column("model", sa.Text(), server_default="", nullable=False),
        sa.Column("finish_reason", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("usage", JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("tool_calls", JSONB(), server_default=sa.text("'[]'::jsonb"), nullable=False),
        sa.Column("error_reason", sa.Text(), server_default="", nullable=False),
        sa.Column("error_message", sa.Text(), server_default="", nullable=False),
        sa.Column("ttft_ms", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=True),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("start_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_time", sa.DateTime(timezone=True), nullable=True),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_generations_tenant_created", "generations", ["tenant_id", "create_time", "id"], schema=SCHEMA
    )
    op.create_index(
        "ix_generations_conversation", "generations", ["conversation_id", "create_time"], schema=SCHEMA
    )
    op.create_index(
        "ix_generations_live",
        "generations",
        ["state"],
        schema=SCHEMA,
        postgresql_where=sa.text("state IN (1, 2)"),
    )


def downgrade() -> None:
    op.drop_table("generations", schema=SCHEMA)
