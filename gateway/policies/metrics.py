"""Prometheus metrics of the edge: requests by route, method and status; latency; open streams.

``chatmesh_http_request_duration_seconds`` measures until the response is complete, except for
streams (event streams, NDJSON, WebSockets), whose length says nothing about the gateway's
speed: for those it measures until the response started. ``chatmesh_http_open_streams`` counts
streams being served right now, by kind.
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.policies.scope import route_template

__all__ = ["HttpMetrics", "MetricsMiddleware", "stream_kind"]

_STREAM_TYPES = {"text/event-stream": "sse", "application/x-ndjson": "ndjson"}
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def stream_kind(start: Message) -> str | None:
    """ "sse" / "ndjson" when an ``http.response.start`` message begins a stream, else None."""
    for name, value in start.get("headers", ()):
        if name.lower() == b"content-type":
            content_type = value.decode("latin-1")
            return _STREAM_TYPES.get(content_type.partition(";")[0].strip().lower())
    return None


class HttpMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "chatmesh_http_requests",
            "HTTP requests served by the gateway",
            ["route", "method", "status"],
            registry=registry,
        )
        self.duration = Histogram(
            "chatmesh_http_request_duration_seconds",
            "Gateway latency: until the response completed (streams: until it started)",
            ["route", "method"],
            buckets=_BUCKETS,
            registry=registry,
        )
        self.open_streams = Gauge(
            "chatmesh_http_open_streams",
            "Event streams, NDJSON streams and WebSockets being served",
            ["kind"],
            registry=registry,
        )
        # Labelled children, looked up once per label set instead of on every request.
        self._counts: dict[tuple[str, str, int], Any] = {}
        self._durations: dict[tuple[str, str], Any] = {}

    def count(self, route: str, method: str, status: int) -> Any:
        key = (route, method, status)
        child = self._counts.get(key)
        if child is None:
            child = self._counts[key] = self.requests.labels(route, method, str(status))
        return child

    def duration_of(self, route: str, method: str) -> Any:
        key = (route, method)
        child = self._durations.get(key)
        if child is None:
            child = self._durations[key] = self.duration.labels(route, method)
        return child


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        state: dict[str, object] = {"status": 500, "stream": None, "latency": None}

        def opened(kind: str) -> None:
            state["stream"] = kind
            state["latency"] = time.perf_counter() - started
            self.metrics.open_streams.labels(kind).inc()

        async def send_observed(message: Message) -> None:
            kind = message["type"]
            if kind == "http.response.start":
                state["status"] = message["status"]
                streaming = stream_kind(message)
                if streaming is not None:
                    opened(streaming)
            elif kind == "websocket.accept":
                state["status"] = 101
                opened("websocket")
            elif kind == "websocket.close" and state["stream"] is None:
                state["status"] = 403
            await send(message)

        try:
            await self.app(scope, receive, send_observed)
        finally:
            self._record(scope, state, time.perf_counter() - started)

    def _record(self, scope: Scope, state: dict[str, object], elapsed: float) -> None:
        route = route_template(scope)
        method = scope.get("method", "GET")
        status = state["status"]
        self.metrics.count(route, method, status if isinstance(status, int) else 500).inc()
        latency = state["latency"]
        self.metrics.duration_of(route, method).observe(latency if isinstance(latency, float) else elapsed)
        if isinstance(state["stream"], str):
            self.metrics.open_streams.labels(state["stream"]).dec()
