"""A circuit breaker for one channel: closed → open → half-open → closed (or open again).

It opens after ``consecutive_failures`` failures in a row, or when the error rate over a
sliding window exceeds ``error_rate`` once the window holds ``min_requests`` outcomes
(one failing request in ten is noise; forty in a hundred is an outlier). After
``cooldown`` seconds an open breaker admits exactly one trial request (half-open): its
success closes the breaker, its failure opens it again for another cool-down. A probe
outside traffic can close it too.

The window counts outcomes in one-second buckets, so memory stays bounded however busy
the channel is. Pure and clock-injected: the tests drive it with a fake clock.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

__all__ = ["BreakerPolicy", "CircuitBreaker", "Transition"]

CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half_open"


@dataclass(frozen=True)
class BreakerPolicy:
    consecutive_failures: int = 5
    error_rate: float = 0.5
    window_seconds: float = 30.0
    min_requests: int = 20
    cooldown_seconds: float = 10.0


@dataclass(frozen=True)
class Transition:
    """A change of state, with the reason a human reads in the health history."""

    from_state: str
    to_state: str
    reason: str
    http_status: int = 0


class CircuitBreaker:
    def __init__(self, policy: BreakerPolicy) -> None:
        self.policy = policy
        self.state = CLOSED
        self.opened_at = 0.0
        self.trial_at = 0.0
        self.unhealthy_since: float | None = None  # first opening of the current unhealthy streak
        self.consecutive = 0
        self._buckets: deque[list[int]] = deque()  # [second, successes, failures]

    # ---- traffic ----

    def admit(self, now: float) -> tuple[bool, Transition | None]:
        """Whether a request may go now, and the open → half-open transition when it is the trial."""
        if self.state == CLOSED:
            return True, None
        if self.state == OPEN and now - self.opened_at >= self.policy.cooldown_seconds:
            self.trial_at = now
            return True, self._to(HALF_OPEN, "cool-down over; one trial request")
        if self.state == HALF_OPEN and now - self.trial_at >= self.policy.cooldown_seconds:
            # The trial never reported back (cancelled by its caller): another one may go.
            self.trial_at = now
            return True, None
        return False, None

    def force(self, now: float) -> Transition | None:
        """Admit a trial although the cool-down runs (every other candidate is unavailable too)."""
        self.trial_at = now
        if self.state == OPEN:
            return self._to(HALF_OPEN, "trial request: no healthy channel left")
        return None

    def success(self, now: float) -> Transition | None:
        self.consecutive = 0
        self._count(now, ok=True)
        if self.state == HALF_OPEN:
            return self._close("trial request succeeded")
        return None

    def failure(self, now: float, reason: str, http_status: int = 0) -> Transition | None:
        self.consecutive += 1
        self._count(now, ok=False)
        if self.state == HALF_OPEN:
            return self._open(now, f"trial request failed: {reason}", http_status)
        if self.state == OPEN:
            return None
        if self.consecutive >= self.policy.consecutive_failures:
            return self._open(now, f"{self.consecutive} consecutive failures (last: {reason})", http_status)
        total, failed = self._window(now)
        if total >= self.policy.min_requests and failed / total > self.policy.error_rate:
            rate = f"error rate {failed}/{total} over {self.policy.window_seconds:g}s"
            return self._open(now, f"{rate} (last: {reason})", http_status)
        return None

    # ---- probes ----

    def probe_succeeded(self) -> Transition | None:
        if self.state == CLOSED:
            return None
        return self._close("probe succeeded")

    def open_seconds(self, now: float) -> float:
        """How long the current unhealthy streak has lasted (0 when closed)."""
        return 0.0 if self.unhealthy_since is None else now - self.unhealthy_since

    # ---- internals ----

    def _to(self, state: str, reason: str, http_status: int = 0) -> Transition:
        transition = Transition(self.state, state, reason, http_status)
        self.state = state
        return transition

    def _open(self, now: float, reason: str, http_status: int) -> Transition:
        self.opened_at = now
        if self.unhealthy_since is None:
            self.unhealthy_since = now
        return self._to(OPEN, reason, http_status)

    def _close(self, reason: str) -> Transition:
        self.unhealthy_since = None
        self.consecutive = 0
        self._buckets.clear()
        return self._to(CLOSED, reason)

    def _count(self, now: float, *, ok: bool) -> None:
        second = int(now)
        if not self._buckets or self._buckets[-1][0] != second:
            self._buckets.append([second, 0, 0])
        self._buckets[-1][1 if ok else 2] += 1

    def _window(self, now: float) -> tuple[int, int]:
        horizon = now - self.policy.window_seconds
        while self._buckets and self._buckets[0][0] < horizon:
            self._buckets.popleft()
        total = failed = 0
        for _, successes, failures in self._buckets:
            total += successes + failures
            failed += failures
        return total, failed
