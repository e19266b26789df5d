"""Static discovery: every service lives at the address settings give it.

This is the default on one machine, where the launcher starts each service on a fixed
port and there is nothing to register with.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from mesh.config import Settings
from mesh.discovery.base import Endpoint


class StaticDiscovery:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    async def register(self, endpoint: Endpoint) -> None:
        """Nothing to announce: callers already know the address from settings."""

    async def deregister(self, endpoint: Endpoint) -> None:
        """Nothing was announced, so nothing to withdraw."""

    async def resolve(self, service: str) -> list[Endpoint]:
        return [Endpoint.of(service, self._settings.static_address(service))]

    async def watch(self, service: str) -> AsyncIterator[list[Endpoint]]:
        """Yield the one address, then wait until cancelled: static addresses never change."""
        yield await self.resolve(service)
        await asyncio.get_running_loop().create_future()

    async def close(self) -> None:
        """Holds no connections."""
