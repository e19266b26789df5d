"""How a provider failed: worth retrying (busy, down, rate limited) or not (bad address)."""

from __future__ import annotations

__all__ = ["DeliveryFailed"]


class DeliveryFailed(Exception):
    """``transient``: another attempt (or another provider) may succeed."""

    def __init__(self, reason: str, *, transient: bool, provider: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient
        self.provider = provider
