"""API key rules: secrets, credential formats, input validation and the authentication decision.

A key's secret is ``sk-`` followed by 43 URL-safe characters (256 random bits). Only
its SHA-256 is stored: for a high-entropy secret a fast hash is as strong as a slow
one, and it keeps the hot path (every developer-API request) cheap.

``status`` as stored is what an admin set (active/disabled) plus the deletion mark;
expired and exhausted follow from the expiry and quota when a key is looked at, so a
key expires on time without any job flipping it.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from mesh.errors import (
    FieldViolation,
    InvalidArgument,
    PermissionDenied,
    QuotaViolation,
    ResourceExhausted,
    Unauthenticated,
)
from mesh.key_limits import client_address, ip_allowed, model_allowed

__all__ = [
    "SECRET_PREFIX",
    "CredentialSource",
    "KeyStatus",
    "KeyView",
    "check_usable",
    "display_prefix",
    "effective_status",
    "generate_secret",
    "hash_secret",
    "normalize_cidrs",
    "normalize_models",
    "parse_credential",
    "validate_name",
]

SECRET_PREFIX = "sk-"
_SECRET_BYTES = 32
_SECRET_RE = re.compile(r"^sk-[A-Za-z0-9_-]{32,128}$")
_PREFIX_LENGTH = 7  # `sk-` and four characters: enough to tell keys apart, far too little to guess one
MAX_NAME = 100
# Keys one user may hold (not deleted): a self-service user cannot mint keys without bound.
MAX_LIVE_KEYS_PER_OWNER = 100
MAX_MODELS = 100
MAX_CIDRS = 100
_MODEL_RE = re.compile(r"^[A-Za-z0-9*?._:/@+-]{1,128}$")

KeyStatus = Literal["active", "exhausted", "disabled", "expired", "deleted"]
CredentialSource = Literal["authorization", "x-api-key", "x-goog-api-key", "query-key", "query-token", "any"]


def generate_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(_SECRET_BYTES)


def hash_secret(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def display_prefix(secret: str) -> str:
    return secret[:_PREFIX_LENGTH]


def parse_credential(raw: str, source: CredentialSource) -> str:
    """The ``sk-`` secret inside a raw header or query value; Unauthenticated if there is none.

    The Authorization header carries ``Bearer <secret>``; the other places carry the secret
    alone, though a ``Bearer`` prefix is tolerated everywhere because clients vary.
    """
    value = raw.strip()
    scheme, _, rest = value.partition(" ")
    if rest and scheme.lower() == "bearer":
        value = rest.strip()
    elif source == "authorization" and " " in value:
        raise Unauthenticated("the Authorization header must be 'Bearer sk-…'", reason="API_KEY_MALFORMED")
    if not _SECRET_RE.match(value):
        raise Unauthenticated("not an API key (expected 'sk-…')", reason="API_KEY_MALFORMED")
    return value


@dataclass(frozen=True)
class KeyView:
    """A stored key without its hash: what the caches hold and the RPCs show."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    owner_id: uuid.UUID
    name: str
    prefix: str
    status: str  # as stored: active | disabled
    deleted_at: datetime | None
    expire_at: datetime | None
    unlimited_quota: bool
    remaining_quota: int
    used_quota: int
    allowed_models: tuple[str, ...]
    allowed_cidrs: tuple[str, ...]
    last_used_at: datetime | None
    created_at: datetime
    updated_at: datetime


def effective_status(key: KeyView, now: datetime) -> KeyStatus:
    """Deleted beats disabled beats expired beats exhausted: the most final reason wins."""
    if key.deleted_at is not None:
        return "deleted"
    if key.status == "disabled":
        return "disabled"
    if key.expire_at is not None and key.expire_at <= now:
        return "expired"
    if not key.unlimited_quota and key.remaining_quota <= 0:
        return "exhausted"
    return "active"


