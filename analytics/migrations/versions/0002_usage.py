"""Usage events (range-partitioned by day), minute/hour/day rollups with latency sketches,
the processed-event ledger, activity counts, alert rules and incidents, and the sketch
functions ``hist_add`` / ``hist_sum``.

Partitions of ``usage_events`` are not created here: the maintenance task (and ingestion,
for a day it has not seen) creates them ahead of time.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "analytics"
DIMENSIONS = (
    "tenant_id",
    "user_id",
    "api_key_id",
    "model",
    "channel_id",
    "arm",
    "status",
    "source",
    "error_code",
)
_DIM_COLUMNS = ",\n".join(f"  {name} text DEFAULT '' NOT NULL" for name in DIMENSIONS)
_DIM_LIST = ", ".join(DIMENSIONS)

FUNCTIONS = f"""
CREATE FUNCTION {SCHEMA}.hist_add(a bigint[], b bigint[]) RETURNS bigint[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN a IS NULL THEN b
    WHEN b IS NULL THEN a
    ELSE ARRAY(
      SELECT coalesce(x, 0) + coalesce(y, 0)
      FROM unnest(a, b) WITH ORDINALITY AS t(x, y, i) ORDER BY i)
  END
$$;
CREATE AGGREGATE {SCHEMA}.hist_sum(bigint[]) (
  SFUNC = {SCHEMA}.hist_add, STYPE = bigint[], COMBINEFUNC = {SCHEMA}.hist_add, PARALLEL = SAFE
);
"""

PROCESSED = f"""
CREATE TABLE {SCHEMA}.processed_events (
  event_id text NOT NULL,
  event_type text NOT NULL,
  processed_at timestamptz DEFAULT now() NOT NULL,
  CONSTRAINT pk_processed_events PRIMARY KEY (event_id)
);
CREATE INDEX ix_processed_events_processed_at ON {SCHEMA}.processed_events (processed_at);
"""

USAGE_EVENTS = f"""
CREATE TABLE {SCHEMA}.usage_events (
  occurred_at timestamptz NOT NULL,
  event_id text NOT NULL,
  request_id text NOT NULL,
{_DIM_COLUMNS},
  upstream_model text DEFAULT '' NOT NULL,
  routing_rule_id text DEFAULT '' NOT NULL,
  kind text DEFAULT '' NOT NULL,
  conversation_id text DEFAULT '' NOT NULL,
  generation_id text DEFAULT '' NOT NULL,
  stream boolean DEFAULT false NOT NULL,
  estimated boolean DEFAULT false NOT NULL,
  prompt_tokens bigint DEFAULT 0 NOT NULL,
  completion_tokens bigint DEFAULT 0 NOT NULL,
  cached_tokens bigint DEFAULT 0 NOT NULL,
  reasoning_tokens bigint DEFAULT 0 NOT NULL,
  cost bigint DEFAULT 0 NOT NULL,
  latency_ms double precision DEFAULT 0 NOT NULL,
  ttft_ms double precision,
  retries integer DEFAULT 0 NOT NULL,
  CONSTRAINT pk_usage_events PRIMARY KEY (occurred_at, event_id)
) PARTITION BY RANGE (occurred_at);
CREATE INDEX ix_usage_events_tenant_time ON {SCHEMA}.usage_events (tenant_id, occurred_at);
"""


def _rollup(tier: str) -> str:
    name = f"usage_rollup_{tier}"
    return f"""
CREATE TABLE {SCHEMA}.{name} (
  bucket_start timestamptz NOT NULL,
{_DIM_COLUMNS},
  requests bigint DEFAULT 0 NOT NULL,
  failed_requests bigint DEFAULT 0 NOT NULL,
  cancelled_requests bigint DEFAULT 0 NOT NULL,
  prompt_tokens bigint DEFAULT 0 NOT NULL,
  completion_tokens bigint DEFAULT 0 NOT NULL,
  cached_tokens bigint DEFAULT 0 NOT NULL,
  reasoning_tokens bigint DEFAULT 0 NOT NULL,
  cost bigint DEFAULT 0 NOT NULL,
  latency_ms_sum double precision DEFAULT 0 NOT NULL,
  ttft_count bigint DEFAULT 0 NOT NULL,
  latency_hist bigint[] DEFAULT '{{}}'::bigint[] NOT NULL,
  ttft_hist bigint[] DEFAULT '{{}}'::bigint[] NOT NULL,
  CONSTRAINT pk_{name} PRIMARY KEY (bucket_start, {_DIM_LIST})
);
CREATE INDEX ix_{name}_tenant_time ON {SCHEMA}.{name} (tenant_id, bucket_start);
CREATE INDEX ix_{name}_user_time ON {SCHEMA}.{name} (tenant_id, user_id, bucket_start);
"""


OTHERS = f"""
CREATE TABLE {SCHEMA}.activity_daily (
  day date NOT NULL,
  tenant_id text NOT NULL,
  user_id text NOT NULL,
  metric text NOT NULL,
  count bigint DEFAULT 0 NOT NULL,
  CONSTRAINT pk_activity_daily PRIMARY KEY (day, tenant_id, user_id, metric)
);
CREATE TABLE {SCHEMA}.alert_rules (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  tenant_id text NOT NULL,
  name text NOT NULL,
  description text DEFAULT '' NOT NULL,
  metric text NOT NULL,
  filter jsonb DEFAULT '{{}}'::jsonb NOT NULL,
  comparison text NOT NULL,
  threshold double precision NOT NULL,
  window_seconds integer NOT NULL,
  evaluation_seconds integer NOT NULL,
  cooldown_seconds integer NOT NULL,
  targets jsonb DEFAULT '[]'::jsonb NOT NULL,
  enabled boolean DEFAULT true NOT NULL,
  state text DEFAULT 'ok' NOT NULL,
  last_value double precision DEFAULT 0 NOT NULL,
  last_evaluated_at timestamptz,
  last_notified_at timestamptz,
  open_event_id uuid,
  created_by text DEFAULT '' NOT NULL,
  created_at timestamptz DEFAULT now() NOT NULL,
  updated_at timestamptz DEFAULT now() NOT NULL,
  etag integer DEFAULT 1 NOT NULL,
  CONSTRAINT pk_alert_rules PRIMARY KEY (id)
);
CREATE UNIQUE INDEX uq_alert_rules_tenant_name ON {SCHEMA}.alert_rules (tenant_id, name);
CREATE TABLE {SCHEMA}.alert_events (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  tenant_id text NOT NULL,
  rule_id uuid NOT NULL,
  rule_name text NOT NULL,
  metric text NOT NULL,
  state text NOT NULL,
  value double precision NOT NULL,
  threshold double precision NOT NULL,
  peak_value double precision NOT NULL,
  fired_at timestamptz NOT NULL,
  resolved_at timestamptz,
  notification_ids text[] DEFAULT '{{}}'::text[] NOT NULL,
  CONSTRAINT pk_alert_events PRIMARY KEY (id)
);
CREATE INDEX ix_alert_events_tenant_fired ON {SCHEMA}.alert_events (tenant_id, fired_at);
"""


def _run(script: str) -> None:
    for statement in script.split(";\n"):
        if statement.strip():
            op.execute(statement)


def upgrade() -> None:
    _run(FUNCTIONS)
    _run(PROCESSED)
    _run(USAGE_EVENTS)
    for tier in ("minute", "hour", "day"):
        _run(_rollup(tier))
    _run(OTHERS)


def downgrade() -> None:
    for table in (
        "alert_events",
        "alert_rules",
        "activity_daily",
        "usage_rollup_day",
        "usage_rollup_hour",
        "usage_rollup_minute",
        "usage_events",
        "processed_events",
    ):
        op.execute(f"DROP TABLE IF EXISTS {SCHEMA}.{table} CASCADE")
    op.execute(f"DROP AGGREGATE IF EXISTS {SCHEMA}.hist_sum(bigint[])")
    op.execute(f"DROP FUNCTION IF EXISTS {SCHEMA}.hist_add(bigint[], bigint[])")
