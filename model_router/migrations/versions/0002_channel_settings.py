"""Channel settings the admin API exposes: description, tags, provider settings, timeout, limits, keys.

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

SCHEMA = "model_router"


def upgrade() -> None:
    op.add_column(
        "channels", sa.Column("description", sa.Text(), server_default="", nullable=False), schema=SCHEMA
    )
    op.add_column(
        "channels",
        sa.Column("tags", sa.ARRAY(sa.Text()), server_default=sa.text("'{}'::text[]"), nullable=False),
        schema=SCHEMA,
    )
    op.add_column(
        "channels",
        sa.Column("settings", JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        schema=SCHEMA,
    )
    op.add_column("channels", sa.Column("timeout_ms", sa.Integer(), nullable=True), schema=SCHEMA)
    op.add_column(
        "channels",
        sa.Column("rpm_limit", sa.Integer(), server_default=sa.text("0"), nullable=False),
        schema=SCHEMA,
    )
    op.add_column(
        "channels",
        sa.Column("tpm_limit", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        schema=SCHEMA,
    )
    op.add_column(
        "channels",
        sa.Column("key_selection", sa.Text(), server_default="random", nullable=False),
        schema=SCHEMA,
    )
    op.create_check_constraint(
        op.f("ck_channels_key_selection_known"),
        "channels",
        "key_selection IN ('random', 'round_robin')",
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_constraint("ck_channels_key_selection_known", "channels", schema=SCHEMA)
    for column in (
        "key_selection",
        "tpm_limit",
        "rpm_limit",
        "timeout_ms",
        "settings",
        "tags",
        "description",
    ):
        op.drop_column("channels", column, schema=SCHEMA)
