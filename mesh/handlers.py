"""Server-side layers (the mesh's interceptors) and how they are put around method handlers.

A :class:`Layer` wraps one method's behaviour. The server composes its layers around each
method handler once, when the servicer is registered (:class:`LayeredRegistrar` stands in
for the server in the generated ``add_XServicer_to_server``), instead of re-running a
chain of ``grpc.aio.ServerInterceptor`` objects and rebuilding the handler on every call:
measured on a trivial unary RPC, the per-call chain cost more than the layers' own work.
:class:`LayersInterceptor` offers the same layers as an ordinary interceptor for servers
the mesh does not build.

grpc.aio behaviours may be an ``async def`` (unary responses, or a response stream written
with ``context.write``), an async generator (a response stream) or a plain function.
:func:`wrap_handler` normalises them to one coroutine shape and one async-generator shape,
so each layer is written twice (unary and streaming responses) instead of four times, and
a handler that streams with ``context.write`` (grpc's own health ``Watch``) still works.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

import grpc
import grpc.aio

__all__ = [
    "Context",
    "Layer",
    "LayeredRegistrar",
    "LayersInterceptor",
    "StreamBehavior",
    "UnaryBehavior",
    "layered",
    "wrap_handler",
]

Context = grpc.aio.ServicerContext
UnaryBehavior = Callable[[Any, Context], Awaitable[Any]]
StreamBehavior = Callable[[Any, Context], AsyncIterator[Any]]


def _as_coroutine(behavior: Callable[..., Any]) -> UnaryBehavior:
    if inspect.iscoroutinefunction(behavior):
        return behavior

    async def call(request: Any, context: Context) -> Any:
        result = behavior(request, context)
        return await result if inspect.isawaitable(result) else result

    return call


def _as_async_gen(behavior: Callable[..., Any]) -> StreamBehavior:
    if inspect.isasyncgenfunction(behavior):
        return behavior

    async def stream(request: Any, context: Context) -> AsyncIterator[Any]:
        result = behavior(request, context)
        if inspect.isawaitable(result):
            await result  # the handler streams with context.write()
        elif hasattr(result, "__aiter__"):
            async for item in result:
                yield item
        else:
            for item in result or ():
                yield item

    return stream


def wrap_handler(
    handler: grpc.RpcMethodHandler,
    wrap_unary: Callable[[UnaryBehavior], UnaryBehavior],
    wrap_stream: Callable[[StreamBehavior], StreamBehavior],
) -> grpc.RpcMethodHandler:
    """Rebuild ``handler`` with its behaviour wrapped, keeping its kind and (de)serializers."""
    behavior: Any
    if handler.response_streaming:
        if handler.request_streaming:
            behavior, factory = handler.stream_stream, grpc.stream_stream_rpc_method_handler
        else:
            behavior, factory = handler.unary_stream, grpc.unary_stream_rpc_method_handler
        wrapped: Callable[..., Any] = wrap_stream(_as_async_gen(behavior))
    else:
        if handler.request_streaming:
            behavior, factory = handler.stream_unary, grpc.stream_unary_rpc_method_handler
        else:
            behavior, factory = handler.unary_unary, grpc.unary_unary_rpc_method_handler
        wrapped = wrap_unary(_as_coroutine(behavior))
    return factory(  # type: ignore[operator]
        wrapped,
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )


class Layer(Protocol):
    """Wraps the behaviour of one method; ``method`` is the gRPC path ``/pkg.Service/Method``.

    Called once per method, so per-method work (metric children, option lookups) belongs in
    the method body and per-call work in the returned wrapper. Return ``behavior`` itself
    to stay out of a method.
    """

    def unary(self, method: str, behavior: UnaryBehavior) -> UnaryBehavior: ...

    def stream(self, method: str, behavior: StreamBehavior) -> StreamBehavior: ...


def layered(handler: grpc.RpcMethodHandler, method: str, layers: Sequence[Layer]) -> grpc.RpcMethodHandler:
    """``handler`` with ``layers`` around it, the first layer outermost."""

    def wrap_unary(behavior: UnaryBehavior) -> UnaryBehavior:
        for layer in reversed(layers):
            behavior = layer.unary(method, behavior)
        return behavior

    def wrap_stream(behavior: StreamBehavior) -> StreamBehavior:
        for layer in reversed(layers):
            behavior = layer.stream(method, behavior)
        return behavior

    return wrap_handler(handler, wrap_unary, wrap_stream)


class _LayeredGenericHandler(grpc.GenericRpcHandler):
    """Applies the layers to what a generic handler returns, once per method."""

    def __init__(self, inner: grpc.GenericRpcHandler, layers: Sequence[Layer]) -> None:
        self._inner = inner
        self._layers = layers
        self._cache: dict[str, tuple[grpc.RpcMethodHandler, grpc.RpcMethodHandler]] = {}

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
        handler = self._inner.service(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method
        cached = self._cache.get(method)
        if cached is None or cached[0] is not handler:
            cached = self._cache[method] = (handler, layered(handler, method, self._layers))
        return cached[1]


class LayeredRegistrar:
    """Passed to generated ``add_XServicer_to_server(servicer, registrar)`` in place of the
    server: registers the same handlers with the layers already around them.

    Only the generic handlers are registered. grpc.aio keeps one pending request per
    *registered* method and waits on all of them for every incoming call, so a service with
    thirty methods paid for thirty futures per RPC; the generic path costs a dict lookup.
    The generated code registers every method both ways, so nothing is lost.
    """

    def __init__(self, server: grpc.aio.Server, layers: Sequence[Layer]) -> None:
        self._server = server
        self._layers = tuple(layers)

    def add_generic_rpc_handlers(self, generic_rpc_handlers: Iterable[grpc.GenericRpcHandler]) -> None:
        self._server.add_generic_rpc_handlers(
            tuple(_LayeredGenericHandler(h, self._layers) for h in generic_rpc_handlers)
        )

    def add_registered_method_handlers(
        self, service_name: str, method_handlers: Mapping[str, grpc.RpcMethodHandler]
    ) -> None:
        """Deliberately nothing: the same handlers arrive through the generic path."""


class LayersInterceptor(grpc.aio.ServerInterceptor):
    """The layers as a plain interceptor (rewraps per call; for servers built elsewhere)."""

    def __init__(self, layers: Sequence[Layer]) -> None:
        self._layers = tuple(layers)

    async def intercept_service(  # type: ignore[override]
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        return layered(handler, handler_call_details.method, self._layers)
