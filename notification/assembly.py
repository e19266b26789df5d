"""Building notification's dependencies and background workers: shared by __main__ and tests.

Engine, Redis and clients come from the caller; what this starts (live feed listener,
delivery and trigger consumers, scheduler, HTTP client for SMS) :func:`close_deps` stops.
"""

from __future__ import annotations

import socket
from contextlib import AsyncExitStack
from dataclasses import dataclass, field

import httpx
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from mesh.clients import ServiceClients
from mesh.config import Settings
from mesh.db import session_factory
from notification.config import NotificationSettings
from notification.delivery.scheduler import Scheduler
from notification.delivery.webhook import WebhookSender, guarded_client
from notification.delivery.wiring import delivery_consumers, email_sender, sms_sender
from notification.deps import NotificationDeps
from notification.inbox.live import LiveFeed
from notification.triggers.consumer import trigger_consumer

__all__ = ["Running", "close_deps", "open_deps"]


@dataclass
class Running:
    deps: NotificationDeps
    stack: AsyncExitStack = field(default_factory=AsyncExitStack)


def consumer_name(settings: Settings) -> str:
    """Stable across restarts of one instance, so it picks up what it left pending."""
    return f"{socket.gethostname()}-{settings.notification_port}"


async def open_deps(
    settings: Settings,
    engine: AsyncEngine,
    redis: Redis,
    clients: ServiceClients | None = None,
    *,
    config: NotificationSettings | None = None,
    workers: bool = True,
    name: str | None = None,
) -> Running:
    """``workers=False`` starts no consumers or scheduler (tests drive them by hand)."""
    config = config or NotificationSettings()
    stack = AsyncExitStack()
    http = httpx.AsyncClient(timeout=config.http_timeout_seconds)
    stack.push_async_callback(http.aclose)
    # Tenant admins choose webhook URLs: their client checks every address it connects to.
    webhook_http = guarded_client(config.webhook_allowed_hosts, config.http_timeout_seconds)
    stack.push_async_callback(webhook_http.aclose)
    live = LiveFeed(
        redis,
        maxlen=config.live_events_per_user,
        ttl_seconds=config.live_events_ttl_seconds,
        poll_seconds=config.live_poll_seconds,
    )
    await live.start()
    stack.push_async_callback(live.close)
    deps = NotificationDeps(
        settings=settings,
        config=config,
        sessions=session_factory(engine),
        redis=redis,
        live=live,
        email=email_sender(settings, config),
        webhook=WebhookSender(
            webhook_http, config.webhook_secret.get_secret_value().encode(), config.webhook_allowed_hosts
        ),
        sms=sms_sender(config, http),
        clients=clients,
    )
    close_email = getattr(deps.email, "close", None)
    if close_email is not None:
        stack.push_async_callback(close_email)
    running = Running(deps, stack)
    if workers:
        await start_workers(running, name or consumer_name(settings))
    return running


async def start_workers(running: Running, name: str) -> None:
    deps = running.deps
    for delivery in delivery_consumers(deps, name):
        await delivery.start()
        running.stack.push_async_callback(delivery.stop)
    if deps.config.triggers:
        triggers = trigger_consumer(deps, name)
        await triggers.start()
        running.stack.push_async_callback(triggers.stop)
    scheduler = Scheduler(deps.sessions, deps.config.schedule_poll_seconds)
    scheduler.start()
    running.stack.push_async_callback(scheduler.stop)


async def close_deps(running: Running) -> None:
    await running.stack.aclose()
