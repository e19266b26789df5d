"""Seat holds: registrations hold their place under a tenant's user limit in a short transaction.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "identity"


def upgrade() -> None:
    op.create_table(
        "seat_holds",
        sa.Column("id", UUID(as_uuid=True), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seat_holds")),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            [f"{SCHEMA}.tenants.id"],
            name=op.f("fk_seat_holds_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_seat_holds_tenant_id_expires_at"), "seat_holds", ["tenant_id", "expires_at"], schema=SCHEMA
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_seat_holds_tenant_id_expires_at"), table_name="seat_holds", schema=SCHEMA)
    op.drop_table("seat_holds", schema=SCHEMA)
