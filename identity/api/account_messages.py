"""Protobuf ↔ store rows for the accounts RPCs (users, tenants, quotas, sessions, principals, JWKs)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from chatmesh.identity.v1 import auth_pb2, tenants_pb2, users_pb2

from identity.api.access_support import to_timestamp
from identity.store.sessions import SessionRow
from identity.store.tenant_queries import TenantRow
from identity.store.user_queries import UserRow
from mesh.jwt_claims import TokenClaims

__all__ = [
    "TENANT_STATUS_NAMES",
    "USER_STATUS_NAMES",
    "jwk_message",
    "principal_message",
    "quota_message",
    "session_message",
    "tenant_message",
    "user_message",
]

USER_STATUSES = {
    "active": users_pb2.USER_STATUS_ACTIVE,
    "disabled": users_pb2.USER_STATUS_DISABLED,
    "deleted": users_pb2.USER_STATUS_DELETED,
}
USER_STATUS_NAMES = {v: k for k, v in USER_STATUSES.items()}
TENANT_STATUSES = {
    "active": tenants_pb2.TENANT_STATUS_ACTIVE,
    "suspended": tenants_pb2.TENANT_STATUS_SUSPENDED,
    "deleted": tenants_pb2.TENANT_STATUS_DELETED,
}
TENANT_STATUS_NAMES = {v: k for k, v in TENANT_STATUSES.items()}


def user_message(user: UserRow, *, mfa_enabled: bool = False) -> users_pb2.User:
    return users_pb2.User(
        id=str(user.id),
        tenant_id=str(user.tenant_id),
        email=user.email,
        username=user.username,
        display_name=user.display_name,
        avatar_url=user.avatar_url or "",
        locale=user.locale,
        status=USER_STATUSES.get(user.status, users_pb2.USER_STATUS_UNSPECIFIED),
        email_verified=user.email_verified,
        mfa_enabled=mfa_enabled,
        role_ids=list(user.role_ids),
        create_time=to_timestamp(user.created_at),
        update_time=to_timestamp(user.updated_at),
        last_login_time=to_timestamp(user.last_login_at),
        delete_time=to_timestamp(user.deleted_at),
    )


def quota_message(tenant: TenantRow) -> tenants_pb2.TenantQuota:
    """NULL (unlimited) in the database is 0 in the contract."""
    return tenants_pb2.TenantQuota(
        tokens_per_month=tenant.tokens_per_month or 0,
        requests_per_minute=tenant.requests_per_minute or 0,
        storage_bytes=tenant.storage_bytes or 0,
        max_users=tenant.max_users or 0,
    )


SIGNUP_MODE_ENUM = {
    "open": tenants_pb2.SIGNUP_MODE_OPEN,
    "invite_only": tenants_pb2.SIGNUP_MODE_INVITE_ONLY,
    "email_domains": tenants_pb2.SIGNUP_MODE_EMAIL_DOMAINS,
}
SIGNUP_MODE_NAMES = {number: name for name, number in SIGNUP_MODE_ENUM.items()}


def signup_message(tenant: TenantRow) -> tenants_pb2.TenantSignupPolicy:
    return tenants_pb2.TenantSignupPolicy(
        mode=SIGNUP_MODE_ENUM.get(tenant.signup_mode, tenants_pb2.SIGNUP_MODE_UNSPECIFIED),  # type: ignore[arg-type]
        email_domains=list(tenant.signup_domains),
        default_role_id=tenant.signup_role or "",
    )


def tenant_message(tenant: TenantRow) -> tenants_pb2.Tenant:
    return tenants_pb2.Tenant(
        signup=signup_message(tenant),
        id=str(tenant.id),
        slug=tenant.slug,
        display_name=tenant.name,
        status=TENANT_STATUSES.get(tenant.status, tenants_pb2.TENANT_STATUS_UNSPECIFIED),
        quota=quota_message(tenant),
        create_time=to_timestamp(tenant.created_at),
        update_time=to_timestamp(tenant.updated_at),
        delete_time=to_timestamp(tenant.deleted_at),
    )


def session_message(session: SessionRow, *, current_session_id: str = "") -> auth_pb2.Session:
    return auth_pb2.Session(
        id=str(session.id),
        user_id=str(session.user_id),
        ip_address=session.ip_address or "",
        user_agent=session.user_agent or "",
        create_time=to_timestamp(session.created_at),
        last_refresh_time=to_timestamp(session.last_refresh_at),
        expire_time=to_timestamp(session.expires_at),
        current=str(session.id) == current_session_id,
    )


def principal_message(claims: TokenClaims, permissions: tuple[str, ...] = ()) -> auth_pb2.Principal:
    return auth_pb2.Principal(
        kind=auth_pb2.PRINCIPAL_KIND_USER,
        tenant_id=claims.tenant_id,
        user_id=claims.subject,
        session_id=claims.session_id,
        token_id=claims.token_id,
        role_ids=list(claims.roles),
        permissions=list(permissions),
        expire_time=to_timestamp(datetime.fromtimestamp(claims.expires_at, UTC)),
        mfa_verified=claims.mfa,
    )


def jwk_message(jwk: Mapping[str, str]) -> auth_pb2.Jwk:
    return auth_pb2.Jwk(
        **{k: v for k, v in jwk.items() if k in ("kty", "kid", "alg", "use", "crv", "x", "y")}
    )
