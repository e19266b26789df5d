"""Email: a MIME message per notification, sent over SMTP or written to a local maildir.

The Message-ID is derived from the notification id, so if a crash after the server accepted
a message makes us send it again, the copy carries the same Message-ID (mail clients and
our tests deduplicate on it). The maildir writer names files by notification id, so a
repeated write replaces the file instead of adding a second email.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Protocol

import aiosmtplib

from notification.delivery.errors import DEFAULT_BACKOFF_SECONDS, DeliveryFailed, ProviderGate
from notification.domain.smtp_url import SmtpConfig

__all__ = ["Email", "EmailSender", "MaildirSender", "SmtpSender", "build_message"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Email:
    notification_id: str
    to: str
    subject: str
    body: str
    html_body: str


class EmailSender(Protocol):
    name: str

    async def send(self, email: Email) -> str:
        """Hand ``email`` over; returns the provider's message id. Raises DeliveryFailed."""
        ...


def message_id(notification_id: str) -> str:
    return f"<{notification_id}@chatmesh>"


def build_message(email: Email, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = email.to
    msg["Subject"] = email.subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = message_id(email.notification_id)
    msg["X-Chatmesh-Notification-Id"] = email.notification_id
    msg.set_content(email.body or email.subject)
    if email.html_body:
        msg.add_alternative(email.html_body, subtype="html")
    return msg


def _message_or_fail(email: Email, sender: str) -> EmailMessage:
    """The message, or a permanent failure when an address or header cannot be encoded."""
    try:
        return build_message(email, sender)
    except (ValueError, TypeError) as exc:
        raise DeliveryFailed(f"cannot build the email: {exc}", transient=False) from exc


class SmtpSender:
    """Sends over SMTP, keeping a few authenticated connections open between messages.

    A fresh connection per message costs a TCP handshake, EHLO, STARTTLS and AUTH; reused
    connections cost one MAIL/RCPT/DATA exchange. A connection the server closed while idle
    is replaced once, at once; any other failure discards the connection.
    """

    name = "smtp"

    def __init__(self, config: SmtpConfig, sender: str, timeout: float, keep_open: int = 8) -> None:
        self._config = config
        self._sender = sender
        self._timeout = timeout
        self._keep_open = keep_open
        self._idle: list[aiosmtplib.SMTP] = []
        self._gate = ProviderGate()

    async def _connect(self) -> aiosmtplib.SMTP:
        cfg = self._config
        client = aiosmtplib.SMTP(
            hostname=cfg.host,
            port=cfg.port,
            username=cfg.username or None,
            password=cfg.password or None,
            use_tls=cfg.implicit_tls,
            start_tls=cfg.starttls,
            validate_certs=cfg.verify_tls,
            timeout=self._timeout,
        )
        await client.connect()
        return client

    async def _deliver(self, message: EmailMessage) -> aiosmtplib.SMTP:
        """Send on an idle connection (replaced once if the server dropped it) or a new one."""
        while self._idle:
            client = self._idle.pop()
            if not client.is_connected:
                continue
            try:
                await client.send_message(message)
                return client
            except aiosmtplib.SMTPServerDisconnected:
                continue
            except BaseException:
                client.close()
                raise
        client = await self._connect()
        try:
            await client.send_message(message)
        except BaseException:
            client.close()
            raise
        return client

    async def send(self, email: Email) -> str:
        self._gate.check(self.name)
        message = _message_or_fail(email, self._sender)
        try:
            client = await self._deliver(message)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            raise DeliveryFailed(
                f"SMTP refused the recipient ({codes})", transient=all(400 <= c < 500 for c in codes)
            ) from exc
        except aiosmtplib.SMTPResponseException as exc:
            failure = DeliveryFailed(
                f"SMTP {exc.code}: {exc.message}",
                transient=exc.code < 500,
                provider=self.name,
                backoff=DEFAULT_BACKOFF_SECONDS if exc.code == 421 else 0.0,
            )
            self._gate.observe(failure)
            raise failure from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise DeliveryFailed(f"SMTP server unreachable: {type(exc).__name__}", transient=True) from exc
        if len(self._idle) < self._keep_open:
            self._idle.append(client)
        else:
            client.close()
        return message_id(email.notification_id)

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for client in idle:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                client.close()


class MaildirSender:
    """Writes each email into ``<root>/new/<notification id>.eml`` (maildir layout)."""

    name = "maildir"

    def __init__(self, root: Path, sender: str) -> None:
        self.root = root
        self._sender = sender

    async def send(self, email: Email) -> str:
        data = _message_or_fail(email, self._sender).as_bytes()
        try:
            await asyncio.to_thread(self._write, email.notification_id, data)
        except OSError as exc:
            raise DeliveryFailed(f"maildir not writable: {exc.strerror}", transient=True) from exc
        return message_id(email.notification_id)

    def _write(self, name: str, data: bytes) -> None:
        for sub in ("tmp", "new", "cur"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        tmp = self.root / "tmp" / f"{name}.{socket.gethostname()}.{os.getpid()}"
        tmp.write_bytes(data)
        os.replace(tmp, self.root / "new" / f"{name}.eml")
