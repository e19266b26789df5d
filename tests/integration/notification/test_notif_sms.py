"""SMS through Twilio, failing over to Alibaba Cloud, against fakes that check auth and signatures."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest_asyncio
from chatmesh.notification.v1 import notifications_pb2 as pb

from mesh.config import Settings
from notification.delivery.worker import DEAD_LETTER_STREAM
from tests.fakes.loopback import LoopbackServer
from tests.fakes.sms_providers import FakeAliyunSms, FakeTwilio
from tests.integration.notification.notif_harness import (
    ADMIN,
    Service,
    close_service,
    notif_config,
    open_service,
    settled,
)


@dataclass
class Providers:
    twilio: FakeTwilio
    aliyun: FakeAliyunSms
    service: Service


@pytest_asyncio.fixture(loop_scope="session")
async def sms(notif_settings: Settings) -> AsyncIterator[Providers]:
    twilio, aliyun = FakeTwilio(), FakeAliyunSms()
    servers = [LoopbackServer(), LoopbackServer()]
    twilio_url = await servers[0].start(twilio.app(), "twilio fake")
    aliyun_url = await servers[1].start(aliyun.app(), "aliyun fake")
    config = notif_config(
        twilio_account_sid=twilio.account_sid,
        twilio_auth_token=twilio.auth_token,
        twilio_from="+15550001111",
        twilio_base_url=twilio_url,
        aliyun_access_key_id=aliyun.access_key_id,
        aliyun_access_key_secret=aliyun.access_key_secret,
        aliyun_sign_name="chatmesh",
        aliyun_template_code="SMS_000001",
        aliyun_base_url=aliyun_url,
    )
    service = await open_service(notif_settings, config)
    try:
        yield Providers(twilio, aliyun, service)
    finally:
        await close_service(service)
        for server in servers:
            await server.stop(force=True)


async def _text(providers: Providers, phone: str, body: str) -> pb.Notification:
    request = pb.SendRequest(
        idempotency_key=str(uuid.uuid4()),
        channel=pb.NOTIFICATION_CHANNEL_SMS,
        recipient=pb.Recipient(phone=phone),
        category="security",
        content=pb.NotificationContent(body=body),
    )
    sent = (await providers.service.stub.Send(request, metadata=ADMIN)).notification

    result: pb.Notification = await settled(providers.service, sent.id)
    return result


async def test_twilio_sends_with_basic_auth(sms: Providers) -> None:
    note = await _text(sms, "+8613800138000", "Your code is 123456")
    assert note.status == pb.NOTIFICATION_STATUS_SENT
    [sent] = sms.twilio.sent
    assert (sent["To"], sent["From"], sent["Body"]) == (
        "+8613800138000",
        "+15550001111",
        "Your code is 123456",
    )
    assert sms.aliyun.sent == []


async def test_a_failing_twilio_fails_over_to_a_signed_aliyun_request(sms: Providers) -> None:
    sms.twilio.fail_with(500, 1)
    note = await _text(sms, "+8613900139000", "验证码 654321")
    assert note.status == pb.NOTIFICATION_STATUS_SENT
    assert note.attempts == 1
    [sent] = sms.aliyun.sent
    assert sent["PhoneNumbers"] == "13900139000"
    assert json.loads(sent["TemplateParam"]) == {"content": "验证码 654321"}


async def test_when_every_provider_fails_it_retries_then_dead_letters_with_both_reasons(
    sms: Providers,
) -> None:
    sms.twilio.fail_with(503, 10)
    sms.aliyun.fail_with(503, 10)
    note = await _text(sms, "+15551234567", "hello")
    assert note.status == pb.NOTIFICATION_STATUS_FAILED
    assert note.attempts == 3
    assert "twilio" in note.failure_reason and "aliyun" in note.failure_reason
    entries = await sms.service.redis.xrange(DEAD_LETTER_STREAM)
    assert note.id in {e[1][b"notification_id"].decode() for e in entries}


async def test_a_rate_limited_provider_is_left_alone_until_its_retry_after(sms: Providers) -> None:
    sms.twilio.fail_with(429, 1)
    first = await _text(sms, "+8613700137000", "one")
    second = await _text(sms, "+8613700137001", "two")
    assert first.status == second.status == pb.NOTIFICATION_STATUS_SENT
    assert sms.twilio.requests == 1  # the 429; the second text went straight to Aliyun
    assert [s["PhoneNumbers"] for s in sms.aliyun.sent] == ["13700137000", "13700137001"]
