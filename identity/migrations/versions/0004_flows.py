"""Flows: password-reset tokens, OAuth account links, TOTP secrets and recovery codes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "identity"


def _uuid_pk() -> sa.Column:
    return sa.Column("id", UUID(as_uuid=True), server_default=sa.text("gen_random_uuid()"), nullable=False)


def _stamp(name: str, *, default: bool = True) -> sa.Column:
    if default:
        return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False)
    return sa.Column(name, sa.DateTime(timezone=True), nullable=True)


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"], [f"{SCHEMA}.users.id"], name=op.f(f"fk_{table}_user_id_users"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "password_reset_tokens",
        _uuid_pk(),
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(), nullable=False),
        _stamp("created_at"),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        _stamp("used_at", default=False),
        sa.Column("requested_ip", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_reset_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_reset_tokens_token_hash")),
        _user_fk("password_reset_tokens"),
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_password_reset_tokens_user_id_created_at"),
        "password_reset_tokens",
        ["user_id", "created_at"],
        schema=SCHEMA,
    )
    op.create_table(
        "oauth_links",
        _uuid_pk(),
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("provider", sa.Text(), nullable=False),
        sa.Column("provider_user_id", sa.Text(), nullable=False),
        sa.Column("provider_email", sa.Text(), nullable=True),
        sa.Column("provider_username", sa.Text(), nullable=True),
        sa.Column("access_token_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("refresh_token_encrypted", sa.LargeBinary(), nullable=True),
        _stamp("token_expires_at", default=False),
        _stamp("created_at"),
        _stamp("updated_at"),
        _stamp("last_login_at", default=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_links")),
        sa.UniqueConstraint(
            "provider", "provider_user_id", name=op.f("uq_oauth_links_provider_provider_user_id")
        ),
        sa.UniqueConstraint("user_id", "provider", name=op.f("uq_oauth_links_user_id_provider")),
        sa.CheckConstraint(
            "provider IN ('github', 'google', 'wechat')", name=op.f("ck_oauth_links_provider_known")
        ),
        _user_fk("oauth_links"),
        schema=SCHEMA,
    )
    op.create_table(
        "mfa_totp",
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("secret_encrypted", sa.LargeBinary(), nullable=False),
        _stamp("confirmed_at", default=False),
        sa.Column("last_used_step", sa.BigInteger(), nullable=True),
        _stamp("created_at"),
        _stamp("updated_at"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_mfa_totp")),
        _user_fk("mfa_totp"),
        schema=SCHEMA,
    )
    op.create_table(
        "mfa_recovery_codes",
        _uuid_pk(),
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("code_hash", sa.LargeBinary(), nullable=False),
        _stamp("used_at", default=False),
        _stamp("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mfa_recovery_codes")),
        sa.UniqueConstraint("user_id", "code_hash", name=op.f("uq_mfa_recovery_codes_user_id_code_hash")),
        _user_fk("mfa_recovery_codes"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("mfa_recovery_codes", schema=SCHEMA)
    op.drop_table("mfa_totp", schema=SCHEMA)
    op.drop_table("oauth_links", schema=SCHEMA)
    op.drop_index(
        op.f("ix_password_reset_tokens_user_id_created_at"), table_name="password_reset_tokens", schema=SCHEMA
    )
    op.drop_table("password_reset_tokens", schema=SCHEMA)
