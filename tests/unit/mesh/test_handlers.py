"""Layers go around every kind of method handler, in order, once per method."""

# grpc-stubs types handler behaviours as optional sync callables taking a real context.
# mypy: disable-error-code="misc, arg-type, union-attr"

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import grpc

from mesh.handlers import (
    LayeredRegistrar,
    LayersInterceptor,
    StreamBehavior,
    UnaryBehavior,
    layered,
)


class Recorder:
    """A layer that notes when calls pass through it."""

    def __init__(self, name: str, log: list[str]) -> None:
        self.name = name
        self.log = log
        self.wrapped: list[str] = []

    def unary(self, method: str, behavior: UnaryBehavior) -> UnaryBehavior:
        self.wrapped.append(method)

        async def call(request: Any, context: Any) -> Any:
            self.log.append(f"{self.name}>")
            try:
                return await behavior(request, context)
            finally:
                self.log.append(f"<{self.name}")

        return call

    def stream(self, method: str, behavior: StreamBehavior) -> StreamBehavior:
        self.wrapped.append(method)

        async def call(request: Any, context: Any) -> AsyncIterator[Any]:
            self.log.append(f"{self.name}>")
            async for item in behavior(request, context):
                yield item
            self.log.append(f"<{self.name}")

        return call


async def test_first_layer_is_outermost() -> None:
    log: list[str] = []

    async def echo(request: Any, context: Any) -> Any:
        log.append("handler")
        return request

    handler = grpc.unary_unary_rpc_method_handler(echo)
    wrapped = layered(handler, "/a.B/C", [Recorder("outer", log), Recorder("inner", log)])
    assert await wrapped.unary_unary("hi", None) == "hi"
    assert log == ["outer>", "inner>", "handler", "<inner", "<outer"]


async def test_sync_unary_and_write_style_streams_are_normalised() -> None:
    log: list[str] = []
    layers = [Recorder("only", log)]

    def sync_unary(request: Any, context: Any) -> str:
        return request * 2

    written: list[str] = []

    async def write_style(request: Any, context: Any) -> None:
        written.append(request)

    def sync_stream(request: Any, context: Any) -> Iterator[str]:
        yield from request

    unary = layered(grpc.unary_unary_rpc_method_handler(sync_unary), "/a.B/C", layers)
    assert await unary.unary_unary("ab", None) == "abab"
    writer = layered(grpc.unary_stream_rpc_method_handler(write_style), "/a.B/W", layers)
    assert [item async for item in writer.unary_stream("x", None)] == [] and written == ["x"]
    both = layered(grpc.stream_stream_rpc_method_handler(sync_stream), "/a.B/S", layers)
    assert both.request_streaming and both.response_streaming
    assert [item async for item in both.stream_stream("xyz", None)] == ["x", "y", "z"]


class FakeServer:
    def __init__(self) -> None:
        self.generic: list[Any] = []
        self.registered: dict[str, dict[str, grpc.RpcMethodHandler]] = {}

    def add_generic_rpc_handlers(self, handlers: Any) -> None:
        self.generic.extend(handlers)

    def add_registered_method_handlers(self, service: str, handlers: dict[str, Any]) -> None:
        self.registered[service] = handlers


class Details:
    def __init__(self, method: str) -> None:
        self.method = method
        self.invocation_metadata = ()


async def test_registrar_wraps_once_per_method_on_the_generic_path() -> None:
    log: list[str] = []
    layer = Recorder("layer", log)

    async def echo(request: Any, context: Any) -> Any:
        return request

    handlers = {"Echo": grpc.unary_unary_rpc_method_handler(echo)}
    server = FakeServer()
    registrar = LayeredRegistrar(server, [layer])  # type: ignore[arg-type]
    registrar.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("a.B", handlers),))
    registrar.add_registered_method_handlers("a.B", handlers)

    assert server.registered == {}, "registered methods would cost a pending future each per RPC"
    (generic,) = server.generic
    first = generic.service(Details("/a.B/Echo"))
    assert generic.service(Details("/a.B/Echo")) is first
    assert generic.service(Details("/a.B/Other")) is None
    assert await first.unary_unary(2, None) == 2
    assert layer.wrapped == ["/a.B/Echo"]
    assert log == ["layer>", "<layer"]


async def test_interceptor_form_applies_the_same_layers() -> None:
    log: list[str] = []

    async def echo(request: Any, context: Any) -> Any:
        return request

    async def continuation(details: Any) -> grpc.RpcMethodHandler:
        return grpc.unary_unary_rpc_method_handler(echo)

    async def nothing(details: Any) -> None:
        return None

    interceptor = LayersInterceptor([Recorder("layer", log)])
    handler = await interceptor.intercept_service(continuation, Details("/a.B/C"))  # type: ignore[arg-type]
    assert handler is not None and await handler.unary_unary(3, None) == 3
    assert log == ["layer>", "<layer"]
    assert await interceptor.intercept_service(nothing, Details("/a.B/C")) is None  # type: ignore[arg-type]
