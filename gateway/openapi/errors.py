"""The error statuses every operation documents, one shared response object each.

Listing them (rather than a catch-all ``default``) lets a client, and a conformance
checker, tell a documented error from a surprise. The set is what the edge can answer for a
transcoded RPC: every status grpc-gateway maps a gRPC code to (gateway.errors.HTTP_STATUS),
plus the edge's own 413 (body too large) and 429 (rate limited).
"""

from __future__ import annotations

from typing import Any

__all__ = ["ERROR_STATUSES", "error_components", "error_responses"]

# HTTP status -> (component name, when it is answered).
ERROR_STATUSES: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "INVALID_ARGUMENT, FAILED_PRECONDITION or OUT_OF_RANGE: not servable as sent."),
    401: ("Unauthenticated", "No valid credentials: missing, malformed, expired, revoked or unknown."),
    403: ("PermissionDenied", "The caller lacks a permission this call needs."),
    404: ("NotFound", "No such resource, or none the caller may see."),
    408: ("Cancelled", "CANCELLED: the call was cancelled before it finished."),
    409: ("Conflict", "ALREADY_EXISTS or ABORTED: it conflicts with the current state."),
    413: ("PayloadTooLarge", "The request body is larger than the gateway accepts."),
    429: ("TooManyRequests", "A rate limit or quota was exceeded."),
    500: ("InternalError", "INTERNAL, UNKNOWN or DATA_LOSS: a bug; quote the request id when reporting it."),
    501: ("Unimplemented", "UNIMPLEMENTED: this RPC is not built yet."),
    503: ("Unavailable", "UNAVAILABLE: a service or upstream cannot be reached now; retry with backoff."),
    504: ("DeadlineExceeded", "DEADLINE_EXCEEDED: no answer within the deadline."),
}
_NAMED = [(code, name) for code, (name, _) in ERROR_STATUSES.items()]
_RETRY_HEADERS = (
    ("Retry-After", "Seconds to wait before trying again."),
    ("X-RateLimit-Limit", "Requests allowed by the tightest limit."),
    ("X-RateLimit-Remaining", "Requests left under it."),
    ("X-RateLimit-Reset", "Seconds until its count next drops."),
)


def error_responses() -> dict[str, Any]:
    """The ``responses`` entries of one operation for every error status."""
    return {str(code): {"$ref": f"#/components/responses/{name}"} for code, name in _NAMED}


def error_components(status_schema_ref: dict[str, str]) -> dict[str, Any]:
    """``components.responses``: each error status with the google.rpc.Status body."""
    content = {"application/json": {"schema": status_schema_ref}}
    found: dict[str, Any] = {}
    for code, (name, text) in ERROR_STATUSES.items():
        response: dict[str, Any] = {"description": text, "content": content}
        headers = _RETRY_HEADERS if code == 429 else _RETRY_HEADERS[:1] if code == 503 else ()
        if headers:
            response["headers"] = {header: _integer_header(about) for header, about in headers}
        found[name] = response
    return found


def _integer_header(description: str) -> dict[str, Any]:
    return {"description": description, "schema": {"type": "integer"}}
