"""Identity's events become emails and inbox entries, once per event, through a real SMTP server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chatmesh.events.v1 import identity_events_pb2 as identity
from chatmesh.notification.v1 import notifications_pb2 as pb
from google.protobuf import timestamp_pb2
from sqlalchemy import func, select

from mesh.config import Settings
from notification.store.tables import notifications, recipients
from tests.fakes.smtp_sink import SmtpSink
from tests.integration.notification.notif_harness import (
    ALICE,
    ALICE_ID,
    Service,
    close_service,
    eventually,
    notif_config,
    open_service,
    publish,
)


def _expiry(minutes: int) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(datetime.now(UTC) + timedelta(minutes=minutes))
    return stamp


async def _rows(service: Service, **where: str) -> int:
    async with service.deps.sessions() as db:
        query = select(func.count()).select_from(notifications)
        for key, value in where.items():
            query = query.where(notifications.c[key] == value)
        return int((await db.execute(query)).scalar_one())


async def test_password_reset_mails_the_link_once_even_when_the_event_is_replayed(
    service: Service, smtp: SmtpSink
) -> None:
    event = identity.PasswordResetRequested(
        user_id=ALICE_ID,
        email="alice@example.com",
        locale="en",
        reset_url="http://gateway.test/reset-password?token=rst_abc123",
        expire_time=_expiry(30),
    )
    event_id = await publish(service.redis, "identity", event, tenant_id="t1")
    mail = await eventually(lambda: _async(smtp.to("alice@example.com")))
    assert len(mail) == 1
    text = mail[0].get_body(("plain",)).get_content()
    assert "http://gateway.test/reset-password?token=rst_abc123" in text
    assert "30 minutes" in text
    assert mail[0]["Subject"] == "Reset your password"

    # The relay published it twice (a retry after a lost reply), and much later it is replayed.
    await publish(service.redis, "identity", event, tenant_id="t1", event_id=event_id)
    assert await service.deps.redis.delete(f"events-seen:notification-triggers:{event_id}") == 1  # forgotten
    await publish(service.redis, "identity", event, tenant_id="t1", event_id=event_id)
    marker = identity.PasswordResetRequested(
        user_id=ALICE_ID, email="marker@example.com", reset_url="http://x/r"
    )
    await publish(service.redis, "identity", marker, tenant_id="t1")
    await eventually(lambda: _async(smtp.to("marker@example.com")))
    assert len(smtp.to("alice@example.com")) == 1
    assert await _rows(service, email="alice@example.com") == 1


async def test_reset_email_is_localized_from_the_event(service: Service, smtp: SmtpSink) -> None:
    event = identity.PasswordResetRequested(
        user_id=ALICE_ID,
        email="zh@example.com",
        locale="zh-CN",
        reset_url="http://gw/r?token=t",
        expire_time=_expiry(15),
    )
    await publish(service.redis, "identity", event, tenant_id="t1")
    [mail] = await eventually(lambda: _async(smtp.to("zh@example.com")))
    assert mail["Subject"] == "重置您的密码"
    assert "15 分钟" in mail.get_body(("plain",)).get_content()


async def test_registration_greets_in_the_inbox_and_verification_is_mailed(
    service: Service, smtp: SmtpSink
) -> None:
    registered = identity.UserRegistered(
        user_id=ALICE_ID, email="alice.reg@example.com", display_name="Alice", locale="en"
    )
    await publish(service.redis, "identity", registered, tenant_id="t1")

    [welcome] = await eventually(lambda: _alice_notes(service, "welcome"))
    assert welcome.subject == "Welcome to chatmesh"
    assert "Alice" in welcome.body
    async with service.deps.sessions() as db:
        known = (await db.execute(select(recipients).where(recipients.c.user_id == ALICE_ID))).one()
    assert known.email == "alice.reg@example.com"

    verify = identity.EmailVerificationRequested(
        user_id=ALICE_ID,
        email="alice.reg@example.com",
        verify_url="http://gw/verify-email?token=v1",
        expire_time=_expiry(60),
        reason="registration",
    )
    await publish(service.redis, "identity", verify, tenant_id="t1")
    [mail] = await eventually(lambda: _async(smtp.to("alice.reg@example.com")))
    assert "http://gw/verify-email?token=v1" in mail.get_body(("plain",)).get_content()
    assert "Hi Alice" in mail.get_body(("plain",)).get_content()


async def _alice_notes(service: Service, template_id: str) -> list[pb.Notification]:
    answer = await service.stub.ListNotifications(pb.ListNotificationsRequest(), metadata=ALICE, timeout=10)
    return [n for n in answer.notifications if n.template_id == template_id]


async def _async(value: object) -> object:
    return value


async def test_other_services_request_notifications_by_event_once_per_dedupe_key(service: Service) -> None:
    from chatmesh.events.v1 import notification_events_pb2 as requests

    ask = requests.NotificationRequested(
        user_id=ALICE_ID,
        channels=[requests.NOTIFICATION_CHANNEL_IN_APP],
        template_id="quota_exhausted",
        variables={"metric": "tokens_per_month", "limit": "100", "used": "100", "scope": "tenant"},
        dedupe_key="quota-t1-2026-12",
    )
    await publish(service.redis, "analytics", ask, tenant_id="t1")
    await publish(service.redis, "analytics", ask, tenant_id="t1")  # a second event, same dedupe key

    [note] = await eventually(lambda: _alice_notes(service, "quota_exhausted"))
    assert note.subject == "Quota used up: tokens_per_month"
    assert await _rows(service, template_id="quota_exhausted", user_id=ALICE_ID) == 1


async def test_an_email_change_warns_the_old_address_and_the_verified_one_is_used_later(
    service: Service, smtp: SmtpSink
) -> None:
    changed = identity.UserEmailChanged(
        user_id=ALICE_ID, old_email="old@example.com", new_email="new@example.com", locale="en"
    )
    await publish(service.redis, "identity", changed, tenant_id="t1")
    [notice] = await eventually(lambda: _async(smtp.to("old@example.com")))
    assert notice["Subject"] == "Your email address was changed"
    assert "new@example.com" in notice.get_body(("plain",)).get_content()

    await publish(
        service.redis,
        "identity",
        identity.UserEmailVerified(user_id=ALICE_ID, email="new@example.com"),
        tenant_id="t1",
    )

    async def directory_email() -> str:
        async with service.deps.sessions() as db:
            row = (await db.execute(select(recipients).where(recipients.c.user_id == ALICE_ID))).first()
        return row.email if row is not None and row.email == "new@example.com" else ""

    assert await eventually(directory_email) == "new@example.com"


async def test_analytics_alerts_are_mailed_and_a_bad_request_is_dropped(
    service: Service, smtp: SmtpSink
) -> None:
    from chatmesh.events.v1 import notification_events_pb2 as requests

    bad = requests.NotificationRequested(
        email="ops@example.com",
        channels=[requests.NOTIFICATION_CHANNEL_EMAIL],
        template_id="no_such_template",
    )
    await publish(service.redis, "analytics", bad, tenant_id="t1")
    alert = requests.NotificationRequested(
        email="ops@example.com",
        channels=[requests.NOTIFICATION_CHANNEL_EMAIL],
        template_id="analytics_alert_firing",
        variables={"rule_name": "errors", "metric": "error_rate", "value": "0.8", "threshold": "0.5"},
        priority=requests.NOTIFICATION_PRIORITY_HIGH,
        dedupe_key="analytics-alert:e1:firing:email:ops@example.com",
    )
    await publish(service.redis, "analytics", alert, tenant_id="t1")
    [mail] = await eventually(lambda: _async(smtp.to("ops@example.com")))
    assert mail["Subject"] == "Alert firing: errors"
    assert "error_rate is 0.8 (threshold 0.5)" in mail.get_body(("plain",)).get_content()
    dead = await service.redis.xrange("notification:triggers:dead")
    assert dead == []


async def test_a_channel_going_down_is_mailed_to_the_operators(
    notif_settings: Settings, smtp: SmtpSink
) -> None:
    from chatmesh.events.v1 import usage_events_pb2 as usage

    ops = await open_service(
        notif_settings, notif_config(smtp_url=smtp.url(), ops_emails=["ops1@example.com", "ops2@example.com"])
    )
    try:
        down = usage.ChannelStatusChanged(
            channel_id="c1",
            channel_name="openai-main",
            previous_status="enabled",
            status="auto_disabled",
            reason="5 failures",
        )
        await publish(ops.redis, "model_router", down, tenant_id="")
        for address in ("ops1@example.com", "ops2@example.com"):
            [mail] = await eventually(lambda a=address: _async(smtp.to(a)))
            assert mail["Subject"] == "Model channel openai-main is auto_disabled"
            assert "5 failures" in mail.get_body(("plain",)).get_content()
    finally:
        await close_service(ops)
