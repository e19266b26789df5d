"""Live health of every channel on this instance: breakers, in-flight counts, latency averages.

The relay reports every attempt's outcome here (passive outlier detection from live
traffic); selection reads it to skip open breakers and to rank channels for the
least-in-flight and lowest-latency strategies. Everything is in memory and O(1) per
call, so the request path never waits on I/O for health. Breaker transitions are queued
for the :class:`~model_router.health.monitor.HealthMonitor`, which writes them to the
health history and turns long outages into auto-disables.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from model_router.config import ModelRouterSettings
from model_router.domain.breaker import CLOSED, BreakerPolicy, CircuitBreaker, Transition
from model_router.key_parking import KeyParking

__all__ = ["ChannelHealth", "HealthTransition", "breaker_policy"]

_PENDING_LIMIT = 10_000


@dataclass(frozen=True)
class HealthTransition:
    """A breaker transition waiting to be written to the health history."""

    channel_id: str
    from_circuit: str
    to_circuit: str
    source: str  # "traffic" or "probe"
    reason: str
    http_status: int = 0


def breaker_policy(config: ModelRouterSettings) -> BreakerPolicy:
    return BreakerPolicy(
        consecutive_failures=config.breaker_consecutive_failures,
        error_rate=config.breaker_error_rate,
        window_seconds=config.breaker_window_seconds,
        min_requests=config.breaker_min_requests,
        cooldown_seconds=config.breaker_cooldown_seconds,
    )


class ChannelHealth:
    """Implements selection's ``HealthView`` and the relay's outcome reporting."""

    def __init__(
        self,
        config: ModelRouterSettings | None = None,
        *,
        parking: KeyParking | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config or ModelRouterSettings()
        self.policy = breaker_policy(self.config)
        self.parking = parking or KeyParking(self.config.key_cooldown_seconds, clock)
        self.unavailable: set[str] = set()  # channels whose breaker is not closed
        self._clock = clock
        self._breakers: dict[str, CircuitBreaker] = {}
        self._in_flight: dict[str, int] = {}
        self._ttft: dict[str, float] = {}
        self._latency: dict[str, float] = {}
        self._keyless: set[str] = set()
        self._pending: list[HealthTransition] = []

    # ---- selection (HealthView) ----

    def admit(self, channel_id: str) -> bool:
        """May a request go to this unavailable channel now (the half-open trial)?"""
        breaker = self._breakers.get(channel_id)
        if breaker is None:
            self.unavailable.discard(channel_id)
            return True
        admitted, transition = breaker.admit(self._clock())
        self._note(channel_id, breaker, transition, "traffic")
        return admitted

    def force(self, channel_id: str) -> None:
        """Every candidate is unavailable: this one gets a trial request rather than none at all."""
        breaker = self._breakers.get(channel_id)
        if breaker is not None:
            self._note(channel_id, breaker, breaker.force(self._clock()), "traffic")

    def in_flight(self, channel_id: str) -> int:
        return self._in_flight.get(channel_id, 0)

    def latency(self, channel_id: str, stream: bool) -> float:
        """EWMA seconds to first token (streams) or to the whole answer; 0 before any sample."""
        return (self._ttft if stream else self._latency).get(channel_id, 0.0)

    # ---- relay ----

    def started(self, channel_id: str) -> None:
        self._in_flight[channel_id] = self._in_flight.get(channel_id, 0) + 1

    def finished(self, channel_id: str) -> None:
        left = self._in_flight.get(channel_id, 0) - 1
        if left > 0:
            self._in_flight[channel_id] = left
        else:
            self._in_flight.pop(channel_id, None)

    def succeeded(self, channel_id: str, seconds: float, *, stream: bool) -> None:
        averages = self._ttft if stream else self._latency
        previous = averages.get(channel_id)
        alpha = self.config.ewma_alpha
        averages[channel_id] = seconds if previous is None else alpha * seconds + (1 - alpha) * previous
        self._keyless.discard(channel_id)
        breaker = self._breakers.get(channel_id)
        if breaker is not None:
            self._note(channel_id, breaker, breaker.success(self._clock()), "traffic")

    def failed(self, channel_id: str, reason: str, http_status: int = 0) -> None:
        """A failure the channel is to blame for (connect error, timeout, 429, 5xx)."""
        breaker = self._breaker(channel_id)
        self._note(channel_id, breaker, breaker.failure(self._clock(), reason, http_status), "traffic")

    def no_usable_key(self, channel_id: str) -> None:
        self._keyless.add(channel_id)

    # ---- monitor ----

    def circuit(self, channel_id: str) -> str:
        breaker = self._breakers.get(channel_id)
        return CLOSED if breaker is None else breaker.state

    def open_seconds(self, channel_id: str) -> float:
        breaker = self._breakers.get(channel_id)
        return 0.0 if breaker is None else breaker.open_seconds(self._clock())

    def take_keyless(self) -> set[str]:
        keyless, self._keyless = self._keyless, set()
        return keyless

    def drain(self) -> list[HealthTransition]:
        pending, self._pending = self._pending, []
        return pending

    def probe_succeeded(self, channel_id: str) -> None:
        breaker = self._breakers.get(channel_id)
        if breaker is not None:
            self._note(channel_id, breaker, breaker.probe_succeeded(), "probe")

    def forget(self, channel_id: str) -> None:
        """Drop the channel's breaker (auto-disabled, recovered or deleted: it starts afresh)."""
        self._breakers.pop(channel_id, None)
        self.unavailable.discard(channel_id)
        self._keyless.discard(channel_id)

    def retain(self, channel_ids: Iterable[str]) -> None:
        """Forget channels that left the registry snapshot."""
        keep = set(channel_ids)
        for channel_id in [c for c in self._breakers if c not in keep]:
            self.forget(channel_id)

    # ---- internals ----

    def _breaker(self, channel_id: str) -> CircuitBreaker:
        breaker = self._breakers.get(channel_id)
        if breaker is None:
            breaker = self._breakers[channel_id] = CircuitBreaker(self.policy)
        return breaker

    def _note(
        self, channel_id: str, breaker: CircuitBreaker, transition: Transition | None, source: str
    ) -> None:
        if transition is None:
            return
        if breaker.state == CLOSED:
            self.unavailable.discard(channel_id)
        else:
            self.unavailable.add(channel_id)
        if len(self._pending) < _PENDING_LIMIT:
            self._pending.append(
                HealthTransition(
                    channel_id,
                    transition.from_state,
                    transition.to_state,
                    source,
                    transition.reason,
                    transition.http_status,
                )
            )
