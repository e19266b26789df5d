"""Authenticating an ``sk-`` credential: the hot path behind AuthenticateApiKey and identity's auth layer.

The key comes from the two-tier cache and its owner's grants from the RBAC resolver
(also cached), so a warm key costs no Postgres round trip. The last-used time is
noted in memory and written in batches.
"""

from __future__ import annotations

from datetime import UTC, datetime

from identity.domain.api_keys import CredentialSource, KeyView, check_usable, hash_secret, parse_credential
from identity.domain.rbac import Grants
from identity.store.access_runtime import AccessRuntime
from mesh.auth import Principal, current_client_ip
from mesh.errors import Unauthenticated

__all__ = ["LocalApiKeyVerifier", "authenticate"]


async def authenticate(
    access: AccessRuntime,
    credential: str,
    source: CredentialSource = "any",
    *,
    client_ip: str = "",
    model: str = "",
    now: datetime | None = None,
) -> tuple[KeyView, Grants]:
    """The key and its owner's grants, or the DomainError the client should see."""
    secret = parse_credential(credential, source)
    key = await access.api_keys.lookup(hash_secret(secret))
    if key is None:
        raise Unauthenticated("unknown API key", reason="API_KEY_UNKNOWN")
    grants = await access.roles.grants(key.owner_id)
    when = now or datetime.now(UTC)
    check_usable(
        key, when, owner_active=grants is not None and grants.active, client_ip=client_ip, model=model
    )
    assert grants is not None
    access.last_used.touch(key.id, when)
    return key, grants


class LocalApiKeyVerifier:
    """mesh.auth TokenVerifier for ``sk-`` keys inside identity (pass it to JwtVerifier as ``api_keys``)."""

    def __init__(self, access: AccessRuntime) -> None:
        self._access = access

    async def verify(self, token: str) -> Principal:
        """The key's principal with its limits; its network allow-list is checked against the
        client address the edge verified (mesh.auth sets it before verifying)."""
        client_ip = current_client_ip()
        key, grants = await authenticate(self._access, token, client_ip=client_ip)
        return Principal(
            kind="api_key",
            subject=str(key.owner_id),
            tenant_id=str(key.tenant_id),
            roles=frozenset(grants.role_keys),
            token_id=str(key.id),
            allowed_models=tuple(key.allowed_models),
            allowed_cidrs=tuple(key.allowed_cidrs),
            expires_at=key.expire_at.timestamp() if key.expire_at is not None else None,
            quota_remaining=None if key.unlimited_quota else key.remaining_quota,
            client_ip=client_ip,
        )
