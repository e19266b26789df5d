"""Client-side context propagation: the request id and the W3C trace context go to the next hop.

When this process exports spans, opentelemetry-instrumentation-grpc's aio client
interceptors record a CLIENT span per call and inject its context. When it does not
(the default), recording those spans would be wasted work, so :class:`ContextClientInterceptor`
injects the current context itself, which is all the next hop needs to continue the trace.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
import grpc.aio
from opentelemetry import propagate

from mesh.telemetry.logging import current_request_id
from mesh.telemetry.tracing import REQUEST_ID_HEADER, exporting_spans

__all__ = ["ContextClientInterceptor", "aio_client_interceptors"]


def _outgoing(details: grpc.aio.ClientCallDetails, inject_trace: bool) -> grpc.aio.ClientCallDetails:
    request_id = current_request_id()
    carrier: dict[str, str] = {}
    if inject_trace:
        propagate.inject(carrier)
    if request_id is None and not carrier:
        return details
    if request_id is not None:
        carrier[REQUEST_ID_HEADER] = request_id
    pairs = [(k, v) for k, v in (details.metadata or ()) if k not in carrier]
    pairs.extend(carrier.items())
    return grpc.aio.ClientCallDetails(
        details.method,
        details.timeout,
        grpc.aio.Metadata(*pairs),
        details.credentials,
        details.wait_for_ready,
    )


class ContextClientInterceptor(
    grpc.aio.UnaryUnaryClientInterceptor,
    grpc.aio.UnaryStreamClientInterceptor,
    grpc.aio.StreamUnaryClientInterceptor,
    grpc.aio.StreamStreamClientInterceptor,
):
    """Adds ``x-request-id`` and, unless OpenTelemetry's own interceptors do it, ``traceparent``."""

    def __init__(self, inject_trace: bool = True) -> None:
        self._inject_trace = inject_trace

    async def intercept_unary_unary(
        self, continuation: Callable[..., Any], client_call_details: grpc.aio.ClientCallDetails, request: Any
    ) -> Any:
        return await continuation(_outgoing(client_call_details, self._inject_trace), request)

    async def intercept_unary_stream(
        self, continuation: Callable[..., Any], client_call_details: grpc.aio.ClientCallDetails, request: Any
    ) -> Any:
        return await continuation(_outgoing(client_call_details, self._inject_trace), request)

    async def intercept_stream_unary(
        self,
        continuation: Callable[..., Any],
        client_call_details: grpc.aio.ClientCallDetails,
        request_iterator: Any,
    ) -> Any:
        return await continuation(_outgoing(client_call_details, self._inject_trace), request_iterator)

    async def intercept_stream_stream(
        self,
        continuation: Callable[..., Any],
        client_call_details: grpc.aio.ClientCallDetails,
        request_iterator: Any,
    ) -> Any:
        return await continuation(_outgoing(client_call_details, self._inject_trace), request_iterator)


def aio_client_interceptors() -> list[grpc.aio.ClientInterceptor]:
    """Interceptors for every mesh channel (all four RPC kinds). Call after ``setup_tracing``."""
    if not exporting_spans():
        return [ContextClientInterceptor()]  # type: ignore[list-item]
    from opentelemetry.instrumentation.grpc import aio_client_interceptors as otel_client_interceptors

    return [ContextClientInterceptor(inject_trace=False), *otel_client_interceptors()]
