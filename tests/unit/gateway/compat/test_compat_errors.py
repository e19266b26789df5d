"""gRPC statuses (with google.rpc details) → OpenAI and Anthropic error bodies and HTTP statuses."""

from __future__ import annotations

import grpc
import pytest
from grpc_status import rpc_status

from gateway.compat.errors import (
    Problem,
    anthropic_error_body,
    anthropic_status,
    openai_error_body,
    problem_from_domain,
    problem_from_rpc,
    problem_headers,
)
from mesh.errors import (
    DomainError,
    FailedPrecondition,
    FieldViolation,
    Internal,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    QuotaViolation,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
    Unimplemented,
    to_rpc_status,
)


def rpc_error(err: DomainError) -> grpc.aio.AioRpcError:
    status = rpc_status.to_status(to_rpc_status(err, "model_router"))
    return grpc.aio.AioRpcError(
        status.code,
        grpc.aio.Metadata(),
        grpc.aio.Metadata(*status.trailing_metadata),
        details=status.details,
        debug_error_string="",
    )


@pytest.mark.parametrize(
    ("err", "status", "openai_type", "code", "anthropic_type", "anthropic_code"),
    [
        (InvalidArgument("bad"), 400, "invalid_request_error", None, "invalid_request_error", 400),
        (FailedPrecondition("no"), 400, "invalid_request_error", None, "invalid_request_error", 400),
        (
            Unauthenticated("who?"),
            401,
            "invalid_request_error",
            "invalid_api_key",
            "authentication_error",
            401,
        ),
        (PermissionDenied("nope"), 403, "invalid_request_error", None, "permission_error", 403),
        (NotFound("gone"), 404, "invalid_request_error", "model_not_found", "not_found_error", 404),
        (ResourceExhausted("slow down"), 429, "requests", "rate_limit_exceeded", "rate_limit_error", 429),
        (Unimplemented("later"), 501, "server_error", None, "api_error", 501),
        (Unavailable("busy"), 503, "server_error", None, "overloaded_error", 529),
        (Internal("oops"), 500, "server_error", None, "api_error", 500),
    ],
)
def test_status_mapping(
    err: DomainError,
    status: int,
    openai_type: str,
    code: str | None,
    anthropic_type: str,
    anthropic_code: int,
) -> None:
    problem = problem_from_rpc(rpc_error(err))
    assert problem.status == status
    assert openai_error_body(problem) == {
        "error": {"message": err.message, "type": openai_type, "param": None, "code": code}
    }
    assert anthropic_status(problem) == anthropic_code
    assert anthropic_error_body(problem) == {
        "type": "error",
        "error": {"type": anthropic_type, "message": err.message},
    }


def test_deadline_exceeded_is_a_timeout() -> None:
    exc = grpc.aio.AioRpcError(
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.aio.Metadata(),
        grpc.aio.Metadata(),
        details="late",
        debug_error_string="",
    )
    problem = problem_from_rpc(exc)
    assert (problem.status, problem.kind) == (504, "timeout")
    assert anthropic_error_body(problem)["error"]["type"] == "timeout_error"


def test_specific_reasons_and_field_violations_become_code_and_param() -> None:
    err = InvalidArgument(
        "too long", [FieldViolation("messages", "over the context")], reason="CONTEXT_LENGTH_EXCEEDED"
    )
    body = openai_error_body(problem_from_rpc(rpc_error(err)))["error"]
    assert (body["code"], body["param"]) == ("context_length_exceeded", "messages")


def test_quota_differs_from_rate_limit() -> None:
    spent = ResourceExhausted("spent", [QuotaViolation("key", "0 left")], reason="QUOTA_EXCEEDED")
    problem = problem_from_rpc(rpc_error(spent))
    assert (problem.kind, problem.status) == ("quota", 429)
    assert openai_error_body(problem)["error"]["type"] == "insufficient_quota"
    assert openai_error_body(problem)["error"]["code"] == "insufficient_quota"
    limited = ResourceExhausted("pace", [QuotaViolation("key", "60/min")], reason="RATE_LIMITED")
    assert problem_from_domain(limited).kind == "rate_limit"


def test_retry_after_headers_round_up_and_keep_given_ones() -> None:
    problem = problem_from_rpc(rpc_error(ResourceExhausted("slow", retry_after=2.2)))
    assert problem_headers(problem) == {"retry-after": "3", "retry-after-ms": "2200"}
    given = Problem("rate_limit", "x", retry_after=4, headers={"Retry-After": "5", "X-RateLimit-Limit": "2"})
    assert problem_headers(given) == {"retry-after": "5", "x-ratelimit-limit": "2", "retry-after-ms": "4000"}
    assert problem_headers(Problem("server", "x")) == {}


def test_anthropic_error_carries_the_request_id_when_known() -> None:
    body = anthropic_error_body(Problem("not_found", "gone"), "req-1")
    assert body == {
        "type": "error",
        "error": {"type": "not_found_error", "message": "gone"},
        "request_id": "req-1",
    }
