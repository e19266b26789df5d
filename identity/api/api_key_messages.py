"""API key messages ↔ column values: reading requests (with every violation at once) and writing replies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chatmesh.identity.v1 import api_keys_pb2, auth_pb2
from google.protobuf import field_mask_pb2

from identity.api.access_support import from_timestamp, to_timestamp
from identity.domain.api_keys import (
    CredentialSource,
    KeyStatus,
    KeyView,
    effective_status,
    normalize_cidrs,
    normalize_models,
    validate_name,
    validate_quota,
)
from identity.domain.rbac import Grants
from mesh.errors import FieldViolation, InvalidArgument

__all__ = [
    "SOURCES",
    "STATUS_NAMES",
    "creation_values",
    "key_message",
    "principal_message",
    "status_filter",
    "update_values",
]

STATUS_ENUM: dict[KeyStatus, int] = {
    "active": api_keys_pb2.API_KEY_STATUS_ACTIVE,
    "exhausted": api_keys_pb2.API_KEY_STATUS_EXHAUSTED,
    "disabled": api_keys_pb2.API_KEY_STATUS_DISABLED,
    "expired": api_keys_pb2.API_KEY_STATUS_EXPIRED,
    "deleted": api_keys_pb2.API_KEY_STATUS_DELETED,
}
STATUS_NAMES: dict[int, KeyStatus] = {number: name for name, number in STATUS_ENUM.items()}

SOURCES: dict[int, CredentialSource] = {
    api_keys_pb2.API_KEY_CREDENTIAL_SOURCE_UNSPECIFIED: "any",
    api_keys_pb2.API_KEY_CREDENTIAL_SOURCE_AUTHORIZATION_HEADER: "authorization",
    api_keys_pb2.API_KEY_CREDENTIAL_SOURCE_X_API_KEY_HEADER: "x-api-key",
    api_keys_pb2.API_KEY_CREDENTIAL_SOURCE_X_GOOG_API_KEY_HEADER: "x-goog-api-key",
    api_keys_pb2.API_KEY_CREDENTIAL_SOURCE_QUERY_KEY: "query-key",
    api_keys_pb2.API_KEY_CREDENTIAL_SOURCE_QUERY_TOKEN: "query-token",
}

WRITABLE = frozenset(
    {"name", "status", "expire_time", "unlimited_quota", "remaining_quota", "allowed_models", "allowed_cidrs"}
)


def key_message(view: KeyView, now: datetime, *, last_used: datetime | None = None) -> api_keys_pb2.ApiKey:
    """What callers see of a key: never its hash, only the display prefix.

    ``last_used`` overrides the stored time (which is written in batches, so it lags).
    """
    return api_keys_pb2.ApiKey(
        id=str(view.id),
        tenant_id=str(view.tenant_id),
        owner_id=str(view.owner_id),
        name=view.name,
        prefix=view.prefix,
        status=STATUS_ENUM[effective_status(view, now)],  # type: ignore[arg-type]
        expire_time=to_timestamp(view.expire_at),
        unlimited_quota=view.unlimited_quota,
        remaining_quota=view.remaining_quota,
        used_quota=view.used_quota,
        allowed_models=view.allowed_models,
        allowed_cidrs=view.allowed_cidrs,
        last_used_time=to_timestamp(last_used or view.last_used_at),
        create_time=to_timestamp(view.created_at),
        update_time=to_timestamp(view.updated_at),
        delete_time=to_timestamp(view.deleted_at),
    )


def principal_message(view: KeyView, grants: Grants) -> auth_pb2.Principal:
    return auth_pb2.Principal(
        kind=auth_pb2.PRINCIPAL_KIND_API_KEY,
        tenant_id=str(view.tenant_id),
        user_id=str(view.owner_id),
        api_key_id=str(view.id),
        role_ids=grants.role_keys,
        permissions=grants.permissions,
        allowed_models=view.allowed_models,
        expire_time=to_timestamp(view.expire_at),
    )


def _expiry(key: api_keys_pb2.ApiKey, now: datetime, violations: list[FieldViolation]) -> datetime | None:
    if not key.HasField("expire_time"):
        return None
    try:
        when = from_timestamp(key.expire_time)
    except (ValueError, OverflowError):
        violations.append(FieldViolation("api_key.expire_time", "not a valid time"))
        return None
    if when <= now:
        violations.append(FieldViolation("api_key.expire_time", "must be in the future"))
    return when


def creation_values(key: api_keys_pb2.ApiKey, now: datetime) -> dict[str, Any]:
    """Column values of a new key; InvalidArgument listing every problem (nothing written then)."""
    violations = validate_name(key.name)
    expire_at = _expiry(key, now, violations)
    # A key created without any quota is unlimited, as a user of `POST /v1/api-keys {name}` expects.
    unlimited = key.unlimited_quota or key.remaining_quota == 0
    violations += validate_quota(unlimited, key.remaining_quota, creating=True)
    models, bad_models = normalize_models(list(key.allowed_models))
    cidrs, bad_cidrs = normalize_cidrs(list(key.allowed_cidrs))
    violations += bad_models + bad_cidrs
    if violations:
        raise InvalidArgument("invalid API key", violations)
    return {
        "name": key.name.strip(),
        "expire_at": expire_at,
        "unlimited_quota": unlimited,
        "remaining_quota": 0 if unlimited else key.remaining_quota,
        "allowed_models": models,
        "allowed_cidrs": cidrs,
    }


def update_values(
    key: api_keys_pb2.ApiKey, mask: field_mask_pb2.FieldMask, current: KeyView, now: datetime
) -> dict[str, Any]:
    """Column values for the masked fields only; InvalidArgument listing every problem."""
    paths = [p.removeprefix("api_key.") for p in mask.paths]
    violations: list[FieldViolation] = []
    if not paths:
        violations.append(FieldViolation("update_mask", "name at least one field to change"))
    violations += [
        FieldViolation("update_mask", f"{p!r} cannot be changed; writable: {', '.join(sorted(WRITABLE))}")
        for p in paths
        if p not in WRITABLE
    ]
    values: dict[str, Any] = {}
    if "name" in paths:
        violations += validate_name(key.name)
        values["name"] = key.name.strip()
    if "status" in paths:
        status = STATUS_NAMES.get(key.status)
        if status not in ("active", "disabled"):
            violations.append(FieldViolation("api_key.status", "only ACTIVE or DISABLED can be set"))
        values["status"] = status
    if "expire_time" in paths:
        values["expire_at"] = _expiry(key, now, violations)
    if "unlimited_quota" in paths or "remaining_quota" in paths:
        unlimited = key.unlimited_quota if "unlimited_quota" in paths else current.unlimited_quota
        remaining = key.remaining_quota if "remaining_quota" in paths else current.remaining_quota
        violations += validate_quota(unlimited, remaining, creating=False)
        values["unlimited_quota"] = unlimited
        values["remaining_quota"] = remaining
    if "allowed_models" in paths:
        values["allowed_models"], bad = normalize_models(list(key.allowed_models))
        violations += bad
    if "allowed_cidrs" in paths:
        values["allowed_cidrs"], bad = normalize_cidrs(list(key.allowed_cidrs))
        violations += bad
    if violations:
        raise InvalidArgument("invalid API key update", violations)
    return values


def status_filter(value: int) -> KeyStatus | None:
    if value == api_keys_pb2.API_KEY_STATUS_UNSPECIFIED:
        return None
    status = STATUS_NAMES.get(value)
    if status is None:
        raise InvalidArgument("unknown status", [FieldViolation("status", f"unknown ApiKeyStatus {value}")])
    return status
