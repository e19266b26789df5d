"""Access: API keys, the audit log, and multi-parent inheritance for custom roles.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "identity"


def _audit_events() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", UUID(as_uuid=True), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=True),
        sa.Column("actor_id", sa.Text(), server_default="", nullable=False),
        sa.Column("actor_kind", sa.Text(), server_default="anonymous", nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("resource_type", sa.Text(), server_default="", nullable=False),
        sa.Column("resource_id", sa.Text(), server_default="", nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("ip_address", sa.Text(), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column("metadata", JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("request_id", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
        sa.CheckConstraint(
            "outcome IN ('success', 'failure', 'denied')", name=op.f("ck_audit_events_outcome_known")
        ),
        sa.CheckConstraint(
            "actor_kind IN ('user', 'api_key', 'service', 'anonymous')",
            name=op.f("ck_audit_events_actor_kind_known"),
        ),
        schema=SCHEMA,
    )
    for name, columns in (
        ("ix_audit_events_tenant_id_created_at", ["tenant_id", "created_at"]),
        ("ix_audit_events_tenant_id_actor_id_created_at", ["tenant_id", "actor_id", "created_at"]),
        ("ix_audit_events_tenant_id_action_created_at", ["tenant_id", "action", "created_at"]),
    ):
        op.create_index(name, "audit_events", columns, schema=SCHEMA)


def _api_keys() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", UUID(as_uuid=True), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("owner_id", UUID(as_uuid=True), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("secret_hash", sa.LargeBinary(), nullable=False),
        sa.Column("prefix", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default="active", nullable=False),
        sa.Column("expire_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unlimited_quota", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("remaining_quota", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("used_quota", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "allowed_models", sa.ARRAY(sa.Text()), server_default=sa.text("'{}'::text[]"), nullable=False
        ),
        sa.Column(
            "allowed_cidrs", sa.ARRAY(sa.Text()), server_default=sa.text("'{}'::text[]"), nullable=False
        ),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            [f"{SCHEMA}.tenants.id"],
            name=op.f("fk_api_keys_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], [f"{SCHEMA}.users.id"], name=op.f("fk_api_keys_owner_id_users"), ondelete="CASCADE"
        ),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_api_keys_secret_hash")),
        sa.CheckConstraint("status IN ('active', 'disabled')", name=op.f("ck_api_keys_status_known")),
        sa.CheckConstraint("octet_length(secret_hash) = 32", name=op.f("ck_api_keys_secret_hash_is_sha256")),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_api_keys_tenant_id_owner_id_created_at",
        "api_keys",
        ["tenant_id", "owner_id", "created_at"],
        schema=SCHEMA,
    )


def _role_parents() -> None:
    op.create_table(
        "role_parents",
        sa.Column("role_id", UUID(as_uuid=True), nullable=False),
        sa.Column("parent_id", UUID(as_uuid=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("role_id", "parent_id", name=op.f("pk_role_parents")),
        sa.ForeignKeyConstraint(
            ["role_id"],
            [f"{SCHEMA}.roles.id"],
            name=op.f("fk_role_parents_role_id_roles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            [f"{SCHEMA}.roles.id"],
            name=op.f("fk_role_parents_parent_id_roles"),
            ondelete="CASCADE",
        ),
        schema=SCHEMA,
    )
    op.create_index(op.f("ix_role_parents_parent_id"), "role_parents", ["parent_id"], schema=SCHEMA)


def upgrade() -> None:
    _audit_events()
    _api_keys()
    _role_parents()


def downgrade() -> None:
    op.drop_table("role_parents", schema=SCHEMA)
    op.drop_table("api_keys", schema=SCHEMA)
    op.drop_table("audit_events", schema=SCHEMA)
