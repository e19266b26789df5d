"""model_router's one MetaData (schema ``model_router``): every table the migrations create.

One module so the migration drift test compares one MetaData to the revisions, and a
newcomer finds a table's columns without knowing which feature wrote it first. Queries
live next to this file, one module per thing stored (channels, health, quota, …).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from mesh.db import outbox_table, service_metadata

metadata = service_metadata("model_router")
outbox = outbox_table(metadata)

# Channels and their upstream keys (migrations 0001, 0002).
CHANNEL_STATUSES = ("enabled", "manually_disabled", "auto_disabled")
KEY_STATUSES = ("active", "cooling_down", "disabled")

channels = Table(
    "channels",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("name", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("base_url", Text, nullable=False),
    Column("status", Text, nullable=False, server_default="enabled"),
    Column("status_reason", Text, nullable=True),
    Column("priority", Integer, nullable=False, server_default=text("0")),
    Column("weight", Integer, nullable=False, server_default=text("1")),
    Column("groups", ARRAY(Text), nullable=False, server_default=text("'{default}'::text[]")),
    Column("models", ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")),
    Column("model_mapping", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("abilities", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("test_model", Text, nullable=True),
    Column("used_quota", BigInteger, nullable=False, server_default=text("0")),
    Column("balance", Numeric, nullable=True),
    Column("description", Text, nullable=False, server_default=""),
    Column("tags", ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")),
    Column("settings", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("timeout_ms", Integer, nullable=True),
    Column("rpm_limit", Integer, nullable=False, server_default=text("0")),
    Column("tpm_limit", BigInteger, nullable=False, server_default=text("0")),
    Column("key_selection", Text, nullable=False, server_default="random"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("name"),
    CheckConstraint("status IN ('enabled', 'manually_disabled', 'auto_disabled')", name="status_known"),
    CheckConstraint("weight >= 0", name="weight_non_negative"),
    CheckConstraint("key_selection IN ('random', 'round_robin')", name="key_selection_known"),
)

channel_keys = Table(
    "channel_keys",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("channel_id", UUID(as_uuid=True), ForeignKey(channels.c.id, ondelete="CASCADE"), nullable=False),
    Column("key_ciphertext", LargeBinary, nullable=False),
    Column("key_fingerprint", LargeBinary, nullable=False),
    Column("key_hint", Text, nullable=False, server_default=""),
    Column("status", Text, nullable=False, server_default="active"),
    Column("cooldown_until", DateTime(timezone=True), nullable=True),
    Column("reason", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("channel_id", "key_fingerprint"),
    CheckConstraint("status IN ('active', 'cooling_down', 'disabled')", name="status_known"),
    Index(None, "channel_id"),
)

# Channel health history and last tests (migration 0004).
EVENT_SOURCES = ("probe", "traffic", "manual", "keys")

channel_health_events = Table(
    "channel_health_events",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("channel_id", UUID(as_uuid=True), ForeignKey(channels.c.id, ondelete="CASCADE"), nullable=False),
    Column("from_status", Text, nullable=False),
    Column("to_status", Text, nullable=False),
    Column("from_circuit", Text, nullable=False),
    Column("to_circuit", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("reason", Text, nullable=False, server_default=""),
    Column("http_status", Integer, nullable=False, server_default=text("0")),
    Column("actor_user_id", Text, nullable=False, server_default=""),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.clock_timestamp()),
    CheckConstraint("source IN ('probe', 'traffic', 'manual', 'keys')", name="source_known"),
)
# Newest-first history, overall and per channel (keyset pages on created_at, id).
Index(
    "ix_channel_health_events_created_at",
    channel_health_events.c.created_at.desc(),
    channel_health_events.c.id.desc(),
)
Index(
    "ix_channel_health_events_channel_id_created_at",
    channel_health_events.c.channel_id,
    channel_health_events.c.created_at.desc(),
    channel_health_events.c.id.desc(),
)

channel_tests = Table(
    "channel_tests",
    metadata,
    Column(
        "channel_id",
        UUID(as_uuid=True),
        ForeignKey(channels.c.id, ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("tested_at", DateTime(timezone=True), nullable=False),
    Column("latency_ms", Integer, nullable=False),
    Column("success", Boolean, nullable=False),
)

# A/B routing rules (migration 0005); arms are a JSONB array, a rule is read and written whole.
routing_rules = Table(
    "routing_rules",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("name", Text, nullable=False, unique=True),
    Column("model_alias", Text, nullable=False, index=True),
    Column("arms", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("sticky", Boolean, nullable=False, server_default=text("true")),
    Column("groups", ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")),
    Column("enabled", Boolean, nullable=False, server_default=text("true")),
    Column("priority", Integer, nullable=False, server_default=text("0")),
    Column("description", Text, nullable=False, server_default=""),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


# Quota accounts, reservations, ledger, prices and group multipliers (migration 0003).
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


# One row per model request (migration 0003).
TEXT_COLUMNS = (
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
TOKEN_COLUMNS = ("prompt_tokens", "completion_tokens", "cached_tokens", "reasoning_tokens")

usage_records = Table(
    "usage_records",
    metadata,
    Column("request_id", Text, primary_key=True),
    *(Column(name, Text, nullable=False, server_default="") for name in TEXT_COLUMNS),
    *(Column(name, Integer, nullable=False, server_default=text("0")) for name in TOKEN_COLUMNS),
    Column("cost", BigInteger, nullable=False, server_default=text("0")),
    Column("latency_seconds", Float, nullable=False, server_default=text("0")),
    Column("ttft_seconds", Float, nullable=True),
    Column("retries", Integer, nullable=False, server_default=text("0")),
    Column("attempts", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("stream", Boolean, nullable=False, server_default=text("false")),
    Column("usage_estimated", Boolean, nullable=False, server_default=text("false")),
    Column("reservation_id", UUID(as_uuid=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Index("ix_usage_records_created_at", "created_at"),
    Index("ix_usage_records_tenant_id_created_at", "tenant_id", "created_at"),
)
