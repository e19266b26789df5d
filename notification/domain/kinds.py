"""Channels, priorities and the forward-only delivery status machine.

A notification's status only moves forward: a late provider callback ("delivered" after
"bounced", "sent" after "failed") must never undo what was already decided.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["FINAL", "SECURITY_CATEGORIES", "Channel", "Priority", "Status", "can_move"]


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    IN_APP = "in_app"
    WEBHOOK = "webhook"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"


class Status(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DELIVERED = "delivered"
    BOUNCED = "bounced"
    FAILED = "failed"
    SUPPRESSED = "suppressed"


FINAL = frozenset({Status.DELIVERED, Status.BOUNCED, Status.FAILED, Status.SUPPRESSED})
_NEXT: dict[Status, frozenset[Status]] = {
    Status.PENDING: frozenset(Status) - {Status.PENDING},
    Status.SENT: frozenset({Status.DELIVERED, Status.BOUNCED, Status.FAILED}),
}

# Categories a user cannot mute: they protect the account itself.
SECURITY_CATEGORIES = frozenset({"security"})


def can_move(current: Status, target: Status) -> bool:
    """Whether ``current`` may become ``target`` (final states never change)."""
    return target in _NEXT.get(current, frozenset())
