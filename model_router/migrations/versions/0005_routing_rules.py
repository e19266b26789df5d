"""Routing rules for A/B splits: a model alias whose traffic is split between target models.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25

Arms live in a JSONB array on the rule row: a rule is always read and replaced whole, and the
percentage-sum invariant is checked by the application before it is written.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "model_router"


def upgrade() -> None:
    op.create_table(
        "routing_rules",
        sa.Column("id", UUID(as_uuid=True), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("model_alias", sa.Text(), nullable=False),
        sa.Column("arms", JSONB(), server_default=sa.text("'[]'::jsonb"), nullable=False),
        sa.Column("sticky", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("groups", sa.ARRAY(sa.Text()), server_default=sa.text("'{}'::text[]"), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("priority", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_rules")),
        sa.UniqueConstraint("name", name=op.f("uq_routing_rules_name")),
        schema=SCHEMA,
    )
    op.create_index(op.f("ix_routing_rules_model_alias"), "routing_rules", ["model_alias"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_table("routing_rules", schema=SCHEMA)
