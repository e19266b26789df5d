"""``CHATMESH_SMTP_URL`` parsed into what aiosmtplib needs.

``smtp://user:pass@host:587?starttls=true`` upgrades with STARTTLS; ``smtps://host:465`` (or
``?tls=true``) speaks TLS from the first byte. ``?starttls=false`` sends in the clear, meant
for a relay on loopback. User and password are percent-decoded so any password can be used.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = ["SmtpConfig", "parse_smtp_url"]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    username: str
    password: str
    implicit_tls: bool
    starttls: bool | None  # None: use it when the server offers it
    verify_tls: bool

    def __repr__(self) -> str:  # never print the password
        return f"SmtpConfig(host={self.host!r}, port={self.port}, user={self.username!r})"


def _flag(query: dict[str, list[str]], name: str) -> bool | None:
    values = query.get(name)
    if not values:
        return None
    value = values[-1].lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"SMTP URL: {name} must be true or false")


def parse_smtp_url(url: str) -> SmtpConfig:
    """Raises ValueError (without echoing the URL, which holds a password) when malformed."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError("SMTP URL: scheme must be smtp or smtps")
    if not parts.hostname:
        raise ValueError("SMTP URL: host is missing")
    query = parse_qs(parts.query)
    implicit = parts.scheme == "smtps" or bool(_flag(query, "tls"))
    starttls = None if implicit else _flag(query, "starttls")
    verify = _flag(query, "verify")
    try:
        port = parts.port or (465 if implicit else 587)
    except ValueError as exc:
        raise ValueError("SMTP URL: bad port") from exc
    return SmtpConfig(
        host=parts.hostname,
        port=port,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        implicit_tls=implicit,
        starttls=False if implicit else starttls,
        verify_tls=verify is not False,
    )
