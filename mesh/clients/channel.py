"""One service's channel, kept current as discovery reports instances come and go.

gRPC Python cannot plug a custom name resolver into a channel, so a change in the
instance set means a new channel. Stubs are bound to a :class:`SwitchingChannel` instead,
which sends every call down whichever channel is current; the old one is closed once its
in-flight calls had their grace.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any

import grpc

from mesh.clients.config import resolve_target
from mesh.clients.pending import PendingCall, rpc_error
from mesh.clients.propagation import CallDefaults
from mesh.discovery.base import Endpoint

log = logging.getLogger(__name__)

ChannelFactory = Callable[[str], grpc.aio.Channel]


class ServiceChannel:
    def __init__(self, service: str, make_channel: ChannelFactory, retire_grace: float) -> None:
        self.service = service
        self.current: grpc.aio.Channel | None = None
        self.addresses: tuple[str, ...] = ()
        self.resolved = asyncio.Event()
        self.available = asyncio.Event()
        self._make_channel = make_channel
        self._retire_grace = retire_grace
        self._retiring: set[asyncio.Task[None]] = set()
        self._closed = False

    async def update(self, endpoints: Sequence[Endpoint]) -> None:
        """Point new calls at exactly ``endpoints``; an empty set fails new calls fast."""
        addresses = tuple(sorted({endpoint.address for endpoint in endpoints}))
        if self._closed or (self.resolved.is_set() and addresses == self.addresses):
            return
        channel = None
        if addresses:
            try:
                channel = self._make_channel(await resolve_target(addresses))
            except (OSError, ValueError) as exc:
                log.warning(
                    "cannot reach %s at %s, keeping the previous instances: %s", self.service, addresses, exc
                )
                return
        old, self.current, self.addresses = self.current, channel, addresses
        log.info("%s instances now %s", self.service, list(addresses) or "none")
        if channel is None:
            self.available.clear()
        else:
            self.available.set()
        self.resolved.set()
        if old is not None:
            self._retire(old)

    def _retire(self, channel: grpc.aio.Channel) -> None:
        task = asyncio.create_task(channel.close(grace=self._retire_grace))
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    async def acquire(
        self, time_limit: float | None, wait_for_ready: bool
    ) -> tuple[grpc.aio.Channel, float | None]:
        """Wait (within the call's deadline) for discovery to answer; return the channel and time left."""
        if self._closed:
            raise rpc_error(grpc.StatusCode.UNAVAILABLE, f"the clients of {self.service} are closed")
        loop = asyncio.get_running_loop()
        deadline = None if time_limit is None else loop.time() + time_limit
        try:
            async with asyncio.timeout_at(deadline):
                await self.resolved.wait()
                if wait_for_ready:
                    await self.available.wait()
        except TimeoutError:
            raise rpc_error(
                grpc.StatusCode.DEADLINE_EXCEEDED,
                f"Deadline Exceeded waiting for an instance of {self.service}",
            ) from None
        if self.current is None:
            raise rpc_error(grpc.StatusCode.UNAVAILABLE, f"no healthy instance of {self.service}")
        remaining = None if deadline is None else max(deadline - loop.time(), 0.001)
        return self.current, remaining

    async def close(self, grace: float | None) -> None:
        self._closed = True
        channel, self.current = self.current, None
        self.available.clear()
        for task in list(self._retiring):
            task.cancel()
        await asyncio.gather(*self._retiring, return_exceptions=True)
        if channel is not None:
            await channel.close(grace)


class _Method:
    """A multicallable that resolves the current channel on every call."""

    __slots__ = (
        "_bound",
        "_bound_to",
        "_defaults",
        "_kind",
        "_method",
        "_options",
        "_single",
        "_start",
        "_state",
    )

    def __init__(
        self,
        state: ServiceChannel,
        defaults: CallDefaults,
        start: Callable[[], None],
        kind: str,
        method: str,
        options: dict[str, Any],
    ) -> None:
        self._state = state
        self._defaults = defaults
        self._start = start
        self._kind = kind
        self._single = kind in ("unary_unary", "stream_unary")
        self._method = method
        self._options = options
        self._bound_to: grpc.aio.Channel | None = None
        self._bound: Any = None

    def _on(self, channel: grpc.aio.Channel) -> Any:
        if channel is not self._bound_to:
            self._bound = getattr(channel, self._kind)(self._method, **self._options)
            self._bound_to = channel
        return self._bound

    def __call__(
        self,
        request: Any = None,
        timeout: float | None = None,
        metadata: Any = None,
        credentials: grpc.CallCredentials | None = None,
        wait_for_ready: bool | None = None,
        compression: grpc.Compression | None = None,
    ) -> Any:
        timeout = self._defaults.timeout(timeout, self._single)
        metadata = self._defaults.metadata(metadata)
        channel = self._state.current
        if channel is not None:
            return self._on(channel)(
                request,
                timeout=timeout,
                metadata=metadata,
                credentials=credentials,
                wait_for_ready=wait_for_ready,
                compression=compression,
            )
        self._start()

        async def start() -> Any:
            ready, remaining = await self._state.acquire(timeout, bool(wait_for_ready))
            return self._on(ready)(
                request,
                timeout=remaining,
                metadata=metadata,
                credentials=credentials,
                wait_for_ready=wait_for_ready,
                compression=compression,
            )

        return PendingCall(start)


class SwitchingChannel(grpc.aio.Channel):
    """The channel stubs are built on; its lifetime belongs to :class:`mesh.clients.ServiceClients`."""

    def __init__(self, state: ServiceChannel, defaults: CallDefaults, start: Callable[[], None]) -> None:
        self._state = state
        self._defaults = defaults
        self._start = start

    def _method(
        self, kind: str, method: str, request_serializer: Any, response_deserializer: Any, registered: Any
    ) -> Any:
        options = {
            "request_serializer": request_serializer,
            "response_deserializer": response_deserializer,
            "_registered_method": bool(registered),
        }
        return _Method(self._state, self._defaults, self._start, kind, method, options)

    def unary_unary(
        self,
        method: str,
        request_serializer: Any = None,
        response_deserializer: Any = None,
        _registered_method: Any = False,
    ) -> Any:  # type: ignore[override]
        return self._method(
            "unary_unary", method, request_serializer, response_deserializer, _registered_method
        )

    def unary_stream(
        self,
        method: str,
        request_serializer: Any = None,
        response_deserializer: Any = None,
        _registered_method: Any = False,
    ) -> Any:  # type: ignore[override]
        return self._method(
            "unary_stream", method, request_serializer, response_deserializer, _registered_method
        )

    def stream_unary(
        self,
        method: str,
        request_serializer: Any = None,
        response_deserializer: Any = None,
        _registered_method: Any = False,
    ) -> Any:  # type: ignore[override]
        return self._method(
            "stream_unary", method, request_serializer, response_deserializer, _registered_method
        )

    def stream_stream(
        self,
        method: str,
        request_serializer: Any = None,
        response_deserializer: Any = None,
        _registered_method: Any = False,
    ) -> Any:  # type: ignore[override]
        return self._method(
            "stream_stream", method, request_serializer, response_deserializer, _registered_method
        )

    def get_state(self, try_to_connect: bool = False) -> grpc.ChannelConnectivity:
        self._start()
        current = self._state.current
        if current is None:
            return grpc.ChannelConnectivity.IDLE
        return current.get_state(try_to_connect)

    async def wait_for_state_change(self, last_observed_state: grpc.ChannelConnectivity) -> None:
        current = self._state.current
        if current is None:
            self._start()
            await self._state.available.wait()
            return
        await current.wait_for_state_change(last_observed_state)

    async def channel_ready(self) -> None:
        """Wait until some instance is known and connected."""
        while True:
            self._start()
            channel, _ = await self._state.acquire(None, wait_for_ready=True)
            await channel.channel_ready()
            if channel is self._state.current:
                return

    async def close(self, grace: float | None = None) -> None:
        """Does nothing: the channel is shared by every stub of the service and closed with the clients."""

    async def __aenter__(self) -> SwitchingChannel:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None
