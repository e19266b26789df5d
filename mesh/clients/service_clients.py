"""Typed stubs for other services, found through discovery and kept current as instances change."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import grpc
from grpc_health.v1 import health_pb2_grpc

from mesh.clients.channel import ServiceChannel, SwitchingChannel
from mesh.clients.config import build_service_config, channel_options, retryable_methods
from mesh.clients.propagation import CallDefaults, Propagator, context_metadata
from mesh.clients.registry import service_descriptor, service_info, stub_class
from mesh.config import Settings
from mesh.discovery.base import Discovery

log = logging.getLogger(__name__)

FOLLOW_BACKOFF_INITIAL_SECONDS = 0.5
FOLLOW_BACKOFF_MAX_SECONDS = 30.0


class ServiceClients:
    """One channel per service, shared by every stub of that service.

    The discovery object is borrowed: closing the clients leaves it open for its owner.
    ``interceptors`` are added to every channel (e.g. OpenTelemetry's aio client interceptors).
    """

    def __init__(
        self,
        settings: Settings,
        discovery: Discovery,
        *,
        interceptors: Sequence[grpc.aio.ClientInterceptor] = (),
        propagate: Propagator = context_metadata,
    ) -> None:
        self._settings = settings
        self._discovery = discovery
        self._interceptors = list(interceptors)
        self._defaults = CallDefaults(settings.grpc_default_deadline_seconds, propagate)
        self._states: dict[str, ServiceChannel] = {}
        self._proxies: dict[str, SwitchingChannel] = {}
        self._stubs: dict[str, Any] = {}
        self._followers: dict[str, asyncio.Task[None]] = {}
        self._closed = False

    def channel(self, service: str) -> SwitchingChannel:
        """The service's channel (for generic calls); it follows the instance set by itself."""
        if self._closed:
            raise RuntimeError("ServiceClients is closed")
        proxy = self._proxies.get(service)
        if proxy is None:
            state = ServiceChannel(
                service,
                lambda target: self._make_channel(service, target),
                self._settings.shutdown_grace_seconds,
            )
            self._states[service] = state
            proxy = self._proxies[service] = SwitchingChannel(
                state, self._defaults, lambda: self._follow(service)
            )
        self._follow(service)
        return proxy

    def stub(self, service: str) -> Any:
        """The generated stub of ``service``, e.g. ``IdentityServiceStub`` for ``"identity"``."""
        stub = self._stubs.get(service)
        if stub is None:
            stub = self._stubs[service] = stub_class(service)(self.channel(service))
        return stub

    def health_stub(self, service: str) -> health_pb2_grpc.HealthStub:
        return health_pb2_grpc.HealthStub(self.channel(service))

    def endpoints(self, service: str) -> tuple[str, ...]:
        """Addresses calls to ``service`` are spread over right now (empty until resolved)."""
        state = self._states.get(service)
        return state.addresses if state else ()

    async def close(self, grace: float | None = None) -> None:
        self._closed = True
        followers = list(self._followers.values())
        for task in followers:
            task.cancel()
        await asyncio.gather(*followers, return_exceptions=True)
        await asyncio.gather(*(state.close(grace) for state in self._states.values()))

    def _make_channel(self, service: str, target: str) -> grpc.aio.Channel:
        info = service_info(service)
        descriptor = service_descriptor(service)
        retryable = retryable_methods(descriptor) if descriptor is not None else []
        options = channel_options(self._settings, build_service_config(info.full_name, retryable))
        return grpc.aio.insecure_channel(target, options=options, interceptors=self._interceptors or None)

    def _follow(self, service: str) -> None:
        """Start watching ``service`` once there is a running loop to watch on."""
        if self._closed or service in self._followers:
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        self._followers[service] = asyncio.create_task(
            self._watch(self._states[service]), name=f"follow-{service}"
        )

    async def _watch(self, state: ServiceChannel) -> None:
        backoff = FOLLOW_BACKOFF_INITIAL_SECONDS
        while True:
            try:
                async for endpoints in self._discovery.watch(state.service):
                    await state.update(endpoints)
                    backoff = FOLLOW_BACKOFF_INITIAL_SECONDS
            except Exception:
                log.exception("watching %s failed; retrying in %.1fs", state.service, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, FOLLOW_BACKOFF_MAX_SECONDS)
