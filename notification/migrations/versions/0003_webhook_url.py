"""The WEBHOOK channel: the endpoint a notification is posted to.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 02:59:00.546863
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "notifications",
        sa.Column("webhook_url", sa.Text(), server_default="", nullable=False),
        schema="notification",
    )


def downgrade() -> None:
    op.drop_column("notifications", "webhook_url", schema="notification")
