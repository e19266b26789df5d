"""One handler per event type: what it means for the recipient, as an Outgoing notification.

Every notification a trigger creates is keyed by the event id (and channel), so the same
event handled twice (a redelivery after the consumer's own dedupe window, a replayed
stream) stores nothing new and sends nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from chatmesh.events.v1 import identity_events_pb2 as identity
from chatmesh.events.v1 import notification_events_pb2 as requests
from chatmesh.events.v1 import usage_events_pb2 as usage
from google.protobuf.message import Message
from sqlalchemy.ext.asyncio import AsyncSession

from mesh.events import EventEnvelope
from notification.domain.kinds import Channel, Priority
from notification.sending.request import Addressee, Outgoing
from notification.sending.service import send
from notification.store import people

__all__ = ["TRIGGERS", "Trigger"]

log = logging.getLogger(__name__)

Trigger = Callable[[AsyncSession, EventEnvelope, Any], Awaitable[None]]
_PLACEHOLDER_SUFFIX = ".invalid"


def _key(envelope: EventEnvelope, channel: Channel, who: str = "") -> str:
    return f"event:{envelope.id}:{channel.value}" + (f":{who}" if who else "")


def _minutes_until(stamp: Any, envelope: EventEnvelope) -> str:
    if not stamp.seconds:
        return ""
    start = envelope.occurred_at.ToDatetime(UTC) if envelope.occurred_at.seconds else datetime.now(UTC)
    return str(max(1, round((stamp.ToDatetime(UTC) - start).total_seconds() / 60)))


async def _display_name(db: AsyncSession, tenant_id: str, user_id: str) -> str:
    known = await people.get_recipient(db, tenant_id, user_id) if user_id else None
    return known.display_name if known is not None else ""


async def _security_email(
    db: AsyncSession,
    envelope: EventEnvelope,
    *,
    user_id: str,
    email: str,
    locale: str,
    template: str,
    variables: dict[str, str],
) -> None:
    if not email or email.endswith(_PLACEHOLDER_SUFFIX):
        return
    out = Outgoing(
        tenant_id=envelope.tenant_id,
        channel=Channel.EMAIL,
        category="security",
        priority=Priority.HIGH,
        template=template,
        locale=locale,
        variables={"display_name": await _display_name(db, envelope.tenant_id, user_id), **variables},
    )
    await send(db, out, [Addressee(user_id=user_id, email=email, key=_key(envelope, Channel.EMAIL))])


async def _in_app(
    db: AsyncSession,
    envelope: EventEnvelope,
    user_id: str,
    template: str,
    variables: dict[str, str],
    **kw: Any,
) -> None:
    if not user_id:
        return
    out = Outgoing(
        tenant_id=envelope.tenant_id, channel=Channel.IN_APP, template=template, variables=variables, **kw
    )
    await send(db, out, [Addressee(user_id=user_id, key=_key(envelope, Channel.IN_APP, user_id))])


async def user_registered(db: AsyncSession, envelope: EventEnvelope, event: Any) -> None:
    """Remember the address (later events name only the user id) and greet in the inbox."""
    email = "" if event.email.endswith(_PLACEHOLDER_SUFFIX) else event.email
    now = datetime.now(UTC)
    name = event.display_name or event.username
    await people.upsert_recipient(
        db, envelope.tenant_id, event.user_id, now, email=email, display_name=name, locale=event.locale
    )
    await _in_app(db, envelope, event.user_id, "welcome", {"display_name": name}, locale=event.locale)


def _link_email(template: str, link_field: str) -> Trigger:
    """A trigger mailing identity's single-use link (reset, verification) to the event's address."""

    async def trigger(db: AsyncSession, envelope: EventEnvelope, event: Any) -> None:
        await _security_email(
            db,
            envelope,
            user_id=event.user_id,
            email=event.email,
            locale=event.locale,
            template=template,
            variables={
                link_field: getattr(event, link_field),
                "expire_minutes": _minutes_until(event.expire_time, envelope),
            },
        )

    return trigger


password_reset_requested = _link_email("password_reset", "reset_url")
email_verification_requested = _link_email("email_verification", "verify_url")


async def user_email_changed(db: AsyncSession, envelope: EventEnvelope, event: Any) -> None:
    """Warn the old address: it is the owner's last line if someone else changed it."""
    await _security_email(
        db,
        envelope,
        user_id=event.user_id,
        email=event.old_email,
        locale=event.locale,
        template="email_changed",
        variables={"new_email": event.new_email},
    )


async def user_email_verified(db: AsyncSession, envelope: EventEnvelope, event: Any) -> None:
    await people.upsert_recipient(db, envelope.tenant_id, event.user_id, datetime.now(UTC), email=event.email)


