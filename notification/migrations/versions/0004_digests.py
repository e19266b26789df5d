"""Digests: per-category windows in preferences, the key that groups a window's notifications.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 03:39:39.879532
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("notifications", sa.Column("digest_key", sa.Text(), nullable=True), schema="notification")
    op.create_index(
        "ix_notifications_digest",
        "notifications",
        ["digest_key"],
        unique=False,
        schema="notification",
        postgresql_where=sa.text("digest_key IS NOT NULL"),
    )
    op.add_column(
        "preferences",
        sa.Column(
            "digests",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        schema="notification",
    )


def downgrade() -> None:
    op.drop_column("preferences", "digests", schema="notification")
    op.drop_index(
        "ix_notifications_digest",
        table_name="notifications",
        schema="notification",
        postgresql_where=sa.text("digest_key IS NOT NULL"),
    )
    op.drop_column("notifications", "digest_key", schema="notification")
