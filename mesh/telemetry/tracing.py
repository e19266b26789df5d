"""OpenTelemetry tracing: provider setup and the gRPC interceptors that carry trace context.

Tracing is "off" by default in the sense that nothing is exported (``otel_exporter=none``),
yet every RPC still gets a trace id that shows up in logs and flows to the next hop in the
W3C ``traceparent`` metadata. "console" prints spans to stdout (debugging); "otlp" ships
them to ``settings.otel_endpoint`` over gRPC.

With an exporter, servers use opentelemetry-instrumentation-grpc's aio interceptor (full
spans with the semantic-convention attributes). Without one, recording spans nobody reads
would cost about as much CPU as a trivial RPC itself, so servers use
:class:`TraceContextLayer`, which only continues (or starts) the trace: a
non-recording span with its own span id, so the next hop still sees a proper parent; and
the provider samples root spans out, which makes the client interceptors cheap too.

Health checks and reflection are not traced: Consul polls them every few seconds and
they would drown the traces people look for.
"""

from __future__ import annotations

import logging
import random
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import grpc
import grpc.aio
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import NonRecordingSpan, SpanContext

from mesh.handlers import Context, Layer, StreamBehavior, UnaryBehavior

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

    from mesh.config import Settings

__all__ = [
    "REQUEST_ID_HEADER",
    "UNTRACED_SERVICES",
    "TraceContextLayer",
    "aio_server_interceptor",
    "build_tracer_provider",
    "exporting_spans",
    "server_tracing",
    "setup_tracing",
    "shutdown_tracing",
]

REQUEST_ID_HEADER = "x-request-id"
UNTRACED_SERVICES = (
    "grpc.health.v1.Health",
    "grpc.reflection.v1alpha.ServerReflection",
    "grpc.reflection.v1.ServerReflection",
)

log = logging.getLogger(__name__)
_provider: TracerProvider | None = None
_exporting = False


def exporting_spans() -> bool:
    """Whether this process records and exports spans (an exporter is configured)."""
    return _exporting


def build_tracer_provider(service: str, settings: Settings) -> tuple[TracerProvider, bool]:
    """A tracer provider for ``settings`` and whether it exports spans (not installed globally)."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
    from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased

    resource = Resource.create({"service.name": service, "service.namespace": "chatmesh"})
    # Nothing is exported with "none": sample new traces out so client spans cost nothing,
    # while a caller's sampled trace is still honoured for the rest of the mesh.
    sampler = ParentBased(ALWAYS_OFF) if settings.otel_exporter == "none" else None
    provider = TracerProvider(resource=resource, sampler=sampler)
    exporter: SpanExporter | None = None
    if settings.otel_exporter == "console":
        exporter = ConsoleSpanExporter()
    elif settings.otel_exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        endpoint = settings.otel_endpoint
        exporter = OTLPSpanExporter(endpoint=endpoint, insecure=endpoint.startswith("http://"))
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider, exporter is not None


def setup_tracing(service: str, settings: Settings) -> TracerProvider:
    """Install the process-wide tracer provider once; later calls return the first one.

    OpenTelemetry allows one global provider per process, so a second call (tests, a
    process that hosts several servers) keeps the first provider and its exporter.
    """
    global _provider, _exporting
    if _provider is None:
        _provider, _exporting = build_tracer_provider(service, settings)
        trace.set_tracer_provider(_provider)
        log.debug("tracing set up", extra={"otel_exporter": settings.otel_exporter})
    return _provider


def shutdown_tracing() -> None:
    """Flush spans still buffered in the exporter; called once at process exit."""
    if _provider is not None:
        _provider.shutdown()


def _traced_method(method: str | bytes) -> bool:
    if isinstance(method, bytes):
        method = method.decode()
    return method.lstrip("/").split("/", 1)[0] not in UNTRACED_SERVICES


def _traced(details: Any) -> bool:
    return _traced_method(getattr(details, "method", "") or "")


def aio_server_interceptor() -> grpc.aio.ServerInterceptor:
    """The OpenTelemetry grpc.aio server interceptor (span per RPC, remote parent from metadata)."""
    from opentelemetry.instrumentation.grpc import aio_server_interceptor as otel_server_interceptor

    return otel_server_interceptor(filter_=_traced)  # type: ignore[no-any-return]


def server_tracing(settings: Settings) -> tuple[list[Layer], list[grpc.aio.ServerInterceptor]]:
    """(layers, interceptors) a server needs for tracing under ``settings``; see the module docstring."""
    if settings.otel_exporter == "none":
        return [TraceContextLayer()], []
    return [], [aio_server_interceptor()]


_TRACE_HEADERS = frozenset({"traceparent", "tracestate", "baggage"})


def _trace_carrier(metadata: Any) -> dict[str, str] | None:
    carrier: dict[str, str] | None = None
    for key, value in metadata or ():
        if key in _TRACE_HEADERS:
            carrier = carrier or {}
            carrier[key] = value
    return carrier


def _nonzero_bits(bits: int) -> int:
    value = 0
    while not value:
        value = random.getrandbits(bits)
    return value


def _server_span_context(carrier: dict[str, str] | None) -> otel_context.Context:
    parent_context = propagate.extract(carrier) if carrier else None
    parent = trace.get_current_span(parent_context).get_span_context()
    if parent_context is not None and parent.is_valid:
        span = SpanContext(
            parent.trace_id,
            _nonzero_bits(64),
            is_remote=False,
            trace_flags=parent.trace_flags,
            trace_state=parent.trace_state,
        )
    else:
        span = SpanContext(_nonzero_bits(128), _nonzero_bits(64), is_remote=False)
    return trace.set_span_in_context(NonRecordingSpan(span), parent_context)


class TraceContextLayer:
    """Propagation-only server tracing: continue the caller's trace, or start one, and
    make it current for the handler so logs and outgoing calls carry it."""

    def unary(self, method: str, behavior: UnaryBehavior) -> UnaryBehavior:
        if not _traced_method(method):
            return behavior

        async def traced(request: Any, context: Context) -> Any:
            token = otel_context.attach(_server_span_context(_trace_carrier(context.invocation_metadata())))
            try:
                return await behavior(request, context)
            finally:
                otel_context.detach(token)

        return traced

    def stream(self, method: str, behavior: StreamBehavior) -> StreamBehavior:
        if not _traced_method(method):
            return behavior

        async def traced(request: Any, context: Context) -> AsyncIterator[Any]:
            # Attached per step, never across a yield: when a client cancels a server
            # stream, grpc leaves this generator suspended and the event loop's finaliser
            # closes it from a task of its own, i.e. in another Context; a token attached
            # before a yield and detached in ``finally`` would then fail to detach there.
            span_context = _server_span_context(_trace_carrier(context.invocation_metadata()))
            stream: Any = behavior(request, context)
            try:
                while True:
                    token = otel_context.attach(span_context)
                    try:
                        response = await stream.__anext__()
                    except StopAsyncIteration:
                        return
                    finally:
                        otel_context.detach(token)
                    yield response
            finally:
                token = otel_context.attach(span_context)
                try:
                    await stream.aclose()
                finally:
                    otel_context.detach(token)

        return traced
