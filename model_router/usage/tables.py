"""The ``usage_records`` table (migration 0003): one row per model request."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, DateTime, Float, Index, Integer, Table, Text, text
from sqlalchemy.dialects.postgresql import JSONB, UUID

from model_router.store import metadata

__all__ = ["TEXT_COLUMNS", "TOKEN_COLUMNS", "usage_records"]

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
