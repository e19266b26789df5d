"""What a sender asks for, independent of where it came from (Send, SendBatch or a trigger)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from notification.domain.kinds import Channel, Priority

__all__ = ["Addressee", "Outgoing"]


@dataclass(frozen=True)
class Addressee:
    user_id: str = ""
    email: str = ""
    phone: str = ""
    webhook_url: str = ""
    # Merged over the request's variables for this recipient only.
    variables: dict[str, Any] = field(default_factory=dict)
    # Idempotency key of this recipient's notification.
    key: str = ""


@dataclass(frozen=True)
class Outgoing:
    tenant_id: str
    channel: Channel
    category: str = ""
    priority: Priority = Priority.NORMAL
    template: str = ""
    variables: dict[str, Any] = field(default_factory=dict)
    subject: str = ""
    body: str = ""
    html_body: str = ""
    locale: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    send_at: datetime | None = None
