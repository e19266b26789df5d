"""API key rules without a database: secrets, credential parsing, status, allow-lists, validation."""

from __future__ import annotations

import base64
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from identity.domain.api_keys import (
    KeyView,
    check_usable,
    client_ip_violation,
    display_prefix,
    effective_status,
    generate_secret,
    hash_secret,
    ip_allowed,
    model_allowed,
    normalize_cidrs,
    normalize_models,
    parse_credential,
    validate_name,
    validate_quota,
)
from identity.store.api_key_cache import view_from_json, view_to_json
from mesh.errors import PermissionDenied, ResourceExhausted, Unauthenticated

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _key(**changes: object) -> KeyView:
    view = KeyView(
        id=uuid.uuid4(),
        tenant_id=uuid.uuid4(),
        owner_id=uuid.uuid4(),
        name="k",
        prefix="sk-abcd",
        status="active",
        deleted_at=None,
        expire_at=None,
        unlimited_quota=False,
        remaining_quota=10,
        used_quota=0,
        allowed_models=(),
        allowed_cidrs=(),
        last_used_at=None,
        created_at=NOW,
        updated_at=NOW,
    )
    return replace(view, **changes)  # type: ignore[arg-type]


def test_secrets_are_prefixed_high_entropy_and_distinct() -> None:
    secrets = {generate_secret() for _ in range(100)}
    assert len(secrets) == 100
    for secret in secrets:
        assert secret.startswith("sk-")
        raw = base64.urlsafe_b64decode(secret[3:] + "=" * (-len(secret[3:]) % 4))
        assert len(raw) * 8 >= 192
        assert parse_credential(secret, "any") == secret
    secret = secrets.pop()
    assert display_prefix(secret) == secret[:7] and len(hash_secret(secret)) == 32


@pytest.mark.parametrize(
    ("raw", "source"),
    [
        ("Bearer {}", "authorization"),
        ("BEARER   {}  ", "authorization"),
        ("{}", "x-api-key"),
        ("{}", "x-goog-api-key"),
        ("{}", "query-key"),
        ("{}", "query-token"),
        ("Bearer {}", "x-api-key"),
    ],
)
def test_credential_formats(raw: str, source: str) -> None:
    secret = generate_secret()
    assert parse_credential(raw.format(secret), source) == secret  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "source"),
    [
        ("Basic {}", "authorization"),
        ("{}x y", "any"),
        ("pk-abc", "any"),
        ("sk-short", "any"),
        ("sk-" + "a" * 200, "any"),
    ],
)
def test_malformed_credentials(raw: str, source: str) -> None:
    with pytest.raises(Unauthenticated) as caught:
        parse_credential(raw.format(generate_secret()), source)  # type: ignore[arg-type]
    assert caught.value.reason == "API_KEY_MALFORMED"


def test_status_precedence() -> None:
    assert effective_status(_key(), NOW) == "active"
    assert effective_status(_key(remaining_quota=0), NOW) == "exhausted"
    assert effective_status(_key(remaining_quota=0, unlimited_quota=True), NOW) == "active"
    assert effective_status(_key(remaining_quota=0, expire_at=NOW), NOW) == "expired"
    assert effective_status(_key(expire_at=NOW - timedelta(1), status="disabled"), NOW) == "disabled"
    assert effective_status(_key(status="disabled", deleted_at=NOW), NOW) == "deleted"


@pytest.mark.parametrize(
    ("changes", "owner_active", "error", "reason"),
    [
        ({"deleted_at": NOW}, True, Unauthenticated, "API_KEY_REVOKED"),
        ({"status": "disabled"}, True, Unauthenticated, "API_KEY_DISABLED"),
        ({"expire_at": NOW}, True, Unauthenticated, "API_KEY_EXPIRED"),
        ({}, False, Unauthenticated, "API_KEY_OWNER_DISABLED"),
        ({"allowed_cidrs": ("10.0.0.0/8",)}, True, PermissionDenied, "API_KEY_IP_NOT_ALLOWED"),
        ({"allowed_models": ("claude-*",)}, True, PermissionDenied, "API_KEY_MODEL_NOT_ALLOWED"),
        ({"remaining_quota": 0}, True, ResourceExhausted, "API_KEY_QUOTA_EXHAUSTED"),
    ],
)
def test_unusable_keys(
    changes: dict[str, object], owner_active: bool, error: type[Exception], reason: str
) -> None:
    with pytest.raises(error) as caught:
        check_usable(_key(**changes), NOW, owner_active=owner_active, client_ip="192.0.2.1", model="gpt-4o")
    assert caught.value.reason == reason  # type: ignore[attr-defined]


def test_allow_lists() -> None:
    assert ip_allowed((), "")
    assert ip_allowed(("10.0.0.0/8",), "::ffff:10.2.3.4")
    assert ip_allowed(("2001:db8::/32",), "[2001:db8::5]")
    assert not ip_allowed(("10.0.0.0/8",), "")
    assert not ip_allowed(("10.0.0.0/8",), "11.0.0.1")
    assert model_allowed(("gpt-4o*",), "gpt-4o-mini") and model_allowed(("gpt-4o*",), "")
    assert not model_allowed(("gpt-4o*",), "GPT-4O")  # case-sensitive, as model ids are
    assert client_ip_violation("not an ip") is not None and client_ip_violation("::1") is None


def test_input_validation() -> None:
    assert normalize_cidrs(["10.1.2.3", "10.0.0.0/8", "10.0.0.0/8"]) == (["10.1.2.3/32", "10.0.0.0/8"], [])
    assert [v.field for v in normalize_cidrs(["x", "1.2.3.4"])[1]] == ["api_key.allowed_cidrs[0]"]
    assert [v.field for v in normalize_models(["ok", "not ok"])[1]] == ["api_key.allowed_models[1]"]
    assert len(normalize_models(["m"] * 101)[1]) == 1
    assert (
        validate_name("  ") and validate_name("x" * 101) and validate_name("a\nb") and not validate_name("ok")
    )
    assert validate_quota(False, 0, creating=True) and not validate_quota(False, 0, creating=False)
    assert validate_quota(True, -1, creating=False) and not validate_quota(True, 0, creating=True)


def test_cache_entries_round_trip() -> None:
    view = _key(expire_at=NOW, allowed_models=("a",), allowed_cidrs=("10.0.0.0/8",), deleted_at=NOW)
    assert view_from_json(view_to_json(view)) == view
