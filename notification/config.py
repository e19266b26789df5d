"""notification's own knobs (env prefix ``CHATMESH_NOTIFICATION_``), all with working defaults.

The SMTP server is also read from ``CHATMESH_SMTP_URL`` / ``CHATMESH_SMTP_FROM`` because
operators configure mail once for the whole deployment. With no SMTP URL, emails are written
to a maildir under the data dir so a local `make run` shows what would have been sent.
"""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["NotificationSettings", "load_notification_settings"]


class NotificationSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CHATMESH_NOTIFICATION_", extra="ignore", populate_by_name=True
    )

    # smtp://user:pass@host:587?starttls=true, or smtps://host:465 (implicit TLS); empty: maildir.
    smtp_url: SecretStr = Field(
        default=SecretStr(""),
        validation_alias=AliasChoices("CHATMESH_SMTP_URL", "CHATMESH_NOTIFICATION_SMTP_URL"),
    )
    # Envelope and header sender of every email.
    email_from: str = Field(
        default="chatmesh <no-reply@chatmesh.local>",
        validation_alias=AliasChoices("CHATMESH_SMTP_FROM", "CHATMESH_NOTIFICATION_EMAIL_FROM"),
    )
    # Seconds one SMTP conversation may take.
    smtp_timeout_seconds: float = Field(default=30.0, gt=0)
    # Maildir (relative to the data dir) the emails go to without an SMTP server.
    maildir: str = "mail"
    # Notifications delivered at once per instance (bulk lane), and for HIGH priority (own lane).
    # Each holds a database connection while its provider is called (the row lock is what makes
    # delivery once-only), so together they must stay well below CHATMESH_DB_POOL_SIZE.
    delivery_workers: int = Field(default=8, ge=1, le=64)
    urgent_workers: int = Field(default=2, ge=1, le=16)
    # Delivery attempts per notification before it fails and is dead-lettered.
    max_attempts: int = Field(default=5, ge=1)
    # First retry delay in seconds; doubles with every attempt.
    retry_backoff_seconds: float = Field(default=1.0, gt=0)
    # Seconds between sweeps for scheduled notifications that came due.
    schedule_poll_seconds: float = Field(default=5.0, gt=0)
    # Live inbox events kept per user (Redis stream MAXLEN) and seconds they are kept.
    live_events_per_user: int = Field(default=500, ge=10)
    live_events_ttl_seconds: int = Field(default=7 * 24 * 3600, ge=60)
    # Seconds a subscriber waits for a wake-up before it looks at its stream anyway.
    live_poll_seconds: float = Field(default=15.0, gt=0)
    # Page sizes of the List RPCs.
    default_page_size: int = Field(default=50, ge=1)
    max_page_size: int = Field(default=1000, ge=1)
    # Shortest digest window a user may choose (seconds).
    min_digest_window_seconds: int = Field(default=60, ge=1)
    # Largest SendBatch.
    max_batch_recipients: int = Field(default=10_000, ge=1)
    # Consume identity/model_router events into triggered notifications.
    triggers: bool = True
    # Operators' addresses that model channel status changes are mailed to.
    ops_emails: list[str] = Field(default_factory=list)
    # SMS providers in failover order: "twilio", "aliyun" (only configured ones are used).
    sms_providers: list[str] = Field(default_factory=lambda: ["twilio", "aliyun"])
    twilio_account_sid: str = ""
    twilio_auth_token: SecretStr = SecretStr("")
    twilio_from: str = ""
    twilio_base_url: str = "https://api.twilio.com"
    aliyun_access_key_id: str = ""
    aliyun_access_key_secret: SecretStr = SecretStr("")
    aliyun_sign_name: str = ""
    # Approved template with one ${content} parameter that carries the rendered text.
    aliyun_template_code: str = ""
    aliyun_base_url: str = "https://dysmsapi.aliyuncs.com"
    # Secret outbound webhooks are signed with (HMAC-SHA256); empty: webhooks are off.
    webhook_secret: SecretStr = SecretStr("")
    # Hosts webhooks may reach over plain http or on private addresses (e.g. an internal
    # receiver); any other host must be https and resolve to public addresses only.
    webhook_allowed_hosts: list[str] = Field(default_factory=list)
    # Seconds one provider HTTP call may take.
    http_timeout_seconds: float = Field(default=10.0, gt=0)


def load_notification_settings(**overrides: object) -> NotificationSettings:
    """Settings from the environment, with explicit overrides winning (tests)."""
    return NotificationSettings(**overrides)  # type: ignore[arg-type]
