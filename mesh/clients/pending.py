"""A call made before its service's channel exists: it waits for one, then becomes the real call.

Stubs are handed out synchronously, before discovery has answered; a call made in that
window (or while no instance is healthy) returns this stand-in, which offers the same
surface as a grpc.aio call object (await, async iteration, read/write, metadata, status).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from typing import Any

import grpc


def rpc_error(code: grpc.StatusCode, details: str) -> grpc.aio.AioRpcError:
    return grpc.aio.AioRpcError(
        code, grpc.aio.Metadata(), grpc.aio.Metadata(), details=details, debug_error_string=details
    )


class PendingCall:
    def __init__(self, start: Callable[[], Awaitable[Any]]) -> None:
        self._task: asyncio.Future[Any] = asyncio.ensure_future(start())
        # A caller that never looks at a failed call must not get "exception never retrieved".
        self._task.add_done_callback(lambda task: task.cancelled() or task.exception())

    async def _call(self) -> Any:
        return await self._task

    def __await__(self) -> Generator[Any, None, Any]:
        return self._response().__await__()

    async def _response(self) -> Any:
        return await (await self._call())

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._responses()

    async def _responses(self) -> AsyncIterator[Any]:
        async for response in await self._call():
            yield response

    async def read(self) -> Any:
        return await (await self._call()).read()

    async def write(self, request: Any) -> None:
        await (await self._call()).write(request)

    async def done_writing(self) -> None:
        await (await self._call()).done_writing()

    async def wait_for_connection(self) -> None:
        await (await self._call()).wait_for_connection()

    async def initial_metadata(self) -> Any:
        try:
            return await (await self._call()).initial_metadata()
        except grpc.aio.AioRpcError as exc:
            return exc.initial_metadata()

    async def trailing_metadata(self) -> Any:
        try:
            return await (await self._call()).trailing_metadata()
        except grpc.aio.AioRpcError as exc:
            return exc.trailing_metadata()

    async def code(self) -> grpc.StatusCode:
        try:
            return await (await self._call()).code()
        except grpc.aio.AioRpcError as exc:
            return exc.code()
        except asyncio.CancelledError:
            return grpc.StatusCode.CANCELLED

    async def details(self) -> str | None:
        try:
            return await (await self._call()).details()
        except grpc.aio.AioRpcError as exc:
            return exc.details()

    def _started(self) -> Any | None:
        if self._task.done() and not self._task.cancelled() and self._task.exception() is None:
            return self._task.result()
        return None

    def cancel(self) -> bool:
        call = self._started()
        return call.cancel() if call is not None else self._task.cancel()

    def cancelled(self) -> bool:
        call = self._started()
        return call.cancelled() if call is not None else self._task.cancelled()

    def done(self) -> bool:
        call = self._started()
        return call.done() if call is not None else self._task.done()

    def time_remaining(self) -> float | None:
        call = self._started()
        return call.time_remaining() if call is not None else None

    def add_done_callback(self, callback: Callable[[Any], None]) -> None:
        def forward(task: asyncio.Future[Any]) -> None:
            call = self._started()
            if call is None:
                callback(self)
            else:
                call.add_done_callback(callback)

        self._task.add_done_callback(forward)
