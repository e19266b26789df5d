"""Accounts and tokens: tenant status and limits, profile columns, sessions, refresh tokens, signing keys.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "identity"


def _now(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False)


def _tenants_and_users() -> None:
    op.add_column("tenants", sa.Column("max_users", sa.Integer(), nullable=True), schema=SCHEMA)
    op.add_column(
        "tenants", sa.Column("status", sa.Text(), server_default="active", nullable=False), schema=SCHEMA
    )
    op.add_column(
        "tenants", sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True), schema=SCHEMA
    )
    op.create_check_constraint(
        op.f("ck_tenants_max_users_non_negative"), "tenants", "max_users >= 0", schema=SCHEMA
    )
    op.create_check_constraint(
        op.f("ck_tenants_status_known"),
        "tenants",
        "status IN ('active', 'suspended', 'deleted')",
        schema=SCHEMA,
    )
    op.create_check_constraint(
        op.f("ck_tenants_deleted_at_matches_status"),
        "tenants",
        "(status = 'deleted') = (deleted_at IS NOT NULL)",
        schema=SCHEMA,
    )
    op.add_column("users", sa.Column("locale", sa.Text(), server_default="", nullable=False), schema=SCHEMA)
    op.add_column(
        "users",
        sa.Column("email_verified", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        schema=SCHEMA,
    )
    op.add_column(
        "users", sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True), schema=SCHEMA
    )
    op.create_index(
        op.f("ix_users_tenant_id_created_at_id"), "users", ["tenant_id", "created_at", "id"], schema=SCHEMA
    )


def _sessions() -> None:
    op.create_table(
        "sessions",
        sa.Column("id", UUID(as_uuid=True), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("ip_address", sa.Text(), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column("mfa_verified", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        _now("created_at"),
        _now("last_refresh_at"),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("access_jti", sa.Text(), nullable=True),
        sa.Column("access_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            [f"{SCHEMA}.tenants.id"],
            name=op.f("fk_sessions_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], [f"{SCHEMA}.users.id"], name=op.f("fk_sessions_user_id_users"), ondelete="CASCADE"
        ),
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_sessions_user_id_created_at"), "sessions", ["user_id", "created_at"], schema=SCHEMA
    )
    op.create_table(
        "refresh_tokens",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("session_id", UUID(as_uuid=True), nullable=False),
        _now("created_at"),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_tokens")),
        sa.ForeignKeyConstraint(
            ["session_id"],
            [f"{SCHEMA}.sessions.id"],
            name=op.f("fk_refresh_tokens_session_id_sessions"),
            ondelete="CASCADE",
        ),
        schema=SCHEMA,
    )
    op.create_index(op.f("ix_refresh_tokens_session_id"), "refresh_tokens", ["session_id"], schema=SCHEMA)


def _signing_keys() -> None:
    op.create_table(
        "signing_keys",
        sa.Column("kid", sa.Text(), nullable=False),
        sa.Column("algorithm", sa.Text(), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("private_key_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.Text(), server_default="active", nullable=False),
        _now("created_at"),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_signing_keys")),
        sa.CheckConstraint("status IN ('active', 'retired')", name=op.f("ck_signing_keys_status_known")),
        sa.CheckConstraint(
            "(status = 'retired') = (retired_at IS NOT NULL)",
            name=op.f("ck_signing_keys_retired_at_matches_status"),
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "uq_signing_keys_active",
        "signing_keys",
        ["status"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("status = 'active'"),
    )


def upgrade() -> None:
    _tenants_and_users()
    _sessions()
    _signing_keys()


def downgrade() -> None:
    op.drop_table("signing_keys", schema=SCHEMA)
    op.drop_table("refresh_tokens", schema=SCHEMA)
    op.drop_table("sessions", schema=SCHEMA)
    op.drop_index(op.f("ix_users_tenant_id_created_at_id"), table_name="users", schema=SCHEMA)
    for column in ("last_login_at", "email_verified", "locale"):
        op.drop_column("users", column, schema=SCHEMA)
    for name in ("deleted_at_matches_status", "status_known", "max_users_non_negative"):
        op.drop_constraint(op.f(f"ck_tenants_{name}"), "tenants", type_="check", schema=SCHEMA)
    for column in ("deleted_at", "status", "max_users"):
        op.drop_column("tenants", column, schema=SCHEMA)
