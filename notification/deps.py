"""What notification's servicer, workers and triggers need, built once by assembly.py (or a test)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from mesh.clients import ServiceClients
    from mesh.config import Settings
    from notification.config import NotificationSettings
    from notification.delivery.email import EmailSender
    from notification.delivery.sms import SmsSender
    from notification.delivery.webhook import WebhookSender
    from notification.inbox.live import LiveFeed


@dataclass
class NotificationDeps:
    settings: Settings
    config: NotificationSettings
    sessions: async_sessionmaker[AsyncSession]
    redis: Redis
    live: LiveFeed
    email: EmailSender
    webhook: WebhookSender
    sms: SmsSender | None = None
    clients: ServiceClients | None = None
