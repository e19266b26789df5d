"""Trace context and request id travel in metadata; the server side continues the trace."""

from __future__ import annotations

from typing import Any

import grpc.aio
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from mesh.config import load_settings
from mesh.telemetry.client import ContextClientInterceptor
from mesh.telemetry.logging import reset_request_id, set_request_id
from mesh.telemetry.tracing import _server_span_context, build_tracer_provider, setup_tracing

TRACE_ID = 0x4BF92F3577B34DA6A3CE929D0E0E4736
SPAN_ID = 0x00F067AA0BA902B7
TRACEPARENT = f"00-{TRACE_ID:032x}-{SPAN_ID:016x}-01"


async def sent_metadata(interceptor: ContextClientInterceptor) -> dict[str, str]:
    seen: dict[str, Any] = {}

    async def continuation(details: grpc.aio.ClientCallDetails, request: Any) -> str:
        seen.update(details.metadata or ())
        return "response"

    metadata = grpc.aio.Metadata(("x-request-id", "old"))
    details = grpc.aio.ClientCallDetails("/a.B/C", None, metadata, None, None)
    assert await interceptor.intercept_unary_unary(continuation, details, object()) == "response"
    return seen


async def test_client_sends_request_id_and_traceparent() -> None:
    token = set_request_id("req-7")
    try:
        with trace.use_span(NonRecordingSpan(SpanContext(TRACE_ID, SPAN_ID, False, TraceFlags(1)))):
            seen = await sent_metadata(ContextClientInterceptor())
    finally:
        reset_request_id(token)
    assert seen["x-request-id"] == "req-7"
    assert seen["traceparent"] == TRACEPARENT


async def test_client_leaves_trace_to_opentelemetry_when_told() -> None:
    with trace.use_span(NonRecordingSpan(SpanContext(TRACE_ID, SPAN_ID, False, TraceFlags(1)))):
        seen = await sent_metadata(ContextClientInterceptor(inject_trace=False))
    assert "traceparent" not in seen
    assert seen["x-request-id"] == "old"


def test_server_continues_the_callers_trace_with_a_new_span() -> None:
    span = trace.get_current_span(_server_span_context({"traceparent": TRACEPARENT})).get_span_context()
    assert span.trace_id == TRACE_ID
    assert span.span_id not in (0, SPAN_ID)
    assert span.trace_flags.sampled


def test_server_starts_a_trace_when_there_is_none() -> None:
    first = trace.get_current_span(_server_span_context(None)).get_span_context()
    second = trace.get_current_span(_server_span_context({"traceparent": "garbage"})).get_span_context()
    assert first.is_valid and second.is_valid
    assert first.trace_id != second.trace_id
    assert not first.trace_flags.sampled


def test_without_exporter_spans_get_ids_but_record_nothing() -> None:
    settings = load_settings(_env_file=None, otel_exporter="none")
    provider, exporting = build_tracer_provider("identity", settings)
    assert not exporting
    with provider.get_tracer("test").start_as_current_span("root") as span:
        assert span.get_span_context().is_valid and not span.is_recording()
    provider.shutdown()


def test_with_an_exporter_spans_are_recorded() -> None:
    settings = load_settings(_env_file=None, otel_exporter="console")
    provider, exporting = build_tracer_provider("identity", settings)
    assert exporting
    with provider.get_tracer("test").start_as_current_span("root") as span:
        assert span.is_recording()
    provider.shutdown()


def test_setup_tracing_installs_one_provider_per_process() -> None:
    settings = load_settings(_env_file=None)
    assert setup_tracing("identity", settings) is setup_tracing("conversation", settings)


class _StreamContext:
    """Just what TraceContextLayer reads from a servicer context."""

    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return (("traceparent", TRACEPARENT),)


async def test_a_stream_closed_from_another_context_detaches_cleanly(caplog: Any) -> None:
    """A cancelled server stream is closed by the loop's finaliser in a task of its own;
    the trace context must still be detached where it was attached (no "Failed to detach")."""
    import asyncio
    import contextvars

    from mesh.telemetry.tracing import TraceContextLayer

    seen: list[int] = []
    closed: list[int] = []

    async def behavior(request: Any, context: Any) -> Any:
        try:
            while True:
                seen.append(trace.get_current_span().get_span_context().trace_id)
                yield "event"
        finally:
            closed.append(trace.get_current_span().get_span_context().trace_id)

    stream = TraceContextLayer().stream("/chatmesh.a.v1.A/Watch", behavior)(object(), _StreamContext())
    assert await stream.__anext__() == "event"
    assert trace.get_current_span().get_span_context().trace_id != TRACE_ID
    with caplog.at_level("ERROR"):
        closer = asyncio.get_running_loop().create_task(stream.aclose(), context=contextvars.Context())
        await closer
    assert seen == [TRACE_ID] and closed == [TRACE_ID]
    assert not [r for r in caplog.records if "detach" in r.getMessage()]
    assert trace.get_current_span().get_span_context().trace_id != TRACE_ID
