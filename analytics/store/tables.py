"""analytics's tables (schema ``analytics``), mirroring ``analytics/migrations``.

- ``usage_events``: one row per model request, range-partitioned by ``occurred_at`` into one
  partition per UTC day (created ahead and dropped by retention, see store.partitions).
  Read only by request-log exports; dashboards never scan it.
- ``usage_rollup_{minute,hour,day}``: counters per bucket, cube and dimension key (see
  domain.facts.CUBES), updated in place by every ingested request. Latency and TTFT
  sketches are fixed log-bucket histograms (domain.sketch) merged by ``analytics.hist_add``
  / ``analytics.hist_sum``.
- ``processed_events``: event ids already applied, inserted in the same transaction as the
  rollup upserts, which is what makes a replayed event change nothing.
- ``activity_daily``: per-day counts of other services' events (conversations, users, ...).
- ``alert_rules`` / ``alert_events``: threshold alerts and their incidents.
- ``budgets`` / ``budget_notices``: spend budgets, and which threshold of which period was
  already announced (the primary key makes each announcement happen once).
- ``reports`` / ``report_chunks``: report jobs and their files, kept in pieces until they expire.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Double,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    SmallInteger,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from analytics.domain.facts import DIMENSIONS
from mesh.db import outbox_table, service_metadata

__all__ = [
    "ROLLUPS",
    "activity_daily",
    "alert_events",
    "alert_rules",
    "budget_notices",
    "budgets",
    "metadata",
    "outbox",
    "processed_events",
    "report_chunks",
    "reports",
    "usage_events",
]

metadata = service_metadata("analytics")
outbox = outbox_table(metadata)

processed_events = Table(
    "processed_events",
    metadata,
    Column("event_id", Text, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("processed_at", DateTime(timezone=True), server_default=text("now()"), nullable=False),
    PrimaryKeyConstraint("event_id", name="pk_processed_events"),
    Index("ix_processed_events_processed_at", "processed_at"),
)


def _text(name: str) -> Column[str]:
    return Column(name, Text, server_default="", nullable=False)


def _count(name: str) -> Column[int]:
    return Column(name, BigInteger, server_default=text("0"), nullable=False)


usage_events = Table(
    "usage_events",
    metadata,
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("event_id", Text, nullable=False),
    Column("request_id", Text, nullable=False),
    *(_text(name) for name in DIMENSIONS),
    _text("upstream_model"),
    _text("routing_rule_id"),
    _text("kind"),
    _text("conversation_id"),
    _text("generation_id"),
    Column("stream", Boolean, server_default=text("false"), nullable=False),
    Column("estimated", Boolean, server_default=text("false"), nullable=False),
    _count("prompt_tokens"),
    _count("completion_tokens"),
    _count("cached_tokens"),
    _count("reasoning_tokens"),
    _count("cost"),
    Column("latency_ms", Double, server_default=text("0"), nullable=False),
    Column("ttft_ms", Double, nullable=True),
    Column("retries", Integer, server_default=text("0"), nullable=False),
    PrimaryKeyConstraint("occurred_at", "event_id", name="pk_usage_events"),
    Index("ix_usage_events_tenant_time", "tenant_id", "occurred_at"),
    postgresql_partition_by="RANGE (occurred_at)",
)


def _rollup(tier: str) -> Table:
    name = f"usage_rollup_{tier}"
    return Table(
        name,
        metadata,
        Column("bucket_start", DateTime(timezone=True), nullable=False),
        Column("cube", SmallInteger, server_default=text("0"), nullable=False),
        *(_text(dimension) for dimension in DIMENSIONS),
        _count("requests"),
        _count("failed_requests"),
        _count("cancelled_requests"),
        _count("prompt_tokens"),
        _count("completion_tokens"),
        _count("cached_tokens"),
        _count("reasoning_tokens"),
        _count("cost"),
        Column("latency_ms_sum", Double, server_default=text("0"), nullable=False),
        _count("ttft_count"),
        Column("latency_hist", ARRAY(BigInteger), server_default=text("'{}'::bigint[]"), nullable=False),
        Column("ttft_hist", ARRAY(BigInteger), server_default=text("'{}'::bigint[]"), nullable=False),
        PrimaryKeyConstraint("bucket_start", "cube", *DIMENSIONS, name=f"pk_{name}"),
        Index(f"ix_{name}_tenant_time", "cube", "tenant_id", "bucket_start"),
        Index(f"ix_{name}_user_time", "cube", "tenant_id", "user_id", "bucket_start"),
    )


ROLLUPS: dict[str, Table] = {tier: _rollup(tier) for tier in ("minute", "hour", "day")}

activity_daily = Table(
    "activity_daily",
    metadata,
    Column("day", Date, nullable=False),
    Column("tenant_id", Text, nullable=False),
    Column("user_id", Text, nullable=False),
    Column("metric", Text, nullable=False),
    _count("count"),
    PrimaryKeyConstraint("day", "tenant_id", "user_id", "metric", name="pk_activity_daily"),
)

alert_rules = Table(
    "alert_rules",
    metadata,
    Column("id", UUID(as_uuid=True), server_default=text("gen_random_uuid()"), nullable=False),
    Column("tenant_id", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("description", Text, server_default="", nullable=False),
    Column("metric", Text, nullable=False),
    Column("filter", JSONB, server_default=text("'{}'::jsonb"), nullable=False),
    Column("comparison", Text, nullable=False),
    Column("threshold", Double, nullable=False),
    Column("window_seconds", Integer, nullable=False),
    Column("evaluation_seconds", Integer, nullable=False),
    Column("cooldown_seconds", Integer, nullable=False),
    Column("targets", JSONB, server_default=text("'[]'::jsonb"), nullable=False),
    Column("enabled", Boolean, server_default=text("true"), nullable=False),
    Column("state", Text, server_default="ok", nullable=False),
    Column("last_value", Double, server_default=text("0"), nullable=False),
    Column("last_evaluated_at", DateTime(timezone=True), nullable=True),
    Column("last_notified_at", DateTime(timezone=True), nullable=True),
    Column("open_event_id", UUID(as_uuid=True), nullable=True),
    Column("created_by", Text, server_default="", nullable=False),
    Column("created_at", DateTime(timezone=True), server_default=text("now()"), nullable=False),
    Column("updated_at", DateTime(timezone=True), server_default=text("now()"), nullable=False),
    Column("etag", Integer, server_default=text("1"), nullable=False),
    PrimaryKeyConstraint("id", name="pk_alert_rules"),
    Index("uq_alert_rules_tenant_name", "tenant_id", "name", unique=True),
)

alert_events = Table(
    "alert_events",
    metadata,
    Column("id", UUID(as_uuid=True), server_default=text("gen_random_uuid()"), nullable=False),
    Column("tenant_id", Text, nullable=False),
    Column("rule_id", UUID(as_uuid=True), nullable=False),
    Column("rule_name", Text, nullable=False),
    Column("metric", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("value", Double, nullable=False),
    Column("threshold", Double, nullable=False),
    Column("peak_value", Double, nullable=False),
    Column("fired_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True), nullable=True),
    Column("notification_ids", ARRAY(Text), server_default=text("'{}'::text[]"), nullable=False),
    PrimaryKeyConstraint("id", name="pk_alert_events"),
    Index("ix_alert_events_tenant_fired", "tenant_id", "fired_at"),
)

budgets = Table(
    "budgets",
    metadata,
    Column("id", UUID(as_uuid=True), server_default=text("gen_random_uuid()"), nullable=False),
    Column("tenant_id", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("scope", Text, nullable=False),
    Column("subject_id", Text, server_default="", nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("period", Text, nullable=False),
    Column("thresholds", ARRAY(Double), nullable=False),
    Column("targets", JSONB, server_default=text("'[]'::jsonb"), nullable=False),
    Column("spent", BigInteger, server_default=text("0"), nullable=False),
    Column("period_start", DateTime(timezone=True), nullable=True),
    Column("last_evaluated_at", DateTime(timezone=True), nullable=True),
    Column("created_by", Text, server_default="", nullable=False),
    Column("created_at", DateTime(timezone=True), server_default=text("now()"), nullable=False),
    PrimaryKeyConstraint("id", name="pk_budgets"),
    Index("uq_budgets_tenant_name", "tenant_id", "name", unique=True),
)

budget_notices = Table(
    "budget_notices",
    metadata,
    Column("budget_id", UUID(as_uuid=True), nullable=False),
    Column("period_start", DateTime(timezone=True), nullable=False),
    Column("threshold", Double, nullable=False),
    Column("spent", BigInteger, nullable=False),
    Column("notified_at", DateTime(timezone=True), server_default=text("now()"), nullable=False),
    PrimaryKeyConstraint("budget_id", "period_start", "threshold", name="pk_budget_notices"),
)

reports = Table(
    "reports",
    metadata,
    Column("id", UUID(as_uuid=True), server_default=text("gen_random_uuid()"), nullable=False),
    Column("tenant_id", Text, nullable=False),
    Column("requested_by", Text, nullable=False),
    Column("spec", LargeBinary, nullable=False),
    Column("scope", JSONB, server_default=text("'{}'::jsonb"), nullable=False),
    Column("state", Text, server_default="pending", nullable=False),
    Column("content_type", Text, server_default="", nullable=False),
    Column("file_name", Text, server_default="", nullable=False),
    Column("row_count", BigInteger, server_default=text("0"), nullable=False),
    Column("size_bytes", BigInteger, server_default=text("0"), nullable=False),
    Column("error_message", Text, server_default="", nullable=False),
    Column("created_at", DateTime(timezone=True), server_default=text("now()"), nullable=False),
    Column("completed_at", DateTime(timezone=True), nullable=True),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("id", name="pk_reports"),
    Index("ix_reports_owner_created", "tenant_id", "requested_by", "created_at"),
    Index("ix_reports_state", "state", "created_at"),
)

report_chunks = Table(
    "report_chunks",
    metadata,
    Column("report_id", UUID(as_uuid=True), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
    PrimaryKeyConstraint("report_id", "seq", name="pk_report_chunks"),
)
