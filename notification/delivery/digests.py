"""Collapsing a digest window's notifications into the one that is sent.

The oldest notification of the window carries the digest (its text replaced by the
composed one); the others are marked SUPPRESSED with the carrier's id as the reason, in the
same transaction that queues the carrier, so a window yields exactly one message even when
two sweepers race or events arrive in the same second.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from notification.domain.digest import compose
from notification.domain.kinds import Status
from notification.store import notifications as store

__all__ = ["collapse"]


async def collapse(db: AsyncSession, digest_key: str) -> Any | None:
    """The notification to queue for ``digest_key`` (None when another sweeper took it)."""
    members = await store.digest_members(db, digest_key)
    if not members:
        return None
    carrier, rest = members[0], members[1:]
    if rest:
        subject, body = compose([(m.subject, m.body) for m in members])
        await store.mark_status(db, carrier.id, subject=subject, body=body, html_body="")
        for member in rest:
            await store.mark_status(
                db,
                member.id,
                status=Status.SUPPRESSED.value,
                failure_reason=f"sent in the digest {carrier.id}",
                enqueued=True,
            )
    return carrier
