"""Every error the edge answers with: one body shape, one status table.

The body is ``google.rpc.Status`` in proto3 JSON, ``{code, message, details}``, with each
detail carrying its ``@type`` — what grpc-gateway answers, so clients written for Google-style
APIs read it unchanged. The HTTP status follows grpc-gateway's ``HTTPStatusFromCode``
exactly (FAILED_PRECONDITION is 400, not 412; CANCELLED is 408). Errors the edge raises
itself (bad JSON, too large, no route) use the same shape with a status of their own.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import grpc
from google.protobuf import json_format
from google.rpc import error_details_pb2, status_pb2
from starlette.responses import Response

from mesh.errors import (
    STATUS_DETAILS_KEY,
    DomainError,
    FieldViolation,
    Internal,
    InvalidArgument,
    to_rpc_status,
)

__all__ = [
    "HTTP_STATUS",
    "JSON_CONTENT_TYPE",
    "GatewayError",
    "bad_request",
    "error_response",
    "http_status",
    "internal_error_status",
    "retry_after_seconds",
    "status_from_rpc_error",
    "status_json",
]

GATEWAY = "gateway"
JSON_CONTENT_TYPE = "application/json"

# grpc-gateway runtime.HTTPStatusFromCode, code by code.
HTTP_STATUS: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.OK: 200,
    grpc.StatusCode.CANCELLED: 408,
    grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DATA_LOSS: 500,
}
_CODES = {code.value[0]: code for code in grpc.StatusCode}


def http_status(code: int | grpc.StatusCode) -> int:
    """The HTTP status grpc-gateway answers for a gRPC code (500 for codes it does not know)."""
    if isinstance(code, int):
        found = _CODES.get(code)
        return HTTP_STATUS.get(found, 500) if found is not None else 500
    return HTTP_STATUS.get(code, 500)


class GatewayError(Exception):
    """A request the edge refuses itself; ``http`` overrides the status the table would give."""

    def __init__(
        self, error: DomainError, *, http: int | None = None, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(error.message)
        self.error = error
        self.http = http
        self.headers = dict(headers or {})

    def status(self) -> status_pb2.Status:
        return to_rpc_status(self.error, GATEWAY)


def bad_request(
    message: str,
    violations: Sequence[FieldViolation] = (),
    *,
    reason: str = "INVALID_REQUEST",
    http: int = 400,
) -> GatewayError:
    return GatewayError(InvalidArgument(message, violations, reason=reason), http=http)


def status_from_rpc_error(exc: grpc.aio.AioRpcError | grpc.RpcError) -> status_pb2.Status:
    """The full status a service sent: code, message and the google.rpc details trailer."""
    code: grpc.StatusCode = exc.code()  # type: ignore[attr-defined]
    message: str = exc.details() or ""  # type: ignore[attr-defined]
    trailers: Any = exc.trailing_metadata() or ()  # type: ignore[attr-defined]
    for key, value in trailers:
        if key == STATUS_DETAILS_KEY and isinstance(value, bytes):
            try:
                status = status_pb2.Status.FromString(value)
            except Exception:  # a peer's undecodable trailer still leaves code and message to answer with
                break
            if status.code == code.value[0]:
                return status
    return status_pb2.Status(code=code.value[0], message=message)


def internal_error_status(request_id: str) -> status_pb2.Status:
    """What a bug in the edge answers: nothing about the cause, the request id to find it in the logs."""
    err = Internal(
        f"internal error; quote request id {request_id} when reporting it", reason="GATEWAY_INTERNAL"
    )
    status = to_rpc_status(err, GATEWAY)
    status.details.add().Pack(error_details_pb2.RequestInfo(request_id=request_id))
    return status


def _detail_json(packed: Any) -> dict[str, Any]:
    try:
        return dict(json_format.MessageToDict(packed))
    except (TypeError, KeyError, json_format.Error):
        return {"@type": packed.type_url, "value": base64.b64encode(packed.value).decode()}


def status_json(status: status_pb2.Status) -> dict[str, Any]:
    """``{code, message, details}``, each detail as proto3 JSON with its ``@type``."""
    return {
        "code": status.code,
        "message": status.message,
        "details": [_detail_json(packed) for packed in status.details],
    }


def retry_after_seconds(status: status_pb2.Status) -> int | None:
    """Whole seconds from the status's RetryInfo, rounded up; None without one."""
    for packed in status.details:
        if packed.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            info = error_details_pb2.RetryInfo()
            packed.Unpack(info)
            return max(0, math.ceil(info.retry_delay.ToNanoseconds() / 1e9))
    return None


def error_headers(status: status_pb2.Status, http: int) -> dict[str, str]:
    headers: dict[str, str] = {}
    if http in (429, 503):
        seconds = retry_after_seconds(status)
        if seconds is not None:
            headers["retry-after"] = str(seconds)
    return headers


def error_response(
    status: status_pb2.Status, *, http: int | None = None, headers: Mapping[str, str] | None = None
) -> Response:
    """The HTTP answer for ``status``: mapped status code, Retry-After from RetryInfo, JSON body."""
    code = http if http is not None else http_status(status.code)
    merged = {**error_headers(status, code), **{k.lower(): v for k, v in (headers or {}).items()}}
    body = json.dumps(status_json(status), ensure_ascii=False, separators=(",", ":")).encode()
    return Response(body, status_code=code, headers=merged, media_type=JSON_CONTENT_TYPE)
