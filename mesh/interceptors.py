"""The mesh's server layers for observability (request id, metrics, one log line per RPC)
and error mapping. Tracing lives in :mod:`mesh.telemetry.tracing` and auth in
:mod:`mesh.auth`. The server orders them tracing -> observability -> auth -> errors:

- tracing outermost, so every record logged during the call, the per-RPC line included,
  carries the trace id, and an exported span covers the whole call;
- observability next, so it times, counts and logs auth rejections too;
- errors innermost, so it sees every exception the servicer raises and nothing else.

See :mod:`mesh.handlers` for why these are layers composed at registration.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Any, NoReturn

import grpc
import grpc.aio

from mesh.dependency_errors import dependency_unavailable
from mesh.errors import DomainError, Internal, Unavailable, Unimplemented, abort
from mesh.handlers import Context, StreamBehavior, UnaryBehavior
from mesh.rejected_values import rejected_value
from mesh.telemetry.logging import (
    LogSampling,
    current_request_id,
    new_request_id,
    reset_request_id,
    set_request_id,
)
from mesh.telemetry.metrics import RpcMetrics, rpc_metrics
from mesh.telemetry.tracing import REQUEST_ID_HEADER, UNTRACED_SERVICES

__all__ = ["OPS_SERVICES", "ErrorLayer", "LogSampling", "ObservabilityLayer", "is_ops_method"]

rpc_log = logging.getLogger("mesh.rpc")
error_log = logging.getLogger("mesh.errors")

# Health and reflection: the ops surface, exempt from auth and logged at DEBUG.
OPS_SERVICES = frozenset(UNTRACED_SERVICES)
_SERVER_FAULTS = frozenset({grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN, grpc.StatusCode.DATA_LOSS})
_CODES_BY_NUMBER = {c.value[0]: c for c in grpc.StatusCode}


def is_ops_method(method: str) -> bool:
    return method.lstrip("/").split("/", 1)[0] in OPS_SERVICES


def _request_id_of(context: Context) -> str:
    """The caller's ``x-request-id`` if it looks sane (it ends up in logs), else a new one."""
    for key, value in context.invocation_metadata() or ():
        if key == REQUEST_ID_HEADER:
            if isinstance(value, str) and 0 < len(value) <= 128 and value.isprintable() and " " not in value:
                return value
            break
    return new_request_id()


# grpc's deadline and ours (time at start + time remaining then) differ by microseconds.
_DEADLINE_SLACK_SECONDS = 0.001


def _final_code(
    context: Context, exc: BaseException | None, deadline: float | None, now: float
) -> grpc.StatusCode:
    """The status the call ended with. grpc cancels the handler when the client goes away
    or the deadline passes; which of the two it was is told by the deadline noted at the
    start. The context is not asked then: a cancelled stream's generator may be finalised
    after grpc released the call, and asking a released call segfaults."""
    if isinstance(exc, asyncio.CancelledError | GeneratorExit):
        if deadline is not None and now >= deadline - _DEADLINE_SLACK_SECONDS:
            return grpc.StatusCode.DEADLINE_EXCEEDED
        return grpc.StatusCode.CANCELLED
    code: Any = context.code()
    if isinstance(code, int):
        code = _CODES_BY_NUMBER.get(code)
    if isinstance(code, grpc.StatusCode):
        return code
    return grpc.StatusCode.OK if exc is None else grpc.StatusCode.UNKNOWN


# (request-id token, request id, start time, deadline or None, peer)
_Call = tuple[Any, str, float, float | None, str]


class _MethodStats:
    """Per-method metric children and log fields, resolved once instead of on every call."""

    __slots__ = (
        "_codes",
        "_fields",
        "_requests",
        "_sampling",
        "duration",
        "in_flight",
        "level",
        "method",
        "service",
    )

    def __init__(self, metrics: RpcMetrics, method: str, sampling: LogSampling) -> None:
        self.service, _, self.method = method.lstrip("/").partition("/")
        self.level = logging.DEBUG if self.service in OPS_SERVICES else logging.INFO
        self._requests = metrics.requests
        self.duration = metrics.duration.labels(self.service, self.method)
        self.in_flight = metrics.in_flight.labels(self.service, self.method)
        self._codes: dict[grpc.StatusCode, tuple[Any, str]] = {}
        self._fields = {"grpc_service": self.service, "grpc_method": self.method}
        self._sampling = sampling

    def start(self, context: Context) -> _Call:
        """Note what the end of the call needs while grpc still holds the call."""
        request_id = _request_id_of(context)
        token = set_request_id(request_id)
        self.in_flight.inc()
        remaining = context.time_remaining()
        started = time.perf_counter()
        deadline = None if remaining is None else started + remaining
        return token, request_id, started, deadline, context.peer()

    def finish(self, context: Context, error: BaseException | None, call: _Call) -> None:
        token, request_id, started, deadline, peer = call
        now = time.perf_counter()
        elapsed = now - started
        code = _final_code(context, error, deadline, now)
        self.in_flight.dec()
        self.duration.observe(elapsed)
        found = self._codes.get(code)
        if found is None:
            message = f"{self.service}/{self.method} {code.name}"
            found = self._codes[code] = (self._requests.labels(self.service, self.method, code.name), message)
        found[0].inc()
        level = logging.WARNING if code in _SERVER_FAULTS else self.level
        if rpc_log.isEnabledFor(level) and self._sampling.keep(code is grpc.StatusCode.OK, elapsed):
            self._log(level, code, found[1], elapsed, peer, request_id)
        reset_request_id(token)

    def _log(
        self,
        level: int,
        code: grpc.StatusCode,
        message: str,
        elapsed: float,
        peer: str,
        request_id: str,
    ) -> None:
        # makeRecord + handle skips findCaller, whose answer (this line) is useless here. The
        # request id is passed explicitly: a cancelled stream may be finalised in another
        # task, whose context does not have it.
        extra = {
            **self._fields,
            "code": code.name,
            "duration_ms": round(elapsed * 1000, 3),
            "peer": peer,
            "request_id": request_id,
        }
        rpc_log.handle(rpc_log.makeRecord(rpc_log.name, level, __file__, 0, message, (), None, extra=extra))


