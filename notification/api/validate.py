"""Input checks shared by the RPCs: each returns violations so one answer lists them all."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from mesh.errors import FieldViolation

__all__ = ["check_email", "check_key", "check_phone", "check_webhook_url"]

MAX_KEY_CHARS = 200
_EMAIL = re.compile(r"^[^@\s<>\"',;]{1,64}@[^@\s<>\"',;]{1,255}\.[^@\s<>\"',;]+$")
_PHONE = re.compile(r"^\+[1-9]\d{6,14}$")


def check_key(key: str, field: str) -> list[FieldViolation]:
    if not key:
        return [FieldViolation(field, "is required")]
    if len(key) > MAX_KEY_CHARS:
        return [FieldViolation(field, f"is longer than {MAX_KEY_CHARS} characters")]
    return []


def check_email(email: str, field: str) -> list[FieldViolation]:
    if email and not _EMAIL.match(email):
        return [FieldViolation(field, "is not an email address")]
    return []


def check_phone(phone: str, field: str) -> list[FieldViolation]:
    if phone and not _PHONE.match(phone):
        return [FieldViolation(field, "must be an E.164 number such as +8613800138000")]
    return []


def check_webhook_url(url: str, field: str) -> list[FieldViolation]:
    """Shape only; where it may point is the sender's decision (notification.delivery.webhook)."""
    if not url:
        return [FieldViolation(field, "is required for WEBHOOK")]
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname or len(url) > 2000:
        return [FieldViolation(field, "must be an http(s) URL")]
    if parts.username or parts.password:
        return [FieldViolation(field, "must not carry credentials")]
    return []
