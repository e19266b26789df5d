"""Prometheus metrics of ingestion: what operators alert on (lag shows as new-event rate dropping)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from prometheus_client import Counter

__all__ = ["IngestMetrics", "ingest_metrics"]


@dataclass(frozen=True)
class IngestMetrics:
    events: Counter
    requests: Counter
    tokens: Counter
    cost: Counter


@cache
def ingest_metrics() -> IngestMetrics:
    """Registered once per process (prometheus_client refuses duplicates)."""
    return IngestMetrics(
        events=Counter("analytics_events_total", "Events seen by ingestion", ["outcome"]),
        requests=Counter("analytics_requests_total", "Model requests ingested", ["status"]),
        tokens=Counter("analytics_tokens_total", "Tokens of the model requests ingested"),
        cost=Counter("analytics_cost_units_total", "Quota units of the model requests ingested"),
    )