async def api_key_created(db: AsyncSession, envelope: EventEnvelope, event: Any) -> None:
    await _in_app(
        db,
        envelope,
        event.owner_id,
        "api_key_created",
        {"key_name": event.name or event.prefix, "prefix": event.prefix},
        category="security",
        priority=Priority.HIGH,
        data={"api_key_id": event.api_key_id},
    )


def channel_status_changed(ops_emails: list[str]) -> Trigger:
    """A model channel changed state: mailed to the operators' addresses.

    Channels belong to the platform, not to a tenant, and no event or credential lets this
    service find the platform's admins, so the addresses are configured (``ops_emails``).
    """

    async def trigger(db: AsyncSession, envelope: EventEnvelope, event: Any) -> None:
        out = Outgoing(
            tenant_id=envelope.tenant_id,
            channel=Channel.EMAIL,
            category="alerts",
            priority=Priority.NORMAL if event.manual else Priority.HIGH,
            template="channel_status_changed",
            variables={
                "channel_name": event.channel_name or event.channel_id,
                "status": event.status,
                "previous_status": event.previous_status,
                "reason": event.reason,
            },
        )
        who = [Addressee(email=a, key=_key(envelope, Channel.EMAIL, a)) for a in ops_emails]
        if who:
            await send(db, out, who)

    return trigger


async def quota_exhausted(db: AsyncSession, envelope: EventEnvelope, event: Any) -> None:
    scope = usage.QuotaScope.Name(event.scope).removeprefix("QUOTA_SCOPE_").lower().replace("_", " ")
    await _in_app(
        db,
        envelope,
        event.notify_user_id,
        "quota_exhausted",
        {"metric": event.metric, "limit": str(event.limit), "used": str(event.used), "scope": scope},
        category="billing",
        priority=Priority.HIGH,
        data={"subject_id": event.subject_id, "metric": event.metric},
    )


_REQUESTED_CHANNELS = {
    requests.NOTIFICATION_CHANNEL_EMAIL: Channel.EMAIL,
    requests.NOTIFICATION_CHANNEL_SMS: Channel.SMS,
    requests.NOTIFICATION_CHANNEL_IN_APP: Channel.IN_APP,
}
_REQUESTED_PRIORITIES = {
    requests.NOTIFICATION_PRIORITY_LOW: Priority.LOW,
    requests.NOTIFICATION_PRIORITY_HIGH: Priority.HIGH,
}


async def notification_requested(db: AsyncSession, envelope: EventEnvelope, event: Any) -> None:
    """Another service asks for a notification without calling Send (no user credentials needed).

    Without channels the user gets it in the inbox, and by email when an address is known.
    Keyed by ``dedupe_key`` (else the event id) and channel, so asking twice sends once.
    """
    if not event.template_id:
        log.warning("NotificationRequested without a template ignored", extra={"event_id": envelope.id})
        return
    channels = [_REQUESTED_CHANNELS[c] for c in event.channels if c in _REQUESTED_CHANNELS]
    if not channels:
        known = await people.get_recipient(db, envelope.tenant_id, event.user_id) if event.user_id else None
        channels = [Channel.IN_APP] if event.user_id else []
        if event.email or (known is not None and known.email):
            channels.append(Channel.EMAIL)
    base = event.dedupe_key or envelope.id
    for channel in channels:
        if channel is Channel.IN_APP and not event.user_id:
            continue
        out = Outgoing(
            tenant_id=envelope.tenant_id,
            channel=channel,
            priority=_REQUESTED_PRIORITIES.get(event.priority, Priority.NORMAL),
            template=event.template_id,
            variables=dict(event.variables),
            locale=event.locale,
        )
        who = Addressee(
            user_id=event.user_id, email=event.email, phone=event.phone, key=f"req:{base}:{channel.value}"
        )
        await send(db, out, [who])


TRIGGERS: dict[str, tuple[type[Message], Trigger]] = {
    identity.UserRegistered.DESCRIPTOR.full_name: (identity.UserRegistered, user_registered),
    identity.PasswordResetRequested.DESCRIPTOR.full_name: (
        identity.PasswordResetRequested,
        password_reset_requested,
    ),
    identity.ApiKeyCreated.DESCRIPTOR.full_name: (identity.ApiKeyCreated, api_key_created),
    usage.QuotaExhausted.DESCRIPTOR.full_name: (usage.QuotaExhausted, quota_exhausted),
    requests.NotificationRequested.DESCRIPTOR.full_name: (
        requests.NotificationRequested,
        notification_requested,
    ),
    identity.EmailVerificationRequested.DESCRIPTOR.full_name: (
        identity.EmailVerificationRequested,
        email_verification_requested,
    ),
    identity.UserEmailChanged.DESCRIPTOR.full_name: (identity.UserEmailChanged, user_email_changed),
    identity.UserEmailVerified.DESCRIPTOR.full_name: (identity.UserEmailVerified, user_email_verified),
}
