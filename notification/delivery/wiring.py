"""Building the senders from settings and the delivery consumer group."""

from __future__ import annotations

import logging

import httpx

from mesh.config import Settings
from mesh.events import EventConsumer, stream_name
from notification.config import NotificationSettings
from notification.delivery.email import EmailSender, MaildirSender, SmtpSender
from notification.delivery.sms import AliyunSms, FailoverSms, SmsProvider, TwilioSms
from notification.delivery.worker import DeliveryWorker
from notification.deps import NotificationDeps
from notification.domain.smtp_url import parse_smtp_url
from notification.store.queue import SOURCE, URGENT_SOURCE

__all__ = ["DELIVERY_GROUP", "delivery_consumers", "email_sender", "sms_sender"]

DELIVERY_GROUP = "notification-delivery"

log = logging.getLogger(__name__)


def email_sender(settings: Settings, config: NotificationSettings) -> EmailSender:
    """SMTP when a URL is configured, else the maildir under the data dir."""
    url = config.smtp_url.get_secret_value()
    if url:
        return SmtpSender(parse_smtp_url(url), config.email_from, config.smtp_timeout_seconds)
    root = settings.data_dir / config.maildir
    log.info("no SMTP server configured (CHATMESH_SMTP_URL): emails go to the maildir %s", root / "new")
    return MaildirSender(root, config.email_from)


def sms_sender(config: NotificationSettings, http: httpx.AsyncClient) -> FailoverSms | None:
    """The configured providers in the configured order; None when none is configured."""
    providers: list[SmsProvider] = []
    for name in config.sms_providers:
        if name == "twilio" and config.twilio_account_sid:
            token = config.twilio_auth_token.get_secret_value()
            providers.append(
                TwilioSms(http, config.twilio_base_url, config.twilio_account_sid, token, config.twilio_from)
            )
        elif name == "aliyun" and config.aliyun_access_key_id:
            secret = config.aliyun_access_key_secret.get_secret_value()
            providers.append(
                AliyunSms(
                    http,
                    config.aliyun_base_url,
                    config.aliyun_access_key_id,
                    secret,
                    config.aliyun_sign_name,
                    config.aliyun_template_code,
                )
            )
    return FailoverSms(providers) if providers else None


def delivery_consumers(deps: NotificationDeps, consumer_name: str) -> list[EventConsumer]:
    """Members of the delivery group: ``delivery_workers`` on the bulk stream, ``urgent_workers``
    on the urgent one. Each handles one notification at a time; the group spreads the stream
    across them. The worker decides about failures; the group only retries."""
    worker = DeliveryWorker(deps)
    config = deps.config
    lanes = [(SOURCE, "bulk", config.delivery_workers), (URGENT_SOURCE, "urgent", config.urgent_workers)]
    return [
        EventConsumer(
            deps.redis,
            group=DELIVERY_GROUP,
            consumer_name=f"{consumer_name}-{lane}-{i}",
            streams=[stream_name(source)],
            handler=worker.handle,
            max_attempts=config.max_attempts + 3,
            dead_letter_stream="notification:delivery:dead",
            retry_backoff=config.retry_backoff_seconds,
            count=16,
        )
        for source, lane, workers in lanes
        for i in range(workers)
    ]
