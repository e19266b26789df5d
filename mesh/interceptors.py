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

from mesh.errors import DomainError, Internal, Unavailable, Unimplemented, abort
from mesh.handlers import Context, StreamBehavior, UnaryBehavior
from mesh.telemetry.logging import current_request_id, new_request_id, reset_request_id, set_request_id
from mesh.telemetry.metrics import RpcMetrics, rpc_metrics
from mesh.telemetry.tracing import REQUEST_ID_HEADER, UNTRACED_SERVICES

__all__ = ["OPS_SERVICES", "ErrorLayer", "ObservabilityLayer", "is_ops_method"]

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


def _final_code(context: Context, exc: BaseException | None) -> grpc.StatusCode:
    """The status the call ended with. grpc cancels the handler when the client goes away
    or the deadline passes; which of the two it was is told by the time left."""
    if isinstance(exc, asyncio.CancelledError | GeneratorExit):
        remaining = context.time_remaining()
        if remaining is not None and remaining <= 0:
            return grpc.StatusCode.DEADLINE_EXCEEDED
        return grpc.StatusCode.CANCELLED
    code: Any = context.code()
    if isinstance(code, int):
        code = _CODES_BY_NUMBER.get(code)
    if isinstance(code, grpc.StatusCode):
        return code
    return grpc.StatusCode.OK if exc is None else grpc.StatusCode.UNKNOWN


class _MethodStats:
    """Per-method metric children and log fields, resolved once instead of on every call."""

    __slots__ = ("_codes", "_requests", "duration", "in_flight", "level", "method", "service")

    def __init__(self, metrics: RpcMetrics, method: str) -> None:
        self.service, _, self.method = method.lstrip("/").partition("/")
        self.level = logging.DEBUG if self.service in OPS_SERVICES else logging.INFO
        self._requests = metrics.requests
        self.duration = metrics.duration.labels(self.service, self.method)
        self.in_flight = metrics.in_flight.labels(self.service, self.method)
        self._codes: dict[grpc.StatusCode, Any] = {}

    def start(self, context: Context) -> tuple[Any, float]:
        token = set_request_id(_request_id_of(context))
        self.in_flight.inc()
        return token, time.perf_counter()

    def finish(self, context: Context, error: BaseException | None, started: float, token: Any) -> None:
        elapsed = time.perf_counter() - started
        code = _final_code(context, error)
        self.in_flight.dec()
        self.duration.observe(elapsed)
        counter = self._codes.get(code)
        if counter is None:
            counter = self._codes[code] = self._requests.labels(self.service, self.method, code.name)
        counter.inc()
        level = logging.WARNING if code in _SERVER_FAULTS else self.level
        if rpc_log.isEnabledFor(level):
            self._log(level, code, elapsed, context)
        reset_request_id(token)

    def _log(self, level: int, code: grpc.StatusCode, elapsed: float, context: Context) -> None:
        # makeRecord + handle skips findCaller, whose answer (this line) is useless here.
        record = rpc_log.makeRecord(
            rpc_log.name,
            level,
            __file__,
            0,
            "%s/%s %s",
            (self.service, self.method, code.name),
            None,
            extra={
                "grpc_service": self.service,
                "grpc_method": self.method,
                "code": code.name,
                "duration_ms": round(elapsed * 1000, 3),
                "peer": context.peer(),
            },
        )
        rpc_log.handle(record)


class ObservabilityLayer:
    """Request id (from ``x-request-id`` or made up here, in a context variable for every
    log record of the call), in-flight gauge, counter by code, histogram, one log line."""

    def __init__(self, metrics: RpcMetrics | None = None) -> None:
        self._metrics = metrics or rpc_metrics()

    def unary(self, method: str, behavior: UnaryBehavior) -> UnaryBehavior:
        stats = _MethodStats(self._metrics, method)

        async def observed(request: Any, context: Context) -> Any:
            token, started = stats.start(context)
            error: BaseException | None = None
            try:
                return await behavior(request, context)
            except BaseException as exc:
                error = exc
                raise
            finally:
                stats.finish(context, error, started, token)

        return observed

    def stream(self, method: str, behavior: StreamBehavior) -> StreamBehavior:
        stats = _MethodStats(self._metrics, method)

        async def observed(request: Any, context: Context) -> AsyncIterator[Any]:
            token, started = stats.start(context)
            error: BaseException | None = None
            try:
                async for response in behavior(request, context):
                    yield response
            except BaseException as exc:
                error = exc
                raise
            finally:
                stats.finish(context, error, started, token)

        return observed


class ErrorLayer:
    """A raised DomainError becomes its gRPC status with google.rpc details.

    Any other exception becomes INTERNAL with a generic message that names the request id,
    so an operator can find the traceback in the logs while nothing internal reaches the
    caller. A failed call to another service that escapes the handler with UNAVAILABLE or
    DEADLINE_EXCEEDED becomes UNAVAILABLE, which callers may retry; ``NotImplementedError``
    (what generated servicer bases raise, e.g. grpc's own health ``List``) is UNIMPLEMENTED.
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
    error_log.exception("%s raised an unexpected %s", method, type(exc).__name__)
    return Internal(f"internal error (request_id={current_request_id()})")
