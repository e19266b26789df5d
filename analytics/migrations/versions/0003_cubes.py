"""Rollup cubes: a ``cube`` column in every rollup's key, and the narrow cubes backfilled.

Cube 0 is the full dimension key (every existing row); cubes 1 (tenant) and 2 (tenant, user)
keep only those dimensions, so tenant and user dashboards merge a few sketches instead of
one per key, model and channel. Existing rows are folded into the new cubes here.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
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
SUMS = (
    "requests",
    "failed_requests",
    "cancelled_requests",
    "prompt_tokens",
    "completion_tokens",
    "cached_tokens",
    "reasoning_tokens",
    "cost",
    "latency_ms_sum",
    "ttft_count",
)
CUBES = {1: ("tenant_id",), 2: ("tenant_id", "user_id")}


def _backfill(table: str, cube: int, kept: tuple[str, ...]) -> str:
    dims = ", ".join(name if name in kept else "''" for name in DIMENSIONS)
    group = ", ".join(kept)
    sums = ", ".join(f"sum({name})" for name in SUMS)
    return (
        f"INSERT INTO {SCHEMA}.{table} (bucket_start, cube, {', '.join(DIMENSIONS)}, {', '.join(SUMS)}, "
        f"latency_hist, ttft_hist) "
        f"SELECT bucket_start, {cube}, {dims}, {sums}, "
        f"{SCHEMA}.hist_sum(latency_hist), {SCHEMA}.hist_sum(ttft_hist) "
        f"FROM {SCHEMA}.{table} WHERE cube = 0 GROUP BY bucket_start, {group}"
    )


def upgrade() -> None:
    for tier in ("minute", "hour", "day"):
        table = f"usage_rollup_{tier}"
        op.execute(f"ALTER TABLE {SCHEMA}.{table} ADD COLUMN cube smallint DEFAULT 0 NOT NULL")
        op.execute(f"ALTER TABLE {SCHEMA}.{table} DROP CONSTRAINT pk_{table}")
        op.execute(
            f"ALTER TABLE {SCHEMA}.{table} ADD CONSTRAINT pk_{table} "
            f"PRIMARY KEY (bucket_start, cube, {', '.join(DIMENSIONS)})"
        )
        op.execute(f"DROP INDEX {SCHEMA}.ix_{table}_tenant_time")
        op.execute(f"DROP INDEX {SCHEMA}.ix_{table}_user_time")
        op.execute(f"CREATE INDEX ix_{table}_tenant_time ON {SCHEMA}.{table} (cube, tenant_id, bucket_start)")
        op.execute(
            f"CREATE INDEX ix_{table}_user_time ON {SCHEMA}.{table} (cube, tenant_id, user_id, bucket_start)"
        )
        for cube, kept in CUBES.items():
            op.execute(_backfill(table, cube, kept))


def downgrade() -> None:
    for tier in ("minute", "hour", "day"):
        table = f"usage_rollup_{tier}"
        op.execute(f"DELETE FROM {SCHEMA}.{table} WHERE cube <> 0")
        op.execute(f"DROP INDEX {SCHEMA}.ix_{table}_tenant_time")
        op.execute(f"DROP INDEX {SCHEMA}.ix_{table}_user_time")
        op.execute(f"ALTER TABLE {SCHEMA}.{table} DROP CONSTRAINT pk_{table}")
        op.execute(f"ALTER TABLE {SCHEMA}.{table} DROP COLUMN cube")
        op.execute(
            f"ALTER TABLE {SCHEMA}.{table} ADD CONSTRAINT pk_{table} "
            f"PRIMARY KEY (bucket_start, {', '.join(DIMENSIONS)})"
        )
        op.execute(f"CREATE INDEX ix_{table}_tenant_time ON {SCHEMA}.{table} (tenant_id, bucket_start)")
        op.execute(
            f"CREATE INDEX ix_{table}_user_time ON {SCHEMA}.{table} (tenant_id, user_id, bucket_start)"
        )
