"""The background half of channel health: history, auto-disable, probes and auto-recovery.

Every ``monitor_tick_seconds`` it writes the breaker transitions the tracker queued to
``channel_health_events``, and auto-disables (persisted, with a reason and an event)
channels whose breaker stayed open past ``auto_disable_after_seconds`` or that the relay
found without a usable key. Every ``probe_interval_seconds`` it sends a test request to
channels whose breaker is open (success closes it) and to auto-disabled channels
(success re-enables them). Status changes go through the registry's change announcement,
so every instance's snapshot follows within its refresh window. An operator's manual
disable is never undone: recovery only updates rows still ``auto_disabled``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from model_router.domain.channels import RoutableChannel
from model_router.health.tester import ChannelTester, TestOutcome
from model_router.health.tracker import ChannelHealth
from model_router.store import health as health_store
from model_router.store.health import HealthEventRow

__all__ = ["ChannelDirectory", "HealthMonitor"]

log = logging.getLogger(__name__)

_PROBE_CONCURRENCY = 8


class ChannelDirectory(Protocol):
    """What the monitor needs of the channel registry."""

    def get(self, channel_id: str) -> RoutableChannel | None: ...

    def build(self, rows: list[dict[str, Any]], keys: list[dict[str, Any]]) -> list[RoutableChannel]: ...

    async def changed(self) -> None: ...


class HealthMonitor:
    def __init__(
        self,
        engine: AsyncEngine,
        health: ChannelHealth,
        directory: ChannelDirectory,
        tester: ChannelTester,
    ) -> None:
        self._engine = engine
        self._health = health
        self._directory = directory
        self._tester = tester
        self._config = health.config
        self._task: asyncio.Task[None] | None = None
        self._next_probe = 0.0

    async def start(self) -> None:
        self._next_probe = time.monotonic() + self._config.probe_interval_seconds
        self._task = asyncio.create_task(self._run(), name="channel-health-monitor")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        with contextlib.suppress(Exception):
            await self.flush()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._config.monitor_tick_seconds)
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("channel health check failed; retrying next tick", exc_info=True)

    async def tick(self) -> None:
        """One round: history, auto-disables, and the probes when they are due."""
        await self.flush()
        await self.disable_unhealthy()
        if time.monotonic() >= self._next_probe:
            self._next_probe = time.monotonic() + self._config.probe_interval_seconds
            await self.probe()

    # ---- history ----

    async def flush(self) -> None:
        """Write the breaker transitions queued since the last flush."""
        pending = self._health.drain()
        if not pending:
            return
        rows = [
            HealthEventRow(
                uuid.UUID(t.channel_id),
                "enabled",
                "enabled",
                t.from_circuit,
                t.to_circuit,
                t.source,
                t.reason,
                t.http_status,
            )
            for t in pending
            if _is_uuid(t.channel_id)
        ]
        async with self._engine.begin() as conn:
            await health_store.insert_events(conn, rows)

    # ---- auto-disable ----

    async def disable_unhealthy(self) -> None:
        limit = self._config.auto_disable_after_seconds
        for channel_id in list(self._health.unavailable):
            seconds = self._health.open_seconds(channel_id)
            if seconds >= limit:
                await self._disable(channel_id, "traffic", f"circuit open for {seconds:.0f}s")
        for channel_id in self._health.take_keyless():
            channel = self._directory.get(channel_id)
            if channel is None or self._health.parking.has_usable(channel.keys):
                continue
            reasons = sorted(set(self._health.parking.reasons(channel.keys)))
            detail = f" (keys parked: {', '.join(reasons)})" if reasons else ""
            await self._disable(channel_id, "keys", f"no usable key{detail}")

    async def _disable(self, channel_id: str, source: str, reason: str) -> None:
        if not _is_uuid(channel_id):
            return
        circuit = self._health.circuit(channel_id)
        async with self._engine.begin() as conn:
            done = await health_store.auto_disable(conn, uuid.UUID(channel_id), reason)
            if done:
                event = HealthEventRow(
                    uuid.UUID(channel_id), "enabled", "auto_disabled", circuit, circuit, source, reason
                )
                await health_store.insert_events(conn, [event])
        self._health.forget(channel_id)
        if done:
            log.warning("channel auto-disabled", extra={"channel_id": channel_id, "reason": reason})
            await self._directory.changed()

    # ---- probes ----

    async def probe(self) -> None:
        """Test open channels (to close their breaker) and auto-disabled ones (to recover them)."""
        open_channels = [
            c for cid in list(self._health.unavailable) if (c := self._directory.get(cid)) is not None
        ]
        async with self._engine.connect() as conn:
            rows, keys = await health_store.auto_disabled_rows(conn)
        disabled = self._directory.build(rows, keys)
        gate = asyncio.Semaphore(_PROBE_CONCURRENCY)

        async def one(channel: RoutableChannel, recovering: bool) -> None:
            async with gate:
                outcome = await self._tester.test(channel)
            await self.record(channel.id, outcome)
            if outcome.success and recovering:
                await self.recover(channel.id, "probe succeeded")
            elif outcome.success:
                self._health.probe_succeeded(channel.id)

        await asyncio.gather(*(one(c, False) for c in open_channels), *(one(c, True) for c in disabled))
        await self.flush()

    async def record(self, channel_id: str, outcome: TestOutcome) -> None:
        """Keep the channel's last test (Channel.last_test_time / last_test_latency)."""
        if not _is_uuid(channel_id):
            return
        async with self._engine.begin() as conn:
            await health_store.record_test(
                conn, uuid.UUID(channel_id), round(outcome.seconds * 1000), outcome.success
            )

    async def recover(self, channel_id: str, reason: str) -> bool:
        """auto_disabled → enabled with an event; False when it was not auto-disabled."""
        async with self._engine.begin() as conn:
            done = await health_store.recover(conn, uuid.UUID(channel_id))
            if done:
                event = HealthEventRow(
                    uuid.UUID(channel_id), "auto_disabled", "enabled", "closed", "closed", "probe", reason
                )
                await health_store.insert_events(conn, [event])
        if done:
            self._health.forget(channel_id)
            log.info("channel recovered", extra={"channel_id": channel_id})
            await self._directory.changed()
        return done


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
