"""Initial model_router schema: channels, their encrypted keys, and the outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

from mesh.migrate import create_outbox, drop_outbox

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "model_router"


def upgrade() -> None:
    create_outbox(SCHEMA)
    op.create_table(
        "channels",
        sa.Column("id", UUID(as_uuid=True), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("base_url", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default="enabled", nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("priority", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("weight", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column(
            "groups", sa.ARRAY(sa.Text()), server_default=sa.text("'{default}'::text[]"), nullable=False
        ),
        sa.Column("models", sa.ARRAY(sa.Text()), server_default=sa.text("'{}'::text[]"), nullable=False),
        sa.Column("model_mapping", JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("abilities", JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("test_model", sa.Text(), nullable=True),
        sa.Column("used_quota", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("balance", sa.Numeric(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels")),
        sa.UniqueConstraint("name", name=op.f("uq_channels_name")),
        sa.CheckConstraint(
            "status IN ('enabled', 'manually_disabled', 'auto_disabled')",
            name=op.f("ck_channels_status_known"),
        ),
        sa.CheckConstraint("weight >= 0", name=op.f("ck_channels_weight_non_negative")),
        schema=SCHEMA,
    )
    op.create_table(
        "channel_keys",
        sa.Column("id", UUID(as_uuid=True), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("channel_id", UUID(as_uuid=True), nullable=False),
        sa.Column("key_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("key_fingerprint", sa.LargeBinary(), nullable=False),
        sa.Column("key_hint", sa.Text(), server_default="", nullable=False),
        sa.Column("status", sa.Text(), server_default="active", nullable=False),
        sa.Column("cooldown_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_keys")),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            [f"{SCHEMA}.channels.id"],
            name=op.f("fk_channel_keys_channel_id_channels"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "channel_id", "key_fingerprint", name=op.f("uq_channel_keys_channel_id_key_fingerprint")
        ),
        sa.CheckConstraint(
            "status IN ('active', 'cooling_down', 'disabled')", name=op.f("ck_channel_keys_status_known")
        ),
        schema=SCHEMA,
    )
    op.create_index(op.f("ix_channel_keys_channel_id"), "channel_keys", ["channel_id"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_table("channel_keys", schema=SCHEMA)
    op.drop_table("channels", schema=SCHEMA)
    drop_outbox(SCHEMA)
