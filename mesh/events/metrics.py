"""Prometheus metrics of the event bus, created once per process (prometheus_client refuses duplicates).

They answer the operator's questions: is the outbox draining (published vs.
failed publishes, publish lag), are consumers keeping up, and is anything
landing in the dead-letter stream.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from prometheus_client import Counter, Histogram

__all__ = ["EventMetrics", "event_metrics"]

LAG_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


@dataclass(frozen=True, slots=True)
class EventMetrics:
    published: Counter
    publish_failures: Counter
    publish_lag: Histogram
    handled: Counter


_metrics: EventMetrics | None = None
_lock = threading.Lock()


def event_metrics() -> EventMetrics:
    """The bus's metric family in the default registry, created on first use."""
    global _metrics
    with _lock:
        if _metrics is None:
            _metrics = EventMetrics(
                published=Counter(
                    "chatmesh_events_published", "Outbox events written to their stream", ("stream",)
                ),
                publish_failures=Counter(
                    "chatmesh_events_publish_failures", "Relay batches that failed (Redis or Postgres down)"
                ),
                publish_lag=Histogram(
                    "chatmesh_events_publish_lag_seconds",
                    "From outbox insert to the stream entry",
                    ("stream",),
                    buckets=LAG_BUCKETS,
                ),
                handled=Counter(
                    "chatmesh_events_handled",
                    "Stream entries a consumer finished, by outcome "
                    "(ok, duplicate, retry, dead_letter, batch_fallback)",
                    ("group", "outcome"),
                ),
            )
        return _metrics
