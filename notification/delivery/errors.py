"""How a provider failed: worth retrying (busy, down, rate limited) or not (bad address).

``backoff`` is how long the provider asked us to stay away (429 Retry-After, SMTP 421); the
:class:`ProviderGate` keeps every worker of the process off that provider until then, so a
rate-limited provider is not hammered by the retries of everything queued behind it.
"""

from __future__ import annotations

import time

__all__ = ["DEFAULT_BACKOFF_SECONDS", "DeliveryFailed", "ProviderGate", "retry_after"]

DEFAULT_BACKOFF_SECONDS = 5.0
MAX_BACKOFF_SECONDS = 300.0


class DeliveryFailed(Exception):
    """``transient``: another attempt (or another provider) may succeed."""

    def __init__(self, reason: str, *, transient: bool, provider: str = "", backoff: float = 0.0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient
        self.provider = provider
        self.backoff = backoff


def retry_after(header: str | None) -> float:
    """Seconds from a Retry-After header (delta-seconds form), else the default pause."""
    try:
        return min(max(float(header or ""), 0.0), MAX_BACKOFF_SECONDS)
    except ValueError:
        return DEFAULT_BACKOFF_SECONDS


class ProviderGate:
    """Per-process pauses per provider name, set when a provider says it is overloaded."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}

    def check(self, provider: str) -> None:
        """Raise a transient failure while ``provider`` is paused."""
        left = self._until.get(provider, 0.0) - time.monotonic()
        if left > 0:
            raise DeliveryFailed(f"backing off for {left:.0f}s", transient=True, provider=provider)

    def observe(self, failure: DeliveryFailed) -> None:
        if failure.backoff > 0 and failure.provider:
            until = time.monotonic() + min(failure.backoff, MAX_BACKOFF_SECONDS)
            self._until[failure.provider] = max(self._until.get(failure.provider, 0.0), until)
