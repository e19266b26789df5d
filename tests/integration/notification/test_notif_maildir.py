"""Without an SMTP server configured, emails land in a maildir under the data dir (what `make run` shows)."""

from __future__ import annotations

import uuid
from email import message_from_bytes, policy
from pathlib import Path

from chatmesh.notification.v1 import notifications_pb2 as pb

from mesh.config import Settings
from tests.integration.notification.notif_harness import (
    ADMIN,
    close_service,
    eventually,
    notif_config,
    open_service,
)


async def test_emails_go_to_the_maildir_once_per_notification(notif_settings: Settings) -> None:
    service = await open_service(notif_settings, notif_config())
    try:
        request = pb.SendRequest(
            idempotency_key=str(uuid.uuid4()),
            channel=pb.NOTIFICATION_CHANNEL_EMAIL,
            recipient=pb.Recipient(email="local@example.com"),
            category="product",
            content=pb.NotificationContent(
                subject="Local", body="Look in the maildir", html_body="<b>hi</b>"
            ),
        )
        sent = (await service.stub.Send(request, metadata=ADMIN)).notification
        path = Path(notif_settings.data_dir) / "mail" / "new" / f"{sent.id}.eml"

        async def written() -> bool:
            return path.exists()

        await eventually(written)
        mail = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert mail["To"] == "local@example.com" and mail["Subject"] == "Local"
        assert mail["Message-ID"] == f"<{sent.id}@chatmesh>"
        assert mail.get_body(("html",)).get_content().strip() == "<b>hi</b>"
        assert len(list(path.parent.iterdir())) >= 1
        assert not list((path.parent.parent / "tmp").iterdir())
    finally:
        await close_service(service)
