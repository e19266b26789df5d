"""Rules for tenants and users that need neither gRPC nor a database.

Validators return the problems they found (message per field) instead of
raising, so one request can report every bad field at once; the API layer turns
them into ``InvalidArgument`` with ``FieldViolation``s.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

DEFAULT_TENANT_SLUG = "default"
DEFAULT_TENANT_NAME = "Default"

MAX_EMAIL_LENGTH = 254  # RFC 5321 path limit
MAX_EMAIL_LOCAL_LENGTH = 64
MAX_USERNAME_LENGTH = 64
MAX_DISPLAY_NAME_LENGTH = 128
MAX_URL_LENGTH = 2048
MAX_TENANT_NAME_LENGTH = 128
MAX_SLUG_LENGTH = 63

# Dot-atom local part (RFC 5322, no quoted strings) and a DNS host name with a dot.
_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
_LOCALE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def normalize_email(raw: str) -> str:
    """Trimmed, NFC, domain lower-cased; the local part keeps its case (uniqueness ignores case)."""
    email = unicodedata.normalize("NFC", raw.strip())
    local, at, domain = email.rpartition("@")
    return f"{local}{at}{domain.lower()}" if at else email


def email_key(email: str) -> str:
    """What makes two addresses the same account within a tenant (case-insensitive)."""
    return normalize_email(email).lower()


def email_problem(email: str) -> str | None:
    """Why a (normalised) address cannot be an account's email, or None."""
    if not email:
        return "is required"
    if len(email) > MAX_EMAIL_LENGTH:
        return f"must be at most {MAX_EMAIL_LENGTH} characters"
    local, at, domain = email.rpartition("@")
    if not at or not local or not domain:
        return "must look like name@example.com"
    if len(local) > MAX_EMAIL_LOCAL_LENGTH or not _LOCAL.match(local):
        return "has an invalid part before the @"
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return "has an invalid domain"
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return "has an invalid domain"
    return None


def default_username(email: str) -> str:
    """A username derived from the email's local part when the caller gave none."""
    local = email.partition("@")[0]
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "", local).lstrip("._-")
    return (cleaned or "user")[:MAX_USERNAME_LENGTH]


def username_problem(username: str) -> str | None:
    if not username:
        return "is required"
    if len(username) > MAX_USERNAME_LENGTH:
        return f"must be at most {MAX_USERNAME_LENGTH} characters"
    if not _USERNAME.match(username):
        return "may contain letters, digits, '.', '_' and '-', and must start with a letter or digit"
    return None


def _printable(value: str) -> bool:
    return all(unicodedata.category(c)[0] != "C" for c in value)


def display_name_problem(name: str) -> str | None:
    if len(name) > MAX_DISPLAY_NAME_LENGTH:
        return f"must be at most {MAX_DISPLAY_NAME_LENGTH} characters"
    if not _printable(name):
        return "must not contain control characters"
    return None


def avatar_url_problem(url: str) -> str | None:
    if not url:
        return None
    if len(url) > MAX_URL_LENGTH:
        return f"must be at most {MAX_URL_LENGTH} characters"
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc:
        return "must be an https:// URL"
    return None


def locale_problem(locale: str) -> str | None:
    if locale and (len(locale) > 35 or not _LOCALE.match(locale)):
        return "must be a BCP 47 language tag such as en or zh-CN"
    return None


def slug_problem(slug: str) -> str | None:
    if not slug:
        return "is required"
    if len(slug) > MAX_SLUG_LENGTH or not _SLUG.match(slug):
        return (
            f"must be 1-{MAX_SLUG_LENGTH} lower-case letters, digits or '-', not starting or ending with '-'"
        )
    return None


def tenant_name_problem(name: str) -> str | None:
    if not name.strip():
        return "is required"
    if len(name) > MAX_TENANT_NAME_LENGTH:
        return f"must be at most {MAX_TENANT_NAME_LENGTH} characters"
    if not _printable(name):
        return "must not contain control characters"
    return None
