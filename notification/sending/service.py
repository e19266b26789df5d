"""Turning a request into stored, queued notifications in one transaction.

Everything a notification needs to be delivered is decided here, once: the rendered text,
the address, whether preferences suppress or delay it. The row and its NotificationQueued
event commit together (outbox), so a crash can lose neither; a repeated idempotency key
returns the first row and queues nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from mesh.errors import FieldViolation, InvalidArgument
from notification.domain.kinds import Channel, Status
from notification.domain.preferences import Decision, decide
from notification.domain.templates import Rendered, TemplateProblem, TemplateSpec, render
from notification.preferences.rows import preferences_from_row
from notification.sending.request import Addressee, Outgoing
from notification.store import notifications as store
from notification.store import people, queue
from notification.templates.catalog import resolve

__all__ = ["DEFAULT_CATEGORY", "send"]

DEFAULT_CATEGORY = "general"


def _rendered(spec: TemplateSpec | None, out: Outgoing, who: Addressee, locale: str, where: str) -> Rendered:
    """The texts; the subject on one line (a value with a line break must not become a header)."""
    if spec is None:
        return Rendered(" ".join(out.subject.split()), out.body, out.html_body, locale)
    try:
        text = render(spec, {**out.variables, **who.variables}, locale)
        return Rendered(" ".join(text.subject.split()), text.body, text.html_body, text.locale, text.values)
    except TemplateProblem as exc:
        raise InvalidArgument(
            "the template cannot be rendered", [FieldViolation(f"{where}.{exc.field}", exc.message)]
        ) from exc


def _address(out: Outgoing, who: Addressee, known: Row[Any] | None) -> tuple[str, str, str]:
    """(email, phone, problem): where the notification goes, or why it cannot go anywhere."""
    email = who.email or (known.email if known is not None else "")
    if out.channel is Channel.EMAIL and not email:
        return "", "", "no email address known for the recipient"
    if out.channel is Channel.SMS and not who.phone:
        return email, "", "no phone number given for the recipient"
    if out.channel is Channel.WEBHOOK and not who.webhook_url:
        return email, "", "no webhook URL given"
    return email, who.phone, ""


def _row(
    out: Outgoing,
    who: Addressee,
    *,
    category: str,
    template_id: str,
    text: Rendered,
    address: tuple[str, str, str],
    decision: Decision,
    batch_id: uuid.UUID | None,
    now: datetime,
) -> dict[str, Any]:
    email, phone, problem = address
    send_at = decision.send_at or out.send_at or now
    status = Status.PENDING
    reason = ""
    if problem:
        status, reason = Status.FAILED, problem
    elif not decision.allowed:
        status, reason = Status.SUPPRESSED, decision.reason
    # The inbox is an in-app notification's destination: stored is delivered (only the live
    # push remains, queued as InboxDelivered). Scheduled ones go through the delivery worker.
    inbox_now = status is Status.PENDING and out.channel is Channel.IN_APP and send_at <= now
    delivered: dict[str, Any] = {}
    if inbox_now:
        status = Status.DELIVERED
        delivered = {"attempts": 1, "provider": "inbox", "sent_at": now, "delivered_at": now}
    return delivered | {
        "id": uuid.uuid4(),
        "tenant_id": out.tenant_id,
        "user_id": who.user_id,
        "email": email,
        "phone": phone,
        "webhook_url": who.webhook_url,
        "channel": out.channel.value,
        "category": category,
        "template_id": template_id,
        "locale": text.locale,
        "subject": text.subject,
        "body": text.body,
        "html_body": text.html_body,
        "data": out.data,
        "priority": out.priority.value,
        "status": status.value,
        "failure_reason": reason,
        "idempotency_key": who.key,
        "batch_id": batch_id,
        "enqueued": (status is Status.PENDING or inbox_now) and send_at <= now,
        "digest_key": (
            f"{out.tenant_id}:{who.user_id}:{category}:{out.channel.value}:{int(send_at.timestamp())}"
            if decision.digest and status is Status.PENDING
            else None
        ),
        "created_at": now,
        "send_at": send_at,
    }


async def send(
    db: AsyncSession,
    out: Outgoing,
    recipients: Sequence[Addressee],
    *,
    batch_id: uuid.UUID | None = None,
    field: str = "recipients",
) -> list[Row[Any]]:
    """Store one notification per recipient (existing keys return their first row) and queue
    the new ones that are due; everything in the caller's transaction."""
    now = datetime.now(UTC)
    spec, template_id = None, ""
    if out.template:
        spec, template_id = await resolve(db, out.tenant_id, out.template, "content.template_id")
    category = out.category or (spec.category if spec else "") or DEFAULT_CATEGORY
    user_ids = sorted({w.user_id for w in recipients if w.user_id})
    prefs = await people.get_preferences_many(db, out.tenant_id, user_ids) if user_ids else {}
    known = await people.get_recipients(db, out.tenant_id, user_ids) if user_ids else {}
    rows = []
    for i, who in enumerate(recipients):
        pref = preferences_from_row(prefs.get(who.user_id))
        entry = known.get(who.user_id)
        locale = out.locale or pref.locale or (entry.locale if entry is not None else "")
        where = f"{field}[{i}]" if len(recipients) > 1 else "content"
        text = _rendered(spec, out, who, locale, where)
        decision = decide(pref, category, out.channel, out.priority, now) if who.user_id else Decision(True)
        rows.append(
            _row(
                out,
                who,
                category=category,
                template_id=template_id,
                text=text,
                address=_address(out, who, entry),
                decision=decision,
                batch_id=batch_id,
                now=now,
            )
        )
    stored = await store.insert_many(db, rows)
    new = {r["id"] for r in rows if r["enqueued"]}
    fresh = [row for row in stored if row.id in new]
    await queue.enqueue(db, [row for row in fresh if row.status == Status.PENDING])
    await queue.push_inbox(db, out.tenant_id, [row.id for row in fresh if row.status == Status.DELIVERED])
    return stored
