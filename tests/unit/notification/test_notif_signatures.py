"""Signatures: our webhooks and Alibaba Cloud's RPC signature; SMTP URLs."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from notification.domain.signatures import (
    aliyun_canonical_query,
    aliyun_signature,
    verify_webhook,
    webhook_signature,
)
from notification.domain.smtp_url import parse_smtp_url


def test_webhook_signature_verifies_and_rejects_tampering_and_replays() -> None:
    header = webhook_signature(b"k", b'{"a":1}', 1000)
    assert verify_webhook(b"k", b'{"a":1}', header, now=1010)
    assert not verify_webhook(b"k", b'{"a":2}', header, now=1010)
    assert not verify_webhook(b"other", b'{"a":1}', header, now=1010)
    assert not verify_webhook(b"k", b'{"a":1}', header, now=5000)
    assert not verify_webhook(b"k", b'{"a":1}', "garbage", now=1000)


def test_aliyun_canonical_query_uses_rfc3986_percent_encoding() -> None:
    query = aliyun_canonical_query({"b": "a b*~", "A": "中"})
    assert query == "A=%E4%B8%AD&b=a%20b%2A~"


def test_aliyun_signature_matches_a_hand_computed_one() -> None:
    params = {"Action": "SendSms", "AccessKeyId": "id", "Timestamp": "2026-12-06T00:00:00Z"}
    canonical = "AccessKeyId=id&Action=SendSms&Timestamp=2026-12-06T00%3A00%3A00Z"
    to_sign = "POST&%2F&" + canonical.replace("%", "%25").replace("=", "%3D").replace("&", "%26")
    expected = base64.b64encode(hmac.new(b"secret&", to_sign.encode(), hashlib.sha1).digest()).decode()
    assert aliyun_signature("secret", "POST", params) == expected


def test_smtp_url_parses_tls_modes_and_quoted_credentials() -> None:
    starttls = parse_smtp_url("smtp://user%40x:p%3Ass@mail.test:587?starttls=true")
    assert (starttls.host, starttls.port, starttls.username, starttls.password) == (
        "mail.test",
        587,
        "user@x",
        "p:ss",
    )
    assert starttls.starttls is True and not starttls.implicit_tls
    implicit = parse_smtp_url("smtps://mail.test")
    assert implicit.implicit_tls and implicit.port == 465 and implicit.starttls is False
    assert "p:ss" not in repr(starttls)
    for bad in ("http://x", "smtp://", "smtp://h?starttls=maybe"):
        with pytest.raises(ValueError):
            parse_smtp_url(bad)
