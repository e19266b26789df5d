"""Signup policy per tenant, and email verification tokens.

Existing tenants other than ``default`` become invite-only: self-registration into
them was an open door nobody chose (issue 10).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "identity"


def upgrade() -> None:
    op.add_column(
        "tenants",
        sa.Column("signup_mode", sa.Text(), server_default="invite_only", nullable=False),
        schema=SCHEMA,
    )
    op.add_column(
        "tenants",
        sa.Column(
            "signup_domains", sa.ARRAY(sa.Text()), server_default=sa.text("'{}'::text[]"), nullable=False
        ),
        schema=SCHEMA,
    )
    op.add_column("tenants", sa.Column("signup_role", sa.Text(), nullable=True), schema=SCHEMA)
    op.create_check_constraint(
        op.f("ck_tenants_signup_mode_known"),
        "tenants",
        "signup_mode IN ('open', 'invite_only', 'email_domains')",
        schema=SCHEMA,
    )
    op.execute(f"UPDATE {SCHEMA}.tenants SET signup_mode = 'open' WHERE slug = 'default'")
    op.create_table(
        "email_verification_tokens",
        sa.Column("id", UUID(as_uuid=True), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_verification_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_email_verification_tokens_token_hash")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            [f"{SCHEMA}.users.id"],
            name=op.f("fk_email_verification_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_email_verification_tokens_user_id_created_at"),
        "email_verification_tokens",
        ["user_id", "created_at"],
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_email_verification_tokens_user_id_created_at"),
        table_name="email_verification_tokens",
        schema=SCHEMA,
    )
    op.drop_table("email_verification_tokens", schema=SCHEMA)
    op.drop_constraint(op.f("ck_tenants_signup_mode_known"), "tenants", schema=SCHEMA)
    for column in ("signup_role", "signup_domains", "signup_mode"):
        op.drop_column("tenants", column, schema=SCHEMA)
