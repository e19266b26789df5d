"""Seeding analytics for its benchmarks: a million usage events over 90 days, generated in Postgres.

Events are generated server-side (``generate_series``, seeded ``random()``) into an unlogged
staging table, folded into the hour and day rollups with the service's own sketch functions,
and the last 30 days (the raw retention) copied into the day partitions of ``usage_events``,
so the raw-scan baseline and the rollups describe the same requests. Distribution: 5 tenants
of 40 users, each user on 2 API keys and 2 of 8 models (each model on one of 4 channels),
4 % failed and 1 % cancelled, latencies log-uniform between 0.4 and 3 s.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from analytics.domain.facts import CUBES, DIMENSIONS
from analytics.store import partitions

__all__ = ["RAW_DAYS", "SPAN_DAYS", "TENANTS", "seed"]

SPAN_DAYS = 90
RAW_DAYS = 30
TENANTS = 5
MODELS = (
    "ARRAY['gpt-4o','gpt-4o-mini','claude-3-5-sonnet','gemini-1.5-pro',"
    "'qwen-max','llama-3-70b','mistral-large','o1-mini']"
)
_DIMS = "tenant_id, user_id, api_key_id, model, channel_id, arm, status, source, error_code"
_BUCKET = "CASE WHEN {v} < 1 THEN 0 ELSE least(99, 1 + floor(ln({v}) / ln(1.15)))::int END"
_ONE_HOT = "array_fill(0::bigint, ARRAY[{b}]) || 1::bigint"

STAGE = f"""
CREATE UNLOGGED TABLE analytics.bench_stage AS
SELECT
  CAST(:now AS timestamptz) - (r1 * interval '{SPAN_DAYS} days') AS occurred_at,
  'ev-' || g AS event_id,
  'req-' || g AS request_id,
  'tenant-' || (g % {TENANTS}) AS tenant_id,
  'tenant-' || (g % {TENANTS}) || '-user-' || u AS user_id,
  'tenant-' || (g % {TENANTS}) || '-user-' || u || '-key-' || (g / 7 % 2) AS api_key_id,
  ({MODELS})[1 + (u + (g / 3 % 2) * 3) % 8] AS model,
  'channel-' || ((u + (g / 3 % 2) * 3) % 4) AS channel_id,
  '' AS arm,
  CASE WHEN r2 < 0.04 THEN 'failed' WHEN r2 < 0.05 THEN 'cancelled' ELSE 'succeeded' END AS status,
  'gateway' AS source,
  CASE WHEN r2 < 0.02 THEN 'UNAVAILABLE' WHEN r2 < 0.04 THEN 'DEADLINE_EXCEEDED' ELSE '' END AS error_code,
  (50 + r3 * 2000)::bigint AS prompt_tokens,
  (10 + r4 * 800)::bigint AS completion_tokens,
  exp(ln(400) + r5 * ln(7.5)) AS latency_ms
FROM (
  SELECT g, (g * 7919 % 40) AS u,
    random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5
  FROM generate_series(1::bigint, CAST(:events AS bigint)) AS g
) AS s
"""


def _fold(tier: str, cube: int, where: str = "") -> str:
    """One cube of one tier, folded from the staged requests (what ingestion would have written)."""
    bucket = f"date_trunc('{tier}', occurred_at)"
    latency = _ONE_HOT.format(b=_BUCKET.format(v="latency_ms"))
    ttft = _ONE_HOT.format(b=_BUCKET.format(v="latency_ms * 0.2"))
    kept = CUBES[cube]
    dims = ", ".join(name if name in kept else "''" for name in DIMENSIONS)
    return f"""
INSERT INTO analytics.usage_rollup_{tier}
  (bucket_start, cube, {_DIMS}, requests, failed_requests, cancelled_requests, prompt_tokens,
   completion_tokens, cost, latency_ms_sum, ttft_count, latency_hist, ttft_hist)
SELECT {bucket}, {cube}, {dims}, count(*), count(*) FILTER (WHERE status = 'failed'),
  count(*) FILTER (WHERE status = 'cancelled'), sum(prompt_tokens), sum(completion_tokens),
  sum((prompt_tokens + completion_tokens) * 3), sum(latency_ms), count(*),
  analytics.hist_sum({latency}), analytics.hist_sum({ttft})
FROM analytics.bench_stage {where}
GROUP BY {bucket}, {", ".join(kept)}
"""


RAW = f"""
INSERT INTO analytics.usage_events
  (occurred_at, event_id, request_id, {_DIMS}, kind, prompt_tokens, completion_tokens, cost,
   latency_ms, ttft_ms)
SELECT occurred_at, event_id, request_id, {_DIMS}, 'chat', prompt_tokens, completion_tokens,
  (prompt_tokens + completion_tokens) * 3, latency_ms, latency_ms * 0.2
FROM analytics.bench_stage WHERE occurred_at >= :raw_start
"""


async def seed(engine: AsyncEngine, events: int, now: datetime | None = None) -> datetime:
    """Seed ``events`` requests ending at ``now``; returns ``now``."""
    now = now or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    raw_start = now - timedelta(days=RAW_DAYS)
    for offset in range(-RAW_DAYS - 1, 2):
        await partitions.create_partition(engine, (now + timedelta(days=offset)).date())
    async with engine.begin() as conn:
        await conn.execute(text("SELECT setseed(0.42)"))
        await conn.execute(text(STAGE), {"now": now, "events": events})
        for cube in CUBES:
            await conn.execute(text(_fold("hour", cube)))
            await conn.execute(text(_fold("day", cube)))
            recent = _fold("minute", cube, "WHERE occurred_at >= :since")
            await conn.execute(text(recent), {"since": now - timedelta(days=2)})
        await conn.execute(text(RAW), {"raw_start": raw_start})
        await conn.execute(text("DROP TABLE analytics.bench_stage"))
    async with engine.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
        await conn.execute(text("VACUUM ANALYZE"))
    return now
