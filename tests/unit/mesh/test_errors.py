"""Domain errors -> google.rpc.Status -> trailers -> back, through the one mapping table."""

from __future__ import annotations

from typing import Any, NoReturn

import grpc
import grpc.aio
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from mesh.errors import (
    ERROR_TYPES,
    Aborted,
    AlreadyExists,
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
    abort,
    error_from_rpc,
    parse_rpc_error,
    to_rpc_status,
)


def as_rpc_error(err: DomainError, service: str | None = "identity") -> grpc.aio.AioRpcError:
    """What a client sees when a server aborted with ``err``."""
    status = rpc_status.to_status(to_rpc_status(err, service))
    return grpc.aio.AioRpcError(
        status.code, grpc.aio.Metadata(), grpc.aio.Metadata(*status.trailing_metadata), status.details, None
    )


def test_every_subclass_has_its_own_code() -> None:
    classes: list[type[DomainError]] = [
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
    ]
    assert sorted(ERROR_TYPES.values(), key=lambda c: c.__name__) == sorted(classes, key=lambda c: c.__name__)
    assert all(ERROR_TYPES[cls.code] is cls for cls in classes)
    assert NotFound("x").reason == "NOT_FOUND"
    assert DomainError("x").code == grpc.StatusCode.UNKNOWN


def test_error_info_is_always_present_with_the_service_domain() -> None:
    err = NotFound("user 7 not found", reason="USER_NOT_FOUND", metadata={"user_id": "7"})
    status = to_rpc_status(err, "identity")
    assert status.code == grpc.StatusCode.NOT_FOUND.value[0]
    assert status.message == "user 7 not found"
    (packed,) = status.details
    info = error_details_pb2.ErrorInfo()
    assert packed.Unpack(info)
    assert (info.reason, info.domain) == ("USER_NOT_FOUND", "chatmesh.identity")
    assert dict(info.metadata) == {"user_id": "7"}
    assert _info(to_rpc_status(NotFound("x"))).domain == "chatmesh"
    assert _info(to_rpc_status(NotFound("x", domain="example.com"), "identity")).domain == "example.com"


def _info(status: Any) -> error_details_pb2.ErrorInfo:
    info = error_details_pb2.ErrorInfo()
    status.details[0].Unpack(info)
    return info


def test_invalid_argument_round_trip_keeps_field_violations() -> None:
    err = InvalidArgument(
        "bad input",
        [FieldViolation("email", "not an email"), FieldViolation("password", "too short")],
        reason="VALIDATION_FAILED",
    )
    code, message, details = parse_rpc_error(as_rpc_error(err))
    assert (code, message) == (grpc.StatusCode.INVALID_ARGUMENT, "bad input")
    assert [type(d).__name__ for d in details] == ["ErrorInfo", "BadRequest"]
    back = error_from_rpc(as_rpc_error(err))
    assert isinstance(back, InvalidArgument)
    assert back.violations == err.violations
    assert (back.reason, back.domain) == ("VALIDATION_FAILED", "chatmesh.identity")


def test_resource_exhausted_round_trip_keeps_quota_and_retry_delay() -> None:
    quota = [QuotaViolation("tenant:t1", "1000 tokens/day")]
    err = ResourceExhausted("quota used up", quota, retry_after=2.25)
    _, _, details = parse_rpc_error(as_rpc_error(err))
    assert [type(d).__name__ for d in details] == ["ErrorInfo", "QuotaFailure", "RetryInfo"]
    back = error_from_rpc(as_rpc_error(err))
    assert isinstance(back, ResourceExhausted)
    assert back.quota_violations == err.quota_violations
    assert back.retry_after == 2.25


def test_unavailable_carries_retry_info_only_when_asked() -> None:
    assert len(to_rpc_status(Unavailable("down")).details) == 1
    back = error_from_rpc(as_rpc_error(Unavailable("down", retry_after=0.5)))
    assert isinstance(back, Unavailable) and back.retry_after == 0.5


PLAIN = [NotFound, AlreadyExists, PermissionDenied, Unauthenticated, Aborted, Internal]


@pytest.mark.parametrize("cls", PLAIN)
def test_plain_errors_come_back_as_their_type(cls: type[DomainError]) -> None:
    back = error_from_rpc(as_rpc_error(cls("nope", reason="SPECIFIC", metadata={"k": "v"})))
    assert type(back) is cls
    assert (back.message, back.reason, back.metadata) == ("nope", "SPECIFIC", {"k": "v"})


def test_a_status_without_details_still_parses() -> None:
    code = grpc.StatusCode.DEADLINE_EXCEEDED
    bare = grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(), "late", None)
    assert parse_rpc_error(bare) == (grpc.StatusCode.DEADLINE_EXCEEDED, "late", [])
    back = error_from_rpc(bare)
    assert type(back) is DomainError
    assert (back.code, back.reason) == (grpc.StatusCode.DEADLINE_EXCEEDED, "DEADLINE_EXCEEDED")


class AbortCalled(Exception):
    pass


class FakeContext:
    def __init__(self) -> None:
        self.calls: list[tuple[grpc.StatusCode, str, Any]] = []

    async def abort(self, code: grpc.StatusCode, details: str = "", trailing_metadata: Any = ()) -> NoReturn:
        self.calls.append((code, details, trailing_metadata))
        raise AbortCalled


async def test_abort_sends_code_message_and_details_trailer() -> None:
    context = FakeContext()
    with pytest.raises(AbortCalled):
        await abort(context, PermissionDenied("not yours", reason="NOT_OWNER"), "conversation")
    ((code, details, trailers),) = context.calls
    assert (code, details) == (grpc.StatusCode.PERMISSION_DENIED, "not yours")
    error = grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(*trailers), details, None)
    assert _info_of(error) == ("NOT_OWNER", "chatmesh.conversation")


def _info_of(error: grpc.aio.AioRpcError) -> tuple[str, str]:
    info = parse_rpc_error(error)[2][0]
    assert isinstance(info, error_details_pb2.ErrorInfo)
    return info.reason, info.domain
