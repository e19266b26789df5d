"""Initial identity schema: tenants, users, roles, user_roles and the outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

from mesh.migrate import create_outbox, drop_outbox

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "identity"


def _id() -> sa.Column:
    return sa.Column("id", UUID(as_uuid=True), server_default=sa.text("gen_random_uuid()"), nullable=False)


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    ]


def upgrade() -> None:
    create_outbox(SCHEMA)
    op.create_table(
        "tenants",
        _id(),
        sa.Column("slug", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("tokens_per_month", sa.BigInteger(), nullable=True),
        sa.Column("requests_per_minute", sa.Integer(), nullable=True),
        sa.Column("storage_bytes", sa.BigInteger(), nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenants")),
        sa.UniqueConstraint("slug", name=op.f("uq_tenants_slug")),
        sa.CheckConstraint("tokens_per_month >= 0", name=op.f("ck_tenants_tokens_per_month_non_negative")),
        sa.CheckConstraint(
            "requests_per_minute >= 0", name=op.f("ck_tenants_requests_per_minute_non_negative")
        ),
        sa.CheckConstraint("storage_bytes >= 0", name=op.f("ck_tenants_storage_bytes_non_negative")),
        schema=SCHEMA,
    )
    op.create_table(
        "users",
        _id(),
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("display_name", sa.Text(), server_default="", nullable=False),
        sa.Column("avatar_url", sa.Text(), nullable=True),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), server_default="active", nullable=False),
        *_timestamps(),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            [f"{SCHEMA}.tenants.id"],
            name=op.f("fk_users_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.CheckConstraint("status IN ('active', 'disabled', 'deleted')", name=op.f("ck_users_status_known")),
        sa.CheckConstraint(
            "(status = 'deleted') = (deleted_at IS NOT NULL)", name=op.f("ck_users_deleted_at_matches_status")
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "uq_users_tenant_id_lower_email",
        "users",
        ["tenant_id", sa.text("lower(email)")],
        unique=True,
        schema=SCHEMA,
    )
    op.create_table(
        "roles",
        _id(),
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("permissions", sa.ARRAY(sa.Text()), server_default=sa.text("'{}'::text[]"), nullable=False),
        sa.Column("parent_id", UUID(as_uuid=True), nullable=True),
        sa.Column("built_in", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roles")),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            [f"{SCHEMA}.tenants.id"],
            name=op.f("fk_roles_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], [f"{SCHEMA}.roles.id"], name=op.f("fk_roles_parent_id_roles"), ondelete="SET NULL"
        ),
        sa.UniqueConstraint(
            "tenant_id", "name", name=op.f("uq_roles_tenant_id_name"), postgresql_nulls_not_distinct=True
        ),
        sa.CheckConstraint("NOT built_in OR tenant_id IS NULL", name=op.f("ck_roles_built_in_is_global")),
        schema=SCHEMA,
    )
    op.create_table(
        "user_roles",
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("role_id", UUID(as_uuid=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "role_id", name=op.f("pk_user_roles")),
        sa.ForeignKeyConstraint(
            ["user_id"], [f"{SCHEMA}.users.id"], name=op.f("fk_user_roles_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["role_id"], [f"{SCHEMA}.roles.id"], name=op.f("fk_user_roles_role_id_roles"), ondelete="CASCADE"
        ),
        schema=SCHEMA,
    )
    op.create_index(op.f("ix_user_roles_role_id"), "user_roles", ["role_id"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_table("user_roles", schema=SCHEMA)
    op.drop_table("roles", schema=SCHEMA)
    op.drop_table("users", schema=SCHEMA)
    op.drop_table("tenants", schema=SCHEMA)
    drop_outbox(SCHEMA)
