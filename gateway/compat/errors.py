"""Errors of the compatible APIs: one neutral description, dressed as OpenAI or Anthropic expects.

SDK clients branch on the HTTP status (the `openai` and `anthropic` packages raise a typed
exception per status) and on the body's `type`/`code`, so a failure is first reduced to a
:class:`Problem` (kind, status, message, OpenAI code, parameter, retry delay) from the gRPC
status and its ``google.rpc`` details, then rendered in the shape of the API that was called.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import grpc

from mesh.errors import DomainError, InvalidArgument, ResourceExhausted, error_from_rpc

ProblemKind = Literal[
    "invalid_request",
    "authentication",
    "permission",
    "not_found",
    "conflict",
    "too_large",
    "rate_limit",
    "quota",
    "unimplemented",
    "overloaded",
    "timeout",
    "server",
]

_STATUS: dict[ProblemKind, int] = {
    "invalid_request": 400,
    "authentication": 401,
    "permission": 403,
    "not_found": 404,
    "conflict": 409,
    "too_large": 413,
    "rate_limit": 429,
    "quota": 429,
    "unimplemented": 501,
    "overloaded": 503,
    "timeout": 504,
    "server": 500,
}

_KINDS: dict[grpc.StatusCode, ProblemKind] = {
    grpc.StatusCode.INVALID_ARGUMENT: "invalid_request",
    grpc.StatusCode.FAILED_PRECONDITION: "invalid_request",
    grpc.StatusCode.OUT_OF_RANGE: "invalid_request",
    grpc.StatusCode.UNAUTHENTICATED: "authentication",
    grpc.StatusCode.PERMISSION_DENIED: "permission",
    grpc.StatusCode.NOT_FOUND: "not_found",
    grpc.StatusCode.ALREADY_EXISTS: "conflict",
    grpc.StatusCode.ABORTED: "conflict",
    grpc.StatusCode.RESOURCE_EXHAUSTED: "rate_limit",
    grpc.StatusCode.UNIMPLEMENTED: "unimplemented",
    grpc.StatusCode.UNAVAILABLE: "overloaded",
    grpc.StatusCode.DEADLINE_EXCEEDED: "timeout",
}

# Reasons that only restate the status code carry no information an OpenAI `code` could add.
_GENERIC_REASONS = frozenset(code.name for code in grpc.StatusCode)

_OPENAI_TYPES: dict[ProblemKind, str] = {
    "rate_limit": "requests",
    "quota": "insufficient_quota",
    "unimplemented": "server_error",
    "overloaded": "server_error",
    "timeout": "server_error",
    "server": "server_error",
}

_OPENAI_CODES: dict[ProblemKind, str] = {
    "authentication": "invalid_api_key",
    "not_found": "model_not_found",
    "too_large": "request_too_large",
    "rate_limit": "rate_limit_exceeded",
    "quota": "insufficient_quota",
}

_ANTHROPIC_TYPES: dict[ProblemKind, str] = {
    "invalid_request": "invalid_request_error",
    "conflict": "invalid_request_error",
    "authentication": "authentication_error",
    "permission": "permission_error",
    "not_found": "not_found_error",
    "too_large": "request_too_large",
    "rate_limit": "rate_limit_error",
    "quota": "rate_limit_error",
    "unimplemented": "api_error",
    "overloaded": "overloaded_error",
    "timeout": "timeout_error",
    "server": "api_error",
}

# Anthropic answers "temporarily overloaded" with its own 529; its SDK treats it as retryable.
_ANTHROPIC_STATUS: dict[ProblemKind, int] = {"overloaded": 529}


@dataclass(frozen=True, slots=True)
class Problem:
    """A failure described once, before it is rendered for one API.

    ``code`` is the OpenAI-style machine code ("model_not_found", "context_length_exceeded"),
    ``param`` the request parameter at fault ("messages[0].content").
    """

    kind: ProblemKind
    message: str
    code: str | None = None
    param: str | None = None
    retry_after: float | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def status(self) -> int:
        return _STATUS[self.kind]


class ProblemError(Exception):
    """Raised while reading or admitting a request; the route renders it in its API's shape."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def invalid_request(message: str, *, param: str | None = None, code: str | None = None) -> ProblemError:
    return ProblemError(Problem("invalid_request", message, code=code, param=param))


def problem_from_domain(err: DomainError) -> Problem:
    """Reduce a DomainError (raised at the edge or rebuilt from a peer's status) to a Problem."""
    kind = _KINDS.get(err.code, "server")
    reason = err.reason if err.reason not in _GENERIC_REASONS else ""
    if kind == "rate_limit" and _is_quota(err, reason):
        kind = "quota"
    code = reason.lower() if reason and kind in ("invalid_request", "conflict") else _OPENAI_CODES.get(kind)
    param = err.violations[0].field if isinstance(err, InvalidArgument) and err.violations else None
    retry_after = getattr(err, "retry_after", None)
    message = err.message or err.code.name.lower().replace("_", " ")
    return Problem(kind, message, code=code, param=param, retry_after=retry_after)


def problem_from_rpc(exc: grpc.aio.AioRpcError | grpc.RpcError) -> Problem:
    return problem_from_domain(error_from_rpc(exc))


def _is_quota(err: DomainError, reason: str) -> bool:
    """Spent quota (a budget) differs from a rate limit (a pace); OpenAI tells them apart too."""
    if "QUOTA" in reason or "BALANCE" in reason or "BUDGET" in reason:
        return True
    return isinstance(err, ResourceExhausted) and bool(err.quota_violations) and "RATE" not in reason


def problem_headers(problem: Problem) -> dict[str, str]:
    """Extra response headers: the problem's own plus Retry-After (whole seconds, rounded up)."""
    headers = {name.lower(): value for name, value in problem.headers.items()}
    if problem.retry_after is not None and problem.retry_after >= 0:
        headers.setdefault("retry-after", str(max(1, math.ceil(problem.retry_after))))
        headers.setdefault("retry-after-ms", str(round(problem.retry_after * 1000)))
    return headers


def openai_error_body(problem: Problem) -> dict[str, Any]:
    """OpenAI's error object: ``{"error": {"message", "type", "param", "code"}}``."""
    return {
        "error": {
            "message": problem.message,
            "type": _OPENAI_TYPES.get(problem.kind, "invalid_request_error"),
            "param": problem.param,
            "code": problem.code,
        }
    }


def anthropic_status(problem: Problem) -> int:
    return _ANTHROPIC_STATUS.get(problem.kind, problem.status)


def anthropic_error_body(problem: Problem, request_id: str | None = None) -> dict[str, Any]:
    """Anthropic's error object: ``{"type": "error", "error": {"type", "message"}}``."""
    body: dict[str, Any] = {
        "type": "error",
        "error": {"type": _ANTHROPIC_TYPES[problem.kind], "message": problem.message},
    }
    if request_id:
        body["request_id"] = request_id
    return body