class ObservabilityLayer:
    """Request id (from ``x-request-id`` or made up here, in a context variable for every
    log record of the call), in-flight gauge, counter by code, histogram, one log line."""

    def __init__(self, metrics: RpcMetrics | None = None, sampling: LogSampling | None = None) -> None:
        self._metrics = metrics or rpc_metrics()
        self._sampling = sampling or LogSampling()

    def unary(self, method: str, behavior: UnaryBehavior) -> UnaryBehavior:
        stats = _MethodStats(self._metrics, method, self._sampling)

        async def observed(request: Any, context: Context) -> Any:
            call = stats.start(context)
            error: BaseException | None = None
            try:
                return await behavior(request, context)
            except BaseException as exc:
                error = exc
                raise
            finally:
                stats.finish(context, error, call)

        return observed

    def stream(self, method: str, behavior: StreamBehavior) -> StreamBehavior:
        stats = _MethodStats(self._metrics, method, self._sampling)

        async def observed(request: Any, context: Context) -> AsyncIterator[Any]:
            call = stats.start(context)
            error: BaseException | None = None
            try:
                async for response in behavior(request, context):
                    yield response
            except BaseException as exc:
                error = exc
                raise
            finally:
                stats.finish(context, error, call)

        return observed


class ErrorLayer:
    """A raised DomainError becomes its gRPC status with google.rpc details.

    Any other exception becomes INTERNAL with a generic message that names the request id,
    so an operator can find the traceback in the logs while nothing internal reaches the
    caller. A failed call to another service that escapes the handler with UNAVAILABLE or
    DEADLINE_EXCEEDED becomes UNAVAILABLE, which callers may retry, and so does a database or
    Redis that is down or out of connections (with RetryInfo, see :mod:`mesh.dependency_errors`);
    ``NotImplementedError`` (what generated servicer bases raise, e.g. grpc's own health
    ``List``) is UNIMPLEMENTED.
    """

    def __init__(self, service: str | None = None) -> None:
        self._service = service

    def unary(self, method: str, behavior: UnaryBehavior) -> UnaryBehavior:
        async def mapped(request: Any, context: Context) -> Any:
            try:
                return await behavior(request, context)
            except grpc.aio.AbortError:
                raise
            except Exception as exc:
                await self._fail(context, exc, method)

        return mapped

    def stream(self, method: str, behavior: StreamBehavior) -> StreamBehavior:
        async def mapped(request: Any, context: Context) -> AsyncIterator[Any]:
            try:
                async for response in behavior(request, context):
                    yield response
            except grpc.aio.AbortError:
                raise
            except Exception as exc:
                await self._fail(context, exc, method)

        return mapped

    async def _fail(self, context: Context, exc: Exception, method: str) -> NoReturn:
        await abort(context, _domain_error(exc, method), self._service)


def _domain_error(exc: Exception, method: str) -> DomainError:
    if isinstance(exc, DomainError):
        level = logging.WARNING if exc.code in _SERVER_FAULTS else logging.DEBUG
        error_log.log(level, "%s failed: %r", method, exc, extra={"reason": exc.reason})
        return exc
    if isinstance(exc, grpc.aio.AioRpcError) and exc.code() in (
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
    ):
        error_log.warning("%s: dependency call failed with %s", method, exc.code().name)
        return Unavailable("a dependency of this service is unavailable", reason="DEPENDENCY_UNAVAILABLE")
    if isinstance(exc, NotImplementedError):
        return Unimplemented(f"{method.lstrip('/')} is not implemented")
    unavailable = dependency_unavailable(exc)
    if unavailable is not None:
        error_log.warning("%s: %s (%s: %s)", method, unavailable.reason, type(exc).__name__, exc)
        return unavailable
    rejected = rejected_value(exc)
    if rejected is not None:
        error_log.warning("%s: %s (%s: %s)", method, rejected.reason, type(exc).__name__, exc)
        return rejected
    error_log.exception("%s raised an unexpected %s", method, type(exc).__name__)
    return Internal(f"internal error (request_id={current_request_id()})")
