"""What every outgoing call carries without the caller saying so: a deadline and the caller's context.

This is applied where a call is made (in the channel proxy) rather than with grpc.aio client
interceptors: an aio interceptor wraps every call in an extra task, which costs more than
the whole runtime budget for a trivial RPC; filling in two keyword arguments costs nothing.
Client spans, which do need an interceptor, can still be had by passing
``mesh.telemetry.aio_client_interceptors()`` to ``ServiceClients``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from opentelemetry.propagate import inject as inject_trace_context

from mesh.auth import outgoing_credentials
from mesh.telemetry import REQUEST_ID_HEADER, current_request_id

Propagator = Callable[[], Iterable[tuple[str, str]]]
Metadata = Sequence[tuple[str, str | bytes]]


def context_metadata() -> list[tuple[str, str]]:
    """What the request being served hands on: the caller's credentials, the request id and
    the W3C trace context (``traceparent``), so one trace and one id span the whole mesh."""
    pairs = list(outgoing_credentials())
    request_id = current_request_id()
    if request_id:
        pairs.append((REQUEST_ID_HEADER, request_id))
    carrier: dict[str, str] = {}
    inject_trace_context(carrier)
    pairs.extend(carrier.items())
    return pairs


class CallDefaults:
    def __init__(self, deadline_seconds: float, propagate: Propagator = context_metadata) -> None:
        self._deadline = deadline_seconds
        self._propagate = propagate

    def timeout(self, timeout: float | None, single_response: bool) -> float | None:
        """The caller's timeout, else the default for calls that end with one response.

        Streams of responses (token streams, subscriptions) may rightly outlive any default,
        so they keep exactly the deadline their caller gave.
        """
        if timeout is not None or not single_response:
            return timeout
        return self._deadline

    def metadata(self, metadata: Iterable[tuple[str, str | bytes]] | None) -> Metadata | None:
        """Caller metadata plus propagated context; the caller's own values win."""
        propagated = list(self._propagate())
        if not propagated:
            return tuple(metadata) if metadata is not None else None
        given = list(metadata) if metadata is not None else []
        present = {key.lower() for key, _ in given}
        return tuple(given) + tuple((key, value) for key, value in propagated if key not in present)
