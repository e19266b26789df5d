"""Digests: a category's emails in one window become one message; security notices never wait."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from chatmesh.notification.v1 import notifications_pb2 as pb
from chatmesh.notification.v1 import preferences_pb2 as prefs_pb
from google.protobuf import duration_pb2
from sqlalchemy import select

from mesh.config import Settings
from notification.store.tables import notifications
from tests.fakes.smtp_sink import SmtpSink
from tests.integration.notification.notif_harness import (
    ADMIN,
    BOB,
    BOB_ID,
    close_service,
    eventually,
    notif_config,
    open_service,
    settled,
)

ADDRESS = "digest-bob@example.com"


def _email(subject: str, category: str) -> pb.SendRequest:
    return pb.SendRequest(
        idempotency_key=str(uuid.uuid4()),
        channel=pb.NOTIFICATION_CHANNEL_EMAIL,
        category=category,
        recipient=pb.Recipient(user_id=BOB_ID, email=ADDRESS),
        content=pb.NotificationContent(subject=subject, body=f"body of {subject}"),
    )


async def test_a_windows_emails_arrive_as_one_digest(notif_settings: Settings, smtp: SmtpSink) -> None:
    service = await open_service(
        notif_settings, notif_config(smtp_url=smtp.url(), min_digest_window_seconds=1)
    )
    try:
        digest = prefs_pb.CategoryPreference(category="news", digest_window=duration_pb2.Duration(seconds=3))
        await service.stub.UpdatePreferences(
            prefs_pb.UpdatePreferencesRequest(preferences=prefs_pb.Preferences(categories=[digest])),
            metadata=BOB,
        )
        got = await service.stub.GetPreferences(prefs_pb.GetPreferencesRequest(), metadata=BOB)
        assert got.preferences.categories[0].digest_window.seconds == 3

        held = [
            (await service.stub.Send(_email(f"news {i}", "news"), metadata=ADMIN)).notification
            for i in range(3)
        ]
        assert all(n.status == pb.NOTIFICATION_STATUS_PENDING for n in held)
        assert all(n.send_time.ToDatetime(UTC) > datetime.now(UTC).replace(microsecond=0) for n in held)
        alert = (await service.stub.Send(_email("password changed", "security"), metadata=ADMIN)).notification
        assert (await settled(service, alert.id)).status == pb.NOTIFICATION_STATUS_SENT

        finals = [await settled(service, n.id) for n in held]
        async with service.deps.sessions() as db:
            keys = {
                row.digest_key
                for row in await db.execute(
                    select(notifications.c.digest_key).where(
                        notifications.c.id.in_([uuid.UUID(n.id) for n in held])
                    )
                )
            }
        sent = [n for n in finals if n.status == pb.NOTIFICATION_STATUS_SENT]
        folded = [n for n in finals if n.status == pb.NOTIFICATION_STATUS_SUPPRESSED]
        assert len(sent) == len(keys) and len(sent) + len(folded) == 3
        assert all(f.failure_reason.startswith("sent in the digest ") for f in folded)

        async def digests() -> list[object]:
            mails = [m for m in smtp.to(ADDRESS) if m["Subject"] != "password changed"]
            return mails if len(mails) == len(keys) else []

        mails = await eventually(digests)
        text = "".join(m.get_body(("plain",)).get_content() for m in mails)
        for i in range(3):
            assert text.count(f"body of news {i}") == 1
        if len(keys) == 1:
            assert mails[0]["Subject"] == "3 notifications: news 0"
    finally:
        await close_service(service)
