"""In-memory snapshot of routable channels, refreshed on change across instances.

Every request selects from the current snapshot without touching Postgres. An
admin change publishes on :data:`CHANNELS_CHANGED` after its commit; every
instance reloads on that message. Pub/sub can miss messages (Redis down, a
reconnect), so a periodic check of a cheap fingerprint (row counts and latest
``updated_at``) reloads too: changes land within ``reload_seconds`` at worst.

The registry also owns the channels' live health (:class:`ChannelHealth`, shared with
the relay, which reports to it) and the :class:`HealthMonitor` that turns it into
auto-disables, recoveries and history: routability is configuration plus health.
Auto-disable and recovery are ordinary status changes, so they reach other instances
the same way an admin change does.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from mesh.invalidation import RefreshLoop
from mesh.secrets import SecretBox, SecretDecryptError
from model_router.config import ModelRouterSettings
from model_router.domain.channels import ChannelKey, RoutableChannel
from model_router.domain.selection import ChannelIndex
from model_router.health.monitor import HealthMonitor
from model_router.health.tester import ChannelTester
from model_router.health.tracker import ChannelHealth
from model_router.relay import upstream_client
from model_router.store import channels as channel_store
from model_router.store.channels import CHANNEL_KEY_CONTEXT, CHANNELS_CHANGED, routable_channel

__all__ = ["CHANNELS_CHANGED", "ChannelRegistry", "RegistrySnapshot"]

log = logging.getLogger(__name__)

DEFAULT_RELOAD_SECONDS = 2.0


@dataclass(frozen=True)
class RegistrySnapshot:
    """One consistent view: the enabled channels and their selection index."""

    index: ChannelIndex
    by_id: dict[str, RoutableChannel]
    loaded_at: float

    @classmethod
    def of(cls, channels: list[RoutableChannel]) -> RegistrySnapshot:
        return cls(ChannelIndex(channels), {c.id: c for c in channels}, time.monotonic())


class ChannelRegistry:
    """Holds the current :class:`RegistrySnapshot`; :meth:`start` loads it and keeps it fresh."""

    def __init__(
        self,
        engine: AsyncEngine,
        secrets: SecretBox,
        redis: Redis | None,
        *,
        reload_seconds: float = DEFAULT_RELOAD_SECONDS,
        config: ModelRouterSettings | None = None,
    ) -> None:
        self.config = config or ModelRouterSettings()
        self.health = ChannelHealth(self.config)
        self._probe_http = upstream_client()
        self.tester = ChannelTester(self._probe_http, self.health.parking, self.config.probe_timeout_seconds)
        self.monitor = HealthMonitor(engine, self.health, self, self.tester)
        self._engine = engine
        self._secrets = secrets
        self._snapshot = RegistrySnapshot.of([])
        self._fingerprint: tuple[Any, ...] | None = None
        self._lock = asyncio.Lock()
        self._refresh = RefreshLoop(
            redis,
            CHANNELS_CHANGED,
            self.reload,
            interval=reload_seconds,
            name="channel-registry",
            what="channel registry",
            kept="snapshot",
            logger=log,
        )

    @property
    def snapshot(self) -> RegistrySnapshot:
        return self._snapshot

    @property
    def index(self) -> ChannelIndex:
        return self._snapshot.index

    def get(self, channel_id: str) -> RoutableChannel | None:
        return self._snapshot.by_id.get(channel_id)

    async def start(self) -> None:
        """Load once, then listen for change announcements and check periodically."""
        await self.reload()
        await self._refresh.start()
        await self.monitor.start()

    async def close(self) -> None:
        await self.monitor.close()
        await self._probe_http.aclose()
        await self._refresh.close()

    async def changed(self) -> None:
        """After a committed change: reload here at once and tell the other instances.

        Never raises: the change is committed already, and the periodic reload still
        picks it up if this reload fails.
        """
        await self._refresh.changed()

    async def reload(self, *, only_if_changed: bool = False) -> None:
        async with self._lock:
            async with self._engine.connect() as conn:
                fingerprint = await channel_store.routing_fingerprint(conn)
                if only_if_changed and fingerprint == self._fingerprint:
                    return
                rows, keys = await channel_store.routable_rows(conn)
            self._snapshot = RegistrySnapshot.of(self.build(rows, keys))
            self._fingerprint = fingerprint
            self.health.retain(self._snapshot.by_id)
        log.debug("channel registry reloaded", extra={"channels": len(rows)})

    def build(self, rows: list[dict[str, Any]], keys: list[dict[str, Any]]) -> list[RoutableChannel]:
        """Routable channels from stored rows and their keys (keys that fail to decrypt are skipped)."""
        by_channel: dict[str, list[ChannelKey]] = {}
        for key in keys:
            try:
                secret = self._secrets.decrypt(bytes(key["key_ciphertext"]), CHANNEL_KEY_CONTEXT).decode()
            except SecretDecryptError:
                log.error("channel key cannot be decrypted; skipped", extra={"key_id": str(key["id"])})
                continue
            by_channel.setdefault(str(key["channel_id"]), []).append(ChannelKey(str(key["id"]), secret))
        return [routable_channel(row, tuple(by_channel.get(str(row["id"]), ()))) for row in rows]
