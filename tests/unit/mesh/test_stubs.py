"""``unimplemented()``: one stub per RPC, its kind taken from the service descriptor."""

from __future__ import annotations

import inspect
from typing import Any, NoReturn

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2_grpc

from mesh.errors import parse_rpc_error
from mesh.server import unimplemented
from mesh.stubs import service_descriptor


class AbortCalled(Exception):
    pass


class FakeContext:
    def __init__(self) -> None:
        self.code: grpc.StatusCode | None = None
        self.details = ""
        self.trailers: Any = ()

    async def abort(self, code: grpc.StatusCode, details: str = "", trailing_metadata: Any = ()) -> NoReturn:
        self.code, self.details, self.trailers = code, details, trailing_metadata
        raise AbortCalled


def test_kinds_come_from_the_descriptor() -> None:
    health = service_descriptor(health_pb2_grpc.HealthServicer)
    assert health.full_name == "grpc.health.v1.Health"
    stub = unimplemented(health_pb2_grpc.HealthServicer, "issue 9")
    assert issubclass(stub, health_pb2_grpc.HealthServicer)
    assert inspect.iscoroutinefunction(stub.Check)
    assert inspect.isasyncgenfunction(stub.Watch)
    reflection = unimplemented(reflection_pb2_grpc.ServerReflectionServicer, "issue 9")
    assert inspect.isasyncgenfunction(reflection.ServerReflectionInfo)


async def test_unary_stub_aborts_with_unimplemented_and_the_issue() -> None:
    servicer = unimplemented(health_pb2_grpc.HealthServicer, "issue 9")()
    context = FakeContext()
    with pytest.raises(AbortCalled):
        await servicer.Check(health_pb2.HealthCheckRequest(), context)
    assert context.code == grpc.StatusCode.UNIMPLEMENTED
    assert context.details == "Health/Check is not built yet (issue 9)"
    error = grpc.aio.AioRpcError(
        context.code, grpc.aio.Metadata(), grpc.aio.Metadata(*context.trailers), context.details, None
    )
    info = parse_rpc_error(error)[2][0]
    assert info.reason == "NOT_BUILT_YET"  # type: ignore[attr-defined]
    assert dict(info.metadata) == {  # type: ignore[attr-defined]
        "issue": "issue 9",
        "method": "/grpc.health.v1.Health/Check",
    }


async def test_streaming_stub_aborts_before_yielding() -> None:
    servicer = unimplemented(health_pb2_grpc.HealthServicer, "issue 9")()
    context = FakeContext()
    with pytest.raises(AbortCalled):
        async for _ in servicer.Watch(health_pb2.HealthCheckRequest(), context):
            pytest.fail("a stub must not yield")
    assert context.details == "Health/Watch is not built yet (issue 9)"


async def test_overridden_methods_win() -> None:
    class Partly(unimplemented(health_pb2_grpc.HealthServicer, "issue 9")):  # type: ignore[misc]
        async def Check(self, request: Any, context: Any) -> Any:
            return health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING)

    response = await Partly().Check(health_pb2.HealthCheckRequest(), FakeContext())
    assert response.status == health_pb2.HealthCheckResponse.SERVING


def test_a_class_without_a_proto_service_is_refused() -> None:
    class NotGeneratedServicer:
        pass

    with pytest.raises(ValueError, match="no proto service"):
        unimplemented(NotGeneratedServicer, "issue 9")
