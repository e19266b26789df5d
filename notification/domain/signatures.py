"""Request signatures: outbound webhooks (ours) and Alibaba Cloud SMS (theirs).

Pure functions, so the fakes in tests verify exactly what the clients compute.

- Webhooks: ``X-Chatmesh-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``,
  the timestamp inside the MAC so a captured request cannot be replayed later.
- Twilio authenticates its REST API with HTTP Basic (Account SID : Auth Token), so a send
  carries no signature of its own (notification.delivery.sms).
- Alibaba Cloud RPC APIs (dysmsapi SendSms) sign the query: parameters sorted by name,
  percent-encoded per RFC 3986 (space %20, ``*`` %2A, ``~`` kept), joined as the
  canonical query; StringToSign = METHOD & %2F & percent(canonical); the signature is
  base64 HMAC-SHA1 with key ``<AccessKeySecret>&``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import quote

__all__ = [
    "aliyun_canonical_query",
    "aliyun_signature",
    "verify_webhook",
    "webhook_signature",
]


def webhook_signature(secret: bytes, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify_webhook(secret: bytes, body: bytes, header: str, now: int, tolerance: int = 300) -> bool:
    """Whether ``header`` signs ``body`` and is at most ``tolerance`` seconds old."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        stamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now - stamp) > tolerance:
        return False
    expected = webhook_signature(secret, body, stamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def _percent(text: str) -> str:
    return quote(text, safe="~")


def aliyun_canonical_query(params: Mapping[str, str]) -> str:
    return "&".join(f"{_percent(k)}={_percent(params[k])}" for k in sorted(params))


def aliyun_signature(access_key_secret: str, method: str, params: Mapping[str, str]) -> str:
    """Signature of ``params`` (without ``Signature`` itself) for ``method`` (GET or POST)."""
    to_sign = f"{method.upper()}&{_percent('/')}&{_percent(aliyun_canonical_query(params))}"
    digest = hmac.new(f"{access_key_secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()