def check_usable(key: KeyView, now: datetime, *, owner_active: bool, client_ip: str, model: str) -> None:
    """Raise the error a client should see if ``key`` may not be used now, from here, for ``model``."""
    status = effective_status(key, now)
    meta = {"api_key_id": str(key.id)}
    if status == "deleted":
        raise Unauthenticated("API key revoked", reason="API_KEY_REVOKED", metadata=meta)
    if status == "disabled":
        raise Unauthenticated("API key disabled", reason="API_KEY_DISABLED", metadata=meta)
    if status == "expired":
        raise Unauthenticated("API key expired", reason="API_KEY_EXPIRED", metadata=meta)
    if not owner_active:
        raise Unauthenticated(
            "the API key's owner is disabled", reason="API_KEY_OWNER_DISABLED", metadata=meta
        )
    if not ip_allowed(key.allowed_cidrs, client_ip):
        raise PermissionDenied(
            "API key not allowed from this address", reason="API_KEY_IP_NOT_ALLOWED", metadata=meta
        )
    if not model_allowed(key.allowed_models, model):
        raise PermissionDenied(
            f"API key not allowed to use model {model[:128]!r}",
            reason="API_KEY_MODEL_NOT_ALLOWED",
            metadata={**meta, "model": model[:128]},
        )
    if status == "exhausted":
        raise ResourceExhausted(
            "API key quota exhausted",
            [QuotaViolation(f"api_key:{key.id}", "remaining quota is 0")],
            reason="API_KEY_QUOTA_EXHAUSTED",
            metadata=meta,
        )


def client_ip_violation(client_ip: str) -> FieldViolation | None:
    if not client_ip:
        return None
    try:
        client_address(client_ip)
    except ValueError:
        return FieldViolation("client_ip", "not an IPv4 or IPv6 address")
    return None


def validate_name(name: str, field: str = "api_key.name") -> list[FieldViolation]:
    if not name.strip():
        return [FieldViolation(field, "required")]
    if len(name) > MAX_NAME:
        return [FieldViolation(field, f"at most {MAX_NAME} characters")]
    if any(ch < " " for ch in name):
        return [FieldViolation(field, "control characters are not allowed")]
    return []


def normalize_models(
    models: Sequence[str], field: str = "api_key.allowed_models"
) -> tuple[list[str], list[FieldViolation]]:
    """Deduplicated allow-list (order kept) and what is wrong with it."""
    if len(models) > MAX_MODELS:
        return [], [FieldViolation(field, f"at most {MAX_MODELS} entries")]
    bad = [
        FieldViolation(f"{field}[{i}]", "not a model name or pattern")
        for i, m in enumerate(models)
        if not _MODEL_RE.match(m)
    ]
    return list(dict.fromkeys(models)), bad


def normalize_cidrs(
    cidrs: Sequence[str], field: str = "api_key.allowed_cidrs"
) -> tuple[list[str], list[FieldViolation]]:
    """Canonical networks (``10.0.0.7`` → ``10.0.0.7/32``) and what is wrong with them."""
    if len(cidrs) > MAX_CIDRS:
        return [], [FieldViolation(field, f"at most {MAX_CIDRS} entries")]
    networks: list[str] = []
    bad: list[FieldViolation] = []
    for i, cidr in enumerate(cidrs):
        try:
            networks.append(str(ipaddress.ip_network(cidr.strip(), strict=False)))
        except ValueError:
            bad.append(FieldViolation(f"{field}[{i}]", "not an IPv4/IPv6 address or CIDR"))
    return list(dict.fromkeys(networks)), bad


def validate_quota(
    unlimited: bool, remaining: int, *, creating: bool, field: str = "api_key.remaining_quota"
) -> list[FieldViolation]:
    """A new limited key needs some quota; an update may set 0 to exhaust a key on purpose."""
    if remaining < 0:
        return [FieldViolation(field, "must not be negative")]
    if creating and not unlimited and remaining == 0:
        return [FieldViolation(field, "must be positive unless unlimited_quota is set")]
    return []


def raise_if(violations: Sequence[FieldViolation], message: str = "invalid API key request") -> None:
    if violations:
        raise InvalidArgument(message, violations)
