"""SQLAlchemy Core tables of quota accounts, reservations, ledger, prices and group multipliers.

They join model_router's metadata (``model_router.store.metadata``); migration 0003 creates them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Numeric,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import UUID

from model_router.store import metadata

__all__ = [
    "group_multipliers",
    "model_price_history",
    "model_prices",
    "quota_accounts",
    "quota_ledger",
    "quota_reservations",
]


def _units(name: str) -> Column[Any]:
    return Column(name, BigInteger, nullable=False, server_default=text("0"))


def _text(name: str) -> Column[Any]:
    return Column(name, Text, nullable=False, server_default="")


def _at(name: str, *, nullable: bool = False) -> Column[Any]:
    return Column(
        name, DateTime(timezone=True), nullable=nullable, server_default=None if nullable else text("now()")
    )


quota_accounts = Table(
    "quota_accounts",
    metadata,
    Column("id", Text, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("owner_id", Text, nullable=False),
    _text("tenant_id"),
    _units("balance"),
    _units("reserved"),
    _units("used"),
    Column("unlimited", Boolean, nullable=False, server_default=text("false")),
    _units("low_balance_threshold"),
    _at("created_at"),
    _at("updated_at"),
    Index("ix_quota_accounts_tenant_id", "tenant_id"),
)

quota_reservations = Table(
    "quota_reservations",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("request_id", Text, nullable=False, unique=True),
    _text("tenant_id"),
    _text("api_key_id"),
    _text("user_id"),
    Column("account_ids", ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")),
    _units("reserved_amount"),
    _units("settled_amount"),
    _units("refunded_amount"),
    _units("shortfall"),
    Column("state", Text, nullable=False, server_default="reserved"),
    _text("model"),
    _text("reason"),
    _at("created_at"),
    Column("expire_at", DateTime(timezone=True), nullable=False),
    _at("closed_at", nullable=True),
    Index("ix_quota_reservations_open_expire_at", "expire_at", postgresql_where=text("state = 'reserved'")),
)

quota_ledger = Table(
    "quota_ledger",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("account_id", Text, ForeignKey(quota_accounts.c.id), nullable=False),
    Column("kind", Text, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("balance_after", BigInteger, nullable=False),
    Column("reservation_id", UUID(as_uuid=True), nullable=True),
    _text("request_id"),
    _text("reason"),
    _text("actor_user_id"),
    Column("idempotency_key", Text, nullable=True),
    _at("created_at"),
    Index("ix_quota_ledger_account_id_id", "account_id", "id"),
    Index(
        "uq_quota_ledger_account_id_idempotency_key",
        "account_id",
        "idempotency_key",
        unique=True,
        postgresql_where=text("idempotency_key IS NOT NULL"),
    ),
)


def _price_columns() -> list[Column[Any]]:
    return [
        Column("model", Text, nullable=False),
        _units("input_price"),
        _units("output_price"),
        _units("cached_input_price"),
        _units("request_price"),
        Column("effective_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
        _text("description"),
    ]


model_prices = Table(
    "model_prices",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    *_price_columns(),
    _at("created_at"),
    _at("updated_at"),
    _at("deleted_at", nullable=True),
    Index("uq_model_prices_model_live", "model", unique=True, postgresql_where=text("deleted_at IS NULL")),
)

model_price_history = Table(
    "model_price_history",
    metadata,
    Column("version", BigInteger, Identity(always=True), primary_key=True),
    Column("price_id", UUID(as_uuid=True), ForeignKey(model_prices.c.id), nullable=False, index=True),
    *_price_columns(),
    Column("action", Text, nullable=False),
    _at("recorded_at"),
)

group_multipliers = Table(
    "group_multipliers",
    metadata,
    Column("group_id", Text, primary_key=True),
    Column("multiplier", Numeric, nullable=False),
    _text("description"),
    _at("updated_at"),
)
