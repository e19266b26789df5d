"""Domain errors and their one mapping to gRPC status codes with ``google.rpc`` details.

Services raise these from their domain code; the server interceptor turns them into a
gRPC status carrying ``google.rpc.Status`` in the ``grpc-status-details-bin`` trailer, the
way Google APIs and grpc-gateway expect. Clients decode the same trailer with
:func:`parse_rpc_error` or rebuild the exception with :func:`error_from_rpc`, so a
``NotFound`` raised two hops away can be recognised by type rather than by string.

Every status carries an ``ErrorInfo`` (reason, domain, metadata) because the reason is
the stable, machine-readable part a caller branches on; the message is for people.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, NoReturn, Protocol

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

__all__ = [
    "Aborted",
    "AlreadyExists",
    "DomainError",
    "FailedPrecondition",
    "FieldViolation",
    "Internal",
    "InvalidArgument",
    "NotFound",
    "PermissionDenied",
    "QuotaViolation",
    "ResourceExhausted",
    "Unauthenticated",
    "Unavailable",
    "Unimplemented",
    "abort",
    "error_from_rpc",
    "parse_rpc_error",
    "to_rpc_status",
]

STATUS_DETAILS_KEY = "grpc-status-details-bin"
BASE_DOMAIN = "chatmesh"


@dataclass(frozen=True, slots=True)
class FieldViolation:
    """One bad request field, reported as ``google.rpc.BadRequest.FieldViolation``."""

    field: str
    description: str


@dataclass(frozen=True, slots=True)
class QuotaViolation:
    """One exceeded quota, reported as ``google.rpc.QuotaFailure.Violation``."""

    subject: str
    description: str


class DomainError(Exception):
    """Base of every error a service means to show its caller.

    ``reason`` is UPPER_SNAKE and stable (callers branch on it); ``metadata`` adds
    machine-readable context to ``ErrorInfo``. ``domain`` defaults to
    ``chatmesh.<service>`` of the server that raised it. A bare ``DomainError`` maps to
    UNKNOWN; errors rebuilt from a remote status with a code that has no subclass keep
    that code on the instance.
    """

    code: grpc.StatusCode = grpc.StatusCode.UNKNOWN
    default_reason: ClassVar[str] = "UNKNOWN"

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        metadata: Mapping[str, str] | None = None,
        domain: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason or self.default_reason
        self.metadata: dict[str, str] = {k: str(v) for k, v in (metadata or {}).items()}
        self.domain = domain

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, reason={self.reason!r})"


class InvalidArgument(DomainError):
    code = grpc.StatusCode.INVALID_ARGUMENT
    default_reason = "INVALID_ARGUMENT"

    def __init__(
        self,
        message: str,
        violations: Sequence[FieldViolation] = (),
        *,
        reason: str | None = None,
        metadata: Mapping[str, str] | None = None,
        domain: str | None = None,
    ) -> None:
        super().__init__(message, reason=reason, metadata=metadata, domain=domain)
        self.violations: tuple[FieldViolation, ...] = tuple(violations)


class NotFound(DomainError):
    code = grpc.StatusCode.NOT_FOUND
    default_reason = "NOT_FOUND"


class AlreadyExists(DomainError):
    code = grpc.StatusCode.ALREADY_EXISTS
    default_reason = "ALREADY_EXISTS"


class PermissionDenied(DomainError):
    code = grpc.StatusCode.PERMISSION_DENIED
    default_reason = "PERMISSION_DENIED"


class Unauthenticated(DomainError):
    code = grpc.StatusCode.UNAUTHENTICATED
    default_reason = "UNAUTHENTICATED"


class FailedPrecondition(DomainError):
    code = grpc.StatusCode.FAILED_PRECONDITION
    default_reason = "FAILED_PRECONDITION"


class Aborted(DomainError):
    code = grpc.StatusCode.ABORTED
    default_reason = "ABORTED"


class ResourceExhausted(DomainError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED
    default_reason = "RESOURCE_EXHAUSTED"

    def __init__(
        self,
        message: str,
        quota_violations: Sequence[QuotaViolation] = (),
        retry_after: float | None = None,
        *,
        reason: str | None = None,
        metadata: Mapping[str, str] | None = None,
        domain: str | None = None,
    ) -> None:
        super().__init__(message, reason=reason, metadata=metadata, domain=domain)
        self.quota_violations: tuple[QuotaViolation, ...] = tuple(quota_violations)
        self.retry_after = retry_after


class Unavailable(DomainError):
    code = grpc.StatusCode.UNAVAILABLE
    default_reason = "UNAVAILABLE"

    def __init__(
        self,
        message: str,
        retry_after: float | None = None,
        *,
        reason: str | None = None,
        metadata: Mapping[str, str] | None = None,
        domain: str | None = None,
    ) -> None:
        super().__init__(message, reason=reason, metadata=metadata, domain=domain)
        self.retry_after = retry_after


class Unimplemented(DomainError):
    code = grpc.StatusCode.UNIMPLEMENTED
    default_reason = "UNIMPLEMENTED"


class Internal(DomainError):
    code = grpc.StatusCode.INTERNAL
    default_reason = "INTERNAL"


# The one table between codes and exception types; both directions read it.
ERROR_TYPES: dict[grpc.StatusCode, type[DomainError]] = {
    cls.code: cls
    for cls in (
        InvalidArgument,
        NotFound,
        AlreadyExists,
        PermissionDenied,
        Unauthenticated,
        FailedPrecondition,
        Aborted,
        ResourceExhausted,
        Unavailable,
        Unimplemented,
        Internal,
    )
}

_CODES_BY_NUMBER: dict[int, grpc.StatusCode] = {c.value[0]: c for c in grpc.StatusCode}

_DETAIL_TYPES: tuple[type[Message], ...] = (
    error_details_pb2.ErrorInfo,
    error_details_pb2.BadRequest,
    error_details_pb2.QuotaFailure,
    error_details_pb2.RetryInfo,
    error_details_pb2.PreconditionFailure,
    error_details_pb2.ResourceInfo,
    error_details_pb2.RequestInfo,
    error_details_pb2.DebugInfo,
    error_details_pb2.Help,
    error_details_pb2.LocalizedMessage,
)
_DETAILS_BY_NAME: dict[str, type[Message]] = {t.DESCRIPTOR.full_name: t for t in _DETAIL_TYPES}


def code_from_number(number: int) -> grpc.StatusCode:
    """Map a numeric status code (as in ``google.rpc.Status.code``) to ``grpc.StatusCode``."""
    return _CODES_BY_NUMBER.get(number, grpc.StatusCode.UNKNOWN)


def _pack(message: Message) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed


def _duration(seconds: float) -> duration_pb2.Duration:
    duration = duration_pb2.Duration()
    duration.FromNanoseconds(round(seconds * 1e9))
    return duration


def to_rpc_status(err: DomainError, service: str | None = None) -> status_pb2.Status:
    """Build the ``google.rpc.Status`` a client receives for ``err``.

    ``service`` names the raising chatmesh service and fills the ErrorInfo domain
    (``chatmesh.<service>``) unless the error names its own domain.
    """
    domain = err.domain or (f"{BASE_DOMAIN}.{service}" if service else BASE_DOMAIN)
    details = [_pack(error_details_pb2.ErrorInfo(reason=err.reason, domain=domain, metadata=err.metadata))]
    if isinstance(err, InvalidArgument) and err.violations:
        bad_request = error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
                for v in err.violations
            ]
        )
        details.append(_pack(bad_request))
    if isinstance(err, ResourceExhausted) and err.quota_violations:
        quota = error_details_pb2.QuotaFailure(
            violations=[
                error_details_pb2.QuotaFailure.Violation(subject=v.subject, description=v.description)
                for v in err.quota_violations
            ]
        )
        details.append(_pack(quota))
    retry_after = getattr(err, "retry_after", None)
    if retry_after is not None:
        details.append(_pack(error_details_pb2.RetryInfo(retry_delay=_duration(retry_after))))
    return status_pb2.Status(code=err.code.value[0], message=err.message, details=details)


class AbortableContext(Protocol):
    """The part of ``grpc.aio.ServicerContext`` that :func:`abort` needs."""

    async def abort(
        self, code: grpc.StatusCode, details: str = "", trailing_metadata: Any = ()
    ) -> NoReturn: ...


async def abort(context: AbortableContext, err: DomainError, service: str | None = None) -> NoReturn:
    """End the current RPC with ``err`` as a rich status (raises grpc's AbortError)."""
    status = rpc_status.to_status(to_rpc_status(err, service))
    await context.abort(status.code, status.details, status.trailing_metadata)


def _decode_details(status: status_pb2.Status) -> list[Message]:
    decoded: list[Message] = []
    for packed in status.details:
        detail_type = _DETAILS_BY_NAME.get(packed.TypeName())
        if detail_type is None:
            decoded.append(packed)
            continue
        message = detail_type()
        packed.Unpack(message)
        decoded.append(message)
    return decoded


def _status_from_trailers(trailing_metadata: Any) -> status_pb2.Status | None:
    for key, value in trailing_metadata or ():
        if key == STATUS_DETAILS_KEY:
            return status_pb2.Status.FromString(value)
    return None


def parse_rpc_error(e: grpc.aio.AioRpcError | grpc.RpcError) -> tuple[grpc.StatusCode, str, list[Message]]:
    """Decode a failed call into (code, message, details).

    Details are the unpacked ``google.rpc`` messages (ErrorInfo, BadRequest, ...); a detail
    of a type we do not know stays a packed ``Any``. A status without the details trailer
    yields an empty list.
    """
    code: grpc.StatusCode = e.code()  # type: ignore[attr-defined]
    message: str = e.details() or ""  # type: ignore[attr-defined]
    status = _status_from_trailers(e.trailing_metadata())  # type: ignore[attr-defined]
    if status is None:
        return code, message, []
    return code, message, _decode_details(status)


def error_from_rpc(e: grpc.aio.AioRpcError | grpc.RpcError) -> DomainError:
    """Rebuild the DomainError a peer raised, so callers can ``except NotFound``.

    Codes without a subclass (DEADLINE_EXCEEDED, CANCELLED, ...) come back as a bare
    ``DomainError`` whose ``code`` is the received one.
    """
    code, message, details = parse_rpc_error(e)
    info = next((d for d in details if isinstance(d, error_details_pb2.ErrorInfo)), None)
    common: dict[str, Any] = {
        "reason": info.reason if info else code.name,
        "metadata": dict(info.metadata) if info else None,
        "domain": info.domain if info else None,
    }
    retry = next((d for d in details if isinstance(d, error_details_pb2.RetryInfo)), None)
    retry_after = retry.retry_delay.ToNanoseconds() / 1e9 if retry else None
    error_type = ERROR_TYPES.get(code)
    err: DomainError
    if error_type is InvalidArgument:
        violations = [
            FieldViolation(v.field, v.description)
            for d in details
            if isinstance(d, error_details_pb2.BadRequest)
            for v in d.field_violations
        ]
        err = InvalidArgument(message, violations, **common)
    elif error_type is ResourceExhausted:
        quota = [
            QuotaViolation(v.subject, v.description)
            for d in details
            if isinstance(d, error_details_pb2.QuotaFailure)
            for v in d.violations
        ]
        err = ResourceExhausted(message, quota, retry_after, **common)
    elif error_type is Unavailable:
        err = Unavailable(message, retry_after, **common)
    elif error_type is not None:
        err = error_type(message, **common)
    else:
        err = DomainError(message, **common)
        err.code = code
    return err
