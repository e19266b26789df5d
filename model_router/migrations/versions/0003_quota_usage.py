"""Quota accounts, reservations and ledger; model prices with history; group multipliers; usage records.

Amounts are quota units (1 unit = one millionth of the billing currency), stored as BIGINT.
A limited account can never go below zero (``ck_quota_accounts_balance_covered``); the
engine's conditional updates keep it so, the constraint is the last line of defence.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "model_router"


def _now() -> sa.TextClause:
    return sa.text("now()")


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=None if nullable else _now(), nullable=nullable
    )


def _text(name: str) -> sa.Column:
    return sa.Column(name, sa.Text(), server_default="", nullable=False)


def _bigint(name: str) -> sa.Column:
    return sa.Column(name, sa.BigInteger(), server_default=sa.text("0"), nullable=False)


def _integer(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer(), server_default=sa.text("0"), nullable=False)


def _quota_tables() -> None:
    op.create_table(
        "quota_accounts",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Text(), nullable=False),
        _text("tenant_id"),
        _bigint("balance"),
        _bigint("reserved"),
        _bigint("used"),
        sa.Column("unlimited", sa.Boolean(), server_default=sa.false(), nullable=False),
        _bigint("low_balance_threshold"),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quota_accounts")),
        sa.CheckConstraint(
            "kind IN ('tenant', 'api_key', 'user')", name=op.f("ck_quota_accounts_kind_known")
        ),
        sa.CheckConstraint("unlimited OR balance >= 0", name=op.f("ck_quota_accounts_balance_covered")),
        sa.CheckConstraint("reserved >= 0", name=op.f("ck_quota_accounts_reserved_non_negative")),
        schema=SCHEMA,
    )
    op.create_index("ix_quota_accounts_tenant_id", "quota_accounts", ["tenant_id"], schema=SCHEMA)
    op.create_table(
        "quota_reservations",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("request_id", sa.Text(), nullable=False),
        _text("tenant_id"),
        _text("api_key_id"),
        _text("user_id"),
        sa.Column("account_ids", sa.ARRAY(sa.Text()), server_default=sa.text("'{}'::text[]"), nullable=False),
        _bigint("reserved_amount"),
        _bigint("settled_amount"),
        _bigint("refunded_amount"),
        _bigint("shortfall"),
        sa.Column("state", sa.Text(), server_default="reserved", nullable=False),
        _text("model"),
        _text("reason"),
        _timestamp("created_at"),
        sa.Column("expire_at", sa.DateTime(timezone=True), nullable=False),
        _timestamp("closed_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quota_reservations")),
        sa.UniqueConstraint("request_id", name=op.f("uq_quota_reservations_request_id")),
        sa.CheckConstraint(
            "state IN ('reserved', 'settled', 'refunded', 'expired')",
            name=op.f("ck_quota_reservations_state_known"),
        ),
        sa.CheckConstraint("reserved_amount >= 0", name=op.f("ck_quota_reservations_amount_non_negative")),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_quota_reservations_open_expire_at",
        "quota_reservations",
        ["expire_at"],
        schema=SCHEMA,
        postgresql_where=sa.text("state = 'reserved'"),
    )
    op.create_table(
        "quota_ledger",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("balance_after", sa.BigInteger(), nullable=False),
        sa.Column("reservation_id", UUID(as_uuid=True), nullable=True),
        _text("request_id"),
        _text("reason"),
        _text("actor_user_id"),
        sa.Column("idempotency_key", sa.Text(), nullable=True),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quota_ledger")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            [f"{SCHEMA}.quota_accounts.id"],
            name=op.f("fk_quota_ledger_account_id_quota_accounts"),
        ),
        sa.CheckConstraint(
            "kind IN ('reserve', 'settle', 'refund', 'expire', 'adjust')",
            name=op.f("ck_quota_ledger_kind_known"),
        ),
        schema=SCHEMA,
    )
    op.create_index("ix_quota_ledger_account_id_id", "quota_ledger", ["account_id", "id"], schema=SCHEMA)
    op.create_index(
        "uq_quota_ledger_account_id_idempotency_key",
        "quota_ledger",
        ["account_id", "idempotency_key"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("idempotency_key IS NOT NULL"),
    )


def _price_columns() -> list[sa.Column]:
    return [
        sa.Column("model", sa.Text(), nullable=False),
        _bigint("input_price"),
        _bigint("output_price"),
        _bigint("cached_input_price"),
        _bigint("request_price"),
        sa.Column("effective_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        _text("description"),
    ]


def _price_tables() -> None:
    op.create_table(
        "model_prices",
        sa.Column("id", UUID(as_uuid=True), server_default=sa.text("gen_random_uuid()"), nullable=False),
        *_price_columns(),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        _timestamp("deleted_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_prices")),
        schema=SCHEMA,
    )
    op.create_index(
        "uq_model_prices_model_live",
        "model_prices",
        ["model"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_table(
        "model_price_history",
        sa.Column("version", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("price_id", UUID(as_uuid=True), nullable=False),
        *_price_columns(),
        sa.Column("action", sa.Text(), nullable=False),
        _timestamp("recorded_at"),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_model_price_history")),
        sa.ForeignKeyConstraint(
            ["price_id"],
            [f"{SCHEMA}.model_prices.id"],
            name=op.f("fk_model_price_history_price_id_model_prices"),
        ),
        sa.CheckConstraint(
            "action IN ('create', 'update', 'delete')", name=op.f("ck_model_price_history_action_known")
        ),
        schema=SCHEMA,
    )
    op.create_index("ix_model_price_history_price_id", "model_price_history", ["price_id"], schema=SCHEMA)
    op.create_table(
        "group_multipliers",
        sa.Column("group_id", sa.Text(), nullable=False),
        sa.Column("multiplier", sa.Numeric(), nullable=False),
        _text("description"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("group_id", name=op.f("pk_group_multipliers")),
        sa.CheckConstraint("multiplier >= 0", name=op.f("ck_group_multipliers_non_negative")),
        schema=SCHEMA,
    )


def _usage_table() -> None:
    op.create_table(
        "usage_records",
        sa.Column("request_id", sa.Text(), nullable=False),
        *(
            _text(name)
            for name in (
                "tenant_id",
                "user_id",
                "api_key_id",
                "endpoint",
                "model",
                "upstream_model",
                "channel_id",
                "routing_rule_id",
                "arm",
                "status",
                "error_code",
                "error_message",
                "source",
                "conversation_id",
                "generation_id",
            )
        ),
        *(
            _integer(name)
            for name in ("prompt_tokens", "completion_tokens", "cached_tokens", "reasoning_tokens")
        ),
        _bigint("cost"),
        sa.Column("latency_seconds", sa.Float(), server_default=sa.text("0"), nullable=False),
        sa.Column("ttft_seconds", sa.Float(), nullable=True),
        _integer("retries"),
        sa.Column("attempts", JSONB(), server_default=sa.text("'[]'::jsonb"), nullable=False),
        sa.Column("stream", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("usage_estimated", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("reservation_id", UUID(as_uuid=True), nullable=True),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_usage_records")),
        schema=SCHEMA,
    )
    op.create_index("ix_usage_records_created_at", "usage_records", ["created_at"], schema=SCHEMA)
    op.create_index(
        "ix_usage_records_tenant_id_created_at", "usage_records", ["tenant_id", "created_at"], schema=SCHEMA
    )


def upgrade() -> None:
    _quota_tables()
    _price_tables()
    _usage_table()


def downgrade() -> None:
    for table in (
        "usage_records",
        "group_multipliers",
        "model_price_history",
        "model_prices",
        "quota_ledger",
        "quota_reservations",
        "quota_accounts",
    ):
        op.drop_table(table, schema=SCHEMA)
