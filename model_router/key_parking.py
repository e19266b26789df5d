"""Keys refused by their upstream (401/403, quota exhausted) sit out a cool-down, in memory; and key rotation.

Parking is per instance and short-lived on purpose: a key revoked upstream wastes at most one
request per cool-down per instance, while a transient refusal heals on its own. The reason
is kept so logs and operators can see why a key is skipped.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from model_router.domain.channels import ChannelKey

__all__ = ["DEFAULT_COOLDOWN_SECONDS", "KeyParking", "ParkedKey"]

DEFAULT_COOLDOWN_SECONDS = 60.0


@dataclass(frozen=True)
class ParkedKey:
    until: float
    reason: str


class KeyParking:
    def __init__(
        self, cooldown_seconds: float = DEFAULT_COOLDOWN_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._cooldown = cooldown_seconds
        self._clock = clock
        self._parked: dict[str, ParkedKey] = {}
        self._turns: dict[str, int] = {}

    def park(self, key_id: str, reason: str) -> None:
        self._parked[key_id] = ParkedKey(self._clock() + self._cooldown, reason)

    def parked(self, key_id: str) -> ParkedKey | None:
        entry = self._parked.get(key_id)
        if entry is not None and entry.until <= self._clock():
            del self._parked[key_id]
            return None
        return entry

    def pick(
        self, keys: Sequence[ChannelKey], rng: random.Random, *, round_robin: str = ""
    ) -> ChannelKey | None:
        """A key that is not parked; None when every key of the channel is parked (or it has none).

        Random by default; with ``round_robin`` set (the channel id) the usable keys take turns,
        counted per channel on this instance.
        """
        usable = [key for key in keys if self.parked(key.id) is None]
        if not usable:
            return None
        if not round_robin:
            return rng.choice(usable)
        turn = self._turns.get(round_robin, 0)
        self._turns[round_robin] = turn + 1
        return usable[turn % len(usable)]

    def has_usable(self, keys: Sequence[ChannelKey]) -> bool:
        return any(self.parked(key.id) is None for key in keys)

    def reasons(self, keys: Sequence[ChannelKey]) -> list[str]:
        """Why each parked key of ``keys`` is parked (for the auto-disable reason)."""
        return [entry.reason for key in keys if (entry := self.parked(key.id)) is not None]
