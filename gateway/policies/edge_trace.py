"""Where a trace starts: the gateway continues the caller's W3C trace (``traceparent``) or starts one.

The trace context is made current for the whole request, so the access log line and every log
record carry its trace id and mesh.clients sends ``traceparent`` to the services. With an
exporter configured (``otel_exporter``), a real SERVER span is recorded per request and named
after the matched route; without one, a non-recording span with fresh ids is enough for
propagation and costs nothing (the same choice mesh.telemetry makes for gRPC servers).
"""

from __future__ import annotations

import random

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.policies.scope import route_template
from mesh.telemetry import exporting_spans

__all__ = ["TraceContextMiddleware"]

_TRACE_HEADERS = frozenset({b"traceparent", b"tracestate", b"baggage"})


def _nonzero(bits: int) -> int:
    value = 0
    while not value:
        value = random.getrandbits(bits)
    return value


def _incoming(scope: Scope) -> otel_context.Context:
    carrier: dict[str, str] = {}
    for name, value in scope.get("headers", ()):
        if name in _TRACE_HEADERS:
            carrier.setdefault(name.decode("latin-1"), value.decode("latin-1"))
    return propagate.extract(carrier) if carrier else otel_context.Context()


def _propagation_only(parent_context: otel_context.Context) -> otel_context.Context:
    parent = trace.get_current_span(parent_context).get_span_context()
    if parent.is_valid:
        span = SpanContext(parent.trace_id, _nonzero(64), False, parent.trace_flags, parent.trace_state)
    else:
        span = SpanContext(_nonzero(128), _nonzero(64), False, TraceFlags(TraceFlags.DEFAULT))
    return trace.set_span_in_context(NonRecordingSpan(span), parent_context)


class TraceContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        parent = _incoming(scope)
        if not exporting_spans():
            token = otel_context.attach(_propagation_only(parent))
            try:
                await self.app(scope, receive, send)
            finally:
                otel_context.detach(token)
            return
        await self._recorded(scope, receive, send, parent)

    async def _recorded(
        self, scope: Scope, receive: Receive, send: Send, parent: otel_context.Context
    ) -> None:
        method = scope.get("method", "GET")
        tracer = trace.get_tracer("chatmesh.gateway")
        with tracer.start_as_current_span(f"{method} {scope['path']}", parent, SpanKind.SERVER) as span:

            async def send_observed(message: Message) -> None:
                if message["type"] == "http.response.start":
                    span.set_attribute("http.response.status_code", message["status"])
                await send(message)

            try:
                await self.app(scope, receive, send_observed)
            finally:
                route = route_template(scope)
                span.update_name(f"{method} {route}")
                span.set_attribute("http.request.method", method)
                span.set_attribute("http.route", route)
