"""Restart delays for crashed children.

A crash loop must not spin the CPU or flood the log, but a service that ran
fine for a while and then crashed once deserves a quick restart, not the delay
it earned during an earlier loop. Hence: exponential delays with a cap, and a
reset once the process has stayed up long enough to count as healthy.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RestartBackoff:
    initial_seconds: float = 1.0
    cap_seconds: float = 30.0
    stable_after_seconds: float = 60.0
    _consecutive_crashes: int = field(default=0, init=False)

    def next_delay(self, uptime_seconds: float) -> float:
        """Delay before the next start, given how long the crashed run lasted."""
        if uptime_seconds >= self.stable_after_seconds:
            self._consecutive_crashes = 0
        exponent = min(self._consecutive_crashes, 32)
        self._consecutive_crashes += 1
        return float(min(self.initial_seconds * (2**exponent), self.cap_seconds))

    @property
    def consecutive_crashes(self) -> int:
        return self._consecutive_crashes
