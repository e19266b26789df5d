from contextvars import ContextVar

from mesh.clients import CallDefaults

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def _from_context() -> list[tuple[str, str]]:
    value = request_id.get()
    return [("x-request-id", value), ("authorization", "Bearer caller")] if value else []


def test_default_deadline_applies_only_to_calls_with_one_response() -> None:
    defaults = CallDefaults(7.5, _from_context)
    assert defaults.timeout(None, single_response=True) == 7.5
    assert defaults.timeout(1.0, single_response=True) == 1.0
    assert defaults.timeout(None, single_response=False) is None
    assert defaults.timeout(3.0, single_response=False) == 3.0


def test_context_is_added_to_outgoing_metadata() -> None:
    defaults = CallDefaults(1.0, _from_context)
    assert defaults.metadata(None) is None
    token = request_id.set("req-42")
    try:
        assert defaults.metadata(None) == (("x-request-id", "req-42"), ("authorization", "Bearer caller"))
        assert defaults.metadata([("k", "v")]) == (
            ("k", "v"),
            ("x-request-id", "req-42"),
            ("authorization", "Bearer caller"),
        )
    finally:
        request_id.reset(token)


def test_callers_own_metadata_wins() -> None:
    token = request_id.set("req-1")
    try:
        merged = CallDefaults(1.0, _from_context).metadata((("Authorization", "Bearer mine"),))
    finally:
        request_id.reset(token)
    assert merged == (("Authorization", "Bearer mine"), ("x-request-id", "req-1"))


def test_the_served_requests_context_is_what_propagates_by_default() -> None:
    from opentelemetry import context, trace

    from mesh.auth import ANONYMOUS, reset_principal, set_principal
    from mesh.clients import context_metadata
    from mesh.telemetry import reset_request_id, set_request_id

    assert context_metadata() == []
    span = trace.NonRecordingSpan(
        trace.SpanContext(
            trace_id=0x0AF7651916CD43DD8448EB211C80319C,
            span_id=0xB7AD6B7169203331,
            is_remote=False,
            trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED),
        )
    )
    attached = context.attach(trace.set_span_in_context(span))
    principal_tokens = set_principal(ANONYMOUS, (("authorization", "Bearer abc"),))
    request_token = set_request_id("req-9")
    try:
        assert context_metadata() == [
            ("authorization", "Bearer abc"),
            ("x-request-id", "req-9"),
            ("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
        ]
    finally:
        reset_request_id(request_token)
        reset_principal(principal_tokens)
        context.detach(attached)
