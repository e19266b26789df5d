"""Channel health: the history of status and circuit transitions, and each channel's last test.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "model_router"


def upgrade() -> None:
    op.create_table(
        "channel_health_events",
        sa.Column("id", UUID(as_uuid=True), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("channel_id", UUID(as_uuid=True), nullable=False),
        sa.Column("from_status", sa.Text(), nullable=False),
        sa.Column("to_status", sa.Text(), nullable=False),
        sa.Column("from_circuit", sa.Text(), nullable=False),
        sa.Column("to_circuit", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("http_status", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("actor_user_id", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_health_events")),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            [f"{SCHEMA}.channels.id"],
            name=op.f("fk_channel_health_events_channel_id_channels"),
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(
            "source IN ('probe', 'traffic', 'manual', 'keys')",
            name=op.f("ck_channel_health_events_source_known"),
        ),
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_channel_health_events_created_at"),
        "channel_health_events",
        [sa.text("created_at DESC"), sa.text("id DESC")],
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_channel_health_events_channel_id_created_at"),
        "channel_health_events",
        ["channel_id", sa.text("created_at DESC"), sa.text("id DESC")],
        schema=SCHEMA,
    )
    op.create_table(
        "channel_tests",
        sa.Column("channel_id", UUID(as_uuid=True), nullable=False),
        sa.Column("tested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("channel_id", name=op.f("pk_channel_tests")),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            [f"{SCHEMA}.channels.id"],
            name=op.f("fk_channel_tests_channel_id_channels"),
            ondelete="CASCADE",
        ),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("channel_tests", schema=SCHEMA)
    op.drop_table("channel_health_events", schema=SCHEMA)
