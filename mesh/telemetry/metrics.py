"""Prometheus RPC metrics and the per-service metrics HTTP endpoint.

Metric objects are created once per registry and reused: prometheus_client refuses to
register the same name twice, and tests (or a process hosting several servers) build
more than one server. Labels follow go-grpc-prometheus habits: ``service`` is the full
proto service name, ``method`` the bare method name, ``code`` the status code name.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from wsgiref.simple_server import WSGIServer

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, start_http_server

__all__ = ["MetricsServer", "RpcMetrics", "rpc_metrics", "start_metrics_server"]

# Up to five minutes: LLM streams are long, health checks are sub-millisecond.
DURATION_BUCKETS = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class RpcMetrics:
    requests: Counter
    duration: Histogram
    in_flight: Gauge


_by_registry: dict[int, RpcMetrics] = {}
_lock = threading.Lock()


def rpc_metrics(registry: CollectorRegistry = REGISTRY) -> RpcMetrics:
    """The RPC metric family for ``registry``, created on first use."""
    with _lock:
        metrics = _by_registry.get(id(registry))
        if metrics is None:
            metrics = RpcMetrics(
                requests=Counter(
                    "chatmesh_rpc_requests",
                    "RPCs handled, by final status code",
                    ("service", "method", "code"),
                    registry=registry,
                ),
                duration=Histogram(
                    "chatmesh_rpc_duration_seconds",
                    "Time from RPC start to its final status",
                    ("service", "method"),
                    buckets=DURATION_BUCKETS,
                    registry=registry,
                ),
                in_flight=Gauge(
                    "chatmesh_rpc_in_flight",
                    "RPCs started and not yet finished",
                    ("service", "method"),
                    registry=registry,
                ),
            )
            _by_registry[id(registry)] = metrics
        return metrics


class MetricsServer:
    """A running ``/metrics`` HTTP endpoint that can be closed (the stdlib server thread)."""

    def __init__(self, httpd: WSGIServer, thread: threading.Thread) -> None:
        self._httpd = httpd
        self._thread = thread

    @property
    def port(self) -> int:
        return int(self._httpd.server_port)

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    @classmethod
    def start(cls, host: str, port: int, registry: CollectorRegistry = REGISTRY) -> MetricsServer:
        """Serve ``registry`` on ``host:port``; port 0 picks a free port (read ``.port``)."""
        httpd, thread = start_http_server(port, addr=host, registry=registry)
        return cls(httpd, thread)


def start_metrics_server(host: str, port: int, registry: CollectorRegistry = REGISTRY) -> int:
    """Serve metrics for the life of the process and return the bound port."""
    return MetricsServer.start(host, port, registry).port
