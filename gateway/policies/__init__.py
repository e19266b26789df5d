"""Edge policies: client address, request ids, trace context, access logs, metrics, CORS, rate limits, gzip.

:func:`middleware` returns them in the order they must wrap the app (outermost first): the
client's address is settled before anything reads it; the request id and trace context exist
before anything logs; the access log and metrics see the final status and the bytes on the
wire (after compression), CORS headers go on every answer including errors, the rate-limit
headers on whatever a handler returns.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry
from starlette.middleware import Middleware

from gateway.policies.access_log import AccessLogMiddleware
from gateway.policies.client_ip import ClientIpMiddleware
from gateway.policies.compression import gzip_middleware
from gateway.policies.cors import cors_middleware
from gateway.policies.edge_trace import TraceContextMiddleware
from gateway.policies.metrics import HttpMetrics, MetricsMiddleware
from gateway.policies.ratelimit import RateLimited, RateLimiter
from gateway.policies.ratelimit_asgi import (
    RateLimitMiddleware,
    limit_request,
    limiter_of,
    rate_limited_handler,
    too_many_requests,
)
from gateway.policies.request_id import RequestIdMiddleware
from gateway.policies.scope import ROUTE_KEY, client_ip, route_template
from mesh.config import Settings
from mesh.telemetry import LogSampling

__all__ = [
    "ROUTE_KEY",
    "RateLimited",
    "RateLimiter",
    "client_ip",
    "limit_request",
    "limiter_of",
    "middleware",
    "rate_limited_handler",
    "route_template",
    "too_many_requests",
]


def middleware(
    settings: Settings, redis: Any, *, registry: CollectorRegistry | None = None
) -> list[Middleware]:
    """The edge middleware stack for ``Starlette(middleware=...)``.

    ``redis`` is a ``redis.asyncio.Redis`` (None: no rate limits). ``registry`` is the app's
    Prometheus registry, the one ``/metrics`` serves; the HTTP and rate-limit metrics go there.
    """
    metrics_registry = registry if registry is not None else CollectorRegistry()
    stack = [
        # First: every later policy, the authenticator and the services see the verified address.
        Middleware(ClientIpMiddleware, trusted_proxies=settings.gateway_trusted_proxies),
        Middleware(RequestIdMiddleware),
        Middleware(TraceContextMiddleware),
        Middleware(
            AccessLogMiddleware,
            sampling=LogSampling(settings.access_log_sample_rate, settings.access_log_slow_ms),
        ),
        Middleware(MetricsMiddleware, metrics=HttpMetrics(metrics_registry)),
    ]
    cors = cors_middleware(settings)
    if cors is not None:
        stack.append(cors)
    if redis is not None:
        limiter = RateLimiter.from_settings(settings, redis, registry=metrics_registry)
        stack.append(Middleware(RateLimitMiddleware, limiter=limiter))
    stack.append(gzip_middleware(settings))
    return stack
