"""Process-wide state of the turns this instance runs: slots, live turns, cross-instance cancel.

A Cancel that arrives on another instance is published on a Redis channel (store/cancels.py);
every instance listens and cancels the turn if it runs it.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field

from redis.asyncio import Redis

from mesh.invalidation import InvalidationListener
from orchestrator.config import OrchestratorSettings
from orchestrator.domain.turn_limits import over_limit, turn_limits
from orchestrator.generation.limiter import InstanceLimiter
from orchestrator.store.cancels import CANCEL_CHANNEL, parse_cancel, publish_cancel
from orchestrator.store.instances import InstanceHeartbeat
from orchestrator.store.turn_leases import Lease, TurnLeases

__all__ = ["GenerationRuntime", "LiveTurn"]

log = logging.getLogger(__name__)


@dataclass
class LiveTurn:
    """A turn running (or queued) on this instance; ``cancel`` stops its task at the next await."""

    generation_id: str
    tenant_id: str
    task: asyncio.Task[None] | None = None
    cancel_reason: str = ""
    cancel_requested: bool = False
    queue_seq: int | None = None  # set while waiting for a slot (InstanceLimiter.queue_position)
    lease: Lease | None = None  # its place in its user's and tenant's counts (turn limits)
    finished: asyncio.Event = field(default_factory=asyncio.Event)

    def cancel(self, reason: str) -> bool:
        """Asks the turn to stop; False when it had already finished."""
        if self.finished.is_set():
            return False
        if not self.cancel_requested:
            self.cancel_requested = True
            self.cancel_reason = reason or "cancelled"
            if self.task is not None:
                self.task.cancel()
        return True


class GenerationRuntime:
    def __init__(self, config: OrchestratorSettings, redis: Redis | None) -> None:
        self.config = config
        self.instance_id = uuid.uuid4().hex
        self.limiter = InstanceLimiter(
            config.max_running_turns,
            queue_limit=config.queue_limit,
            queue_seconds=config.queue_seconds,
            retry_after=config.retry_after_seconds,
        )
        self.leases = TurnLeases(redis, lease_seconds=config.turn_lease_seconds)
        self._redis = redis
        self._releasing: set[asyncio.Task[None]] = set()
        self._turns: dict[str, LiveTurn] = {}
        self.heartbeat = InstanceHeartbeat(redis, self.instance_id)
        self._listener = (
            InvalidationListener(redis, {CANCEL_CHANNEL: self._on_remote_cancel}, on_reset=lambda: None)
            if redis is not None
            else None
        )

    async def start(self) -> None:
        await self.heartbeat.start()
        await self.leases.start()
        if self._listener is not None:
            await self._listener.start()

    async def close(self) -> None:
        if self._listener is not None:
            await self._listener.close()
        await self.heartbeat.close()
        for turn in list(self._turns.values()):
            turn.cancel("orchestrator shutting down")
        await asyncio.gather(*self._releasing, return_exceptions=True)
        await self.leases.close()

    async def admit(self, turn: LiveTurn, user_id: str, background: bool) -> None:
        """Takes the turn's place in its user's and tenant's counts, or raises RESOURCE_EXHAUSTED.

        Also sheds the turn when this instance could neither run nor queue it. Called before
        anything about the turn is written, so a refusal leaves nothing behind.
        """
        self.limiter.check()
        config = self.config
        limits = turn_limits(
            turn.tenant_id,
            default_user=config.user_concurrency,
            default_tenant=config.tenant_concurrency,
            overrides=config.tenant_turn_limits,
            background=background,
        )
        lease, refused = await self.leases.acquire(turn.generation_id, turn.tenant_id, user_id, limits)
        if refused is not None:
            raise over_limit(refused[0], refused[1], config.retry_after_seconds)
        turn.lease = lease

    def register(self, generation_id: str, tenant_id: str) -> LiveTurn | None:
        """Claims ``generation_id`` on this instance; None when a turn with that id already runs here."""
        if generation_id in self._turns:
            return None
        turn = LiveTurn(generation_id, tenant_id)
        self._turns[generation_id] = turn
        return turn

    def unregister(self, turn: LiveTurn) -> None:
        turn.finished.set()
        if turn.lease is not None and turn.lease.keys:
            task = asyncio.get_running_loop().create_task(self.leases.release(turn.lease))
            self._releasing.add(task)
            task.add_done_callback(self._releasing.discard)
        turn.lease = None
        if self._turns.get(turn.generation_id) is turn:
            del self._turns[turn.generation_id]

    def local(self, generation_id: str) -> LiveTurn | None:
        return self._turns.get(generation_id)

    def queue_position(self, generation_id: str) -> int:
        """1-based place of a turn queued on this instance; 0 when it is not queued here."""
        turn = self._turns.get(generation_id)
        if turn is None or turn.queue_seq is None:
            return 0
        return self.limiter.queue_position(turn.queue_seq)

    async def cancel(self, generation_id: str, reason: str) -> bool:
        """Cancels the turn here if it runs here, else asks the other instances; True if it ran here."""
        turn = self._turns.get(generation_id)
        if turn is not None:
            return turn.cancel(reason)
        await publish_cancel(self._redis, generation_id, reason)
        return False

    def _on_remote_cancel(self, message: str) -> None:
        generation_id, reason = parse_cancel(message)
        turn = self._turns.get(generation_id)
        if turn is not None:
            log.info("cancelling generation for another instance", extra={"generation_id": generation_id})
            turn.cancel(reason)
