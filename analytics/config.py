"""analytics's own knobs (env prefix ``CHATMESH_ANALYTICS_``), all with working defaults.

Retention is per tier: raw request rows (and the processed-event ledger that makes replays
harmless) 30 days, minute rollups 2 days, hourly rollups a year, daily rollups forever
(0 days means forever).
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["AnalyticsSettings", "load_analytics_settings"]


class AnalyticsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHATMESH_ANALYTICS_", extra="ignore")

    # Retention per tier, in days (0 = forever).
    raw_retention_days: int = Field(default=30, ge=0)
    minute_retention_days: int = Field(default=2, ge=0)
    hour_retention_days: int = Field(default=365, ge=0)
    day_retention_days: int = Field(default=0, ge=0)
    # Days of raw partitions created ahead of today by the maintenance task.
    partitions_ahead_days: int = Field(default=3, ge=1)
    # Seconds between maintenance runs (partitions, retention).
    maintenance_interval_seconds: float = Field(default=3600.0, gt=0)
    # Rows deleted per retention statement (keeps each transaction short).
    retention_batch_rows: int = Field(default=10_000, ge=1)
    # Consumer group reading the producers' event streams.
    consumer_group: str = "analytics"
    consumer_batch: int = Field(default=128, ge=1)
    # Live stats: seconds of per-second counters kept in Redis (the longest live window).
    live_horizon_seconds: int = Field(default=3600, ge=60)
    # Alert evaluation: seconds between passes over the enabled rules.
    alert_interval_seconds: float = Field(default=15.0, gt=0)
    # Budgets: seconds between spend checks.
    budget_interval_seconds: float = Field(default=60.0, gt=0)
    # Limits of the query RPCs.
    max_series: int = Field(default=1000, ge=1)
    max_points: int = Field(default=10_000, ge=1)
    # Bytes per chunk of a streamed export.
    export_chunk_bytes: int = Field(default=64 * 1024, ge=1024)
    # Rows fetched per round trip while exporting.
    export_fetch_rows: int = Field(default=2000, ge=1)
    # Days a finished report job's file is kept for download; seconds between job runs.
    report_retention_days: int = Field(default=7, ge=1)
    report_interval_seconds: float = Field(default=5.0, gt=0)


def load_analytics_settings(**overrides: object) -> AnalyticsSettings:
    """Settings from the environment, with explicit overrides winning (tests)."""
    return AnalyticsSettings(**overrides)  # type: ignore[arg-type]
