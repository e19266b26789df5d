"""Identity's shared ``metadata`` and its first tables (schema ``identity``); area modules add theirs to it.

The tables mirror ``identity/migrations``; a test compares the two so they
cannot drift apart.
"""

from __future__ import annotations

import uuid

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID

from mesh.db import outbox_table, service_metadata

metadata = service_metadata("identity")
outbox = outbox_table(metadata)

USER_STATUSES = ("active", "disabled", "deleted")
TENANT_STATUSES = ("active", "suspended", "deleted")


def _id() -> Column[uuid.UUID]:
    return Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()"))


def _created_at() -> Column[object]:
    return Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now())


def _updated_at() -> Column[object]:
    return Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now())


tenants = Table(
    "tenants",
    metadata,
    _id(),
    Column("slug", Text, nullable=False),
    Column("name", Text, nullable=False),
    # Quotas: NULL means unlimited.
    Column("tokens_per_month", BigInteger, nullable=True),
    Column("requests_per_minute", Integer, nullable=True),
    Column("storage_bytes", BigInteger, nullable=True),
    Column("max_users", Integer, nullable=True),
    Column("status", Text, nullable=False, server_default="active"),
    _created_at(),
    _updated_at(),
    Column("deleted_at", DateTime(timezone=True), nullable=True),
    # Self-registration policy (identity.domain.signup); the default tenant is made 'open'.
    Column("signup_mode", Text, nullable=False, server_default="invite_only"),
    Column("signup_domains", ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")),
    # Role key a self-registered user gets (built-in name or custom role id); NULL: `user`.
    Column("signup_role", Text, nullable=True),
    UniqueConstraint("slug"),
    CheckConstraint("max_users >= 0", name="max_users_non_negative"),
    CheckConstraint("status IN ('active', 'suspended', 'deleted')", name="status_known"),
    CheckConstraint("(status = 'deleted') = (deleted_at IS NOT NULL)", name="deleted_at_matches_status"),
    CheckConstraint("tokens_per_month >= 0", name="tokens_per_month_non_negative"),
    CheckConstraint("requests_per_minute >= 0", name="requests_per_minute_non_negative"),
    CheckConstraint("storage_bytes >= 0", name="storage_bytes_non_negative"),
    CheckConstraint("signup_mode IN ('open', 'invite_only', 'email_domains')", name="signup_mode_known"),
)

users = Table(
    "users",
    metadata,
    _id(),
    Column("tenant_id", UUID(as_uuid=True), ForeignKey(tenants.c.id, ondelete="RESTRICT"), nullable=False),
    Column("email", Text, nullable=False),
    Column("username", Text, nullable=False),
    Column("display_name", Text, nullable=False, server_default=""),
    Column("avatar_url", Text, nullable=True),
    Column("password_hash", Text, nullable=True),
    Column("status", Text, nullable=False, server_default="active"),
    Column("locale", Text, nullable=False, server_default=""),
    Column("email_verified", Boolean, nullable=False, server_default=text("false")),
    Column("last_login_at", DateTime(timezone=True), nullable=True),
    _created_at(),
    _updated_at(),
    Column("deleted_at", DateTime(timezone=True), nullable=True),
    CheckConstraint("status IN ('active', 'disabled', 'deleted')", name="status_known"),
    CheckConstraint("(status = 'deleted') = (deleted_at IS NOT NULL)", name="deleted_at_matches_status"),
)
Index("uq_users_tenant_id_lower_email", users.c.tenant_id, func.lower(users.c.email), unique=True)
Index(None, users.c.tenant_id, users.c.created_at, users.c.id)

roles = Table(
    "roles",
    metadata,
    _id(),
    # NULL: a built-in role, shared by every tenant.
    Column("tenant_id", UUID(as_uuid=True), ForeignKey(tenants.c.id, ondelete="CASCADE"), nullable=True),
    Column("name", Text, nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("permissions", ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")),
    Column(
        "parent_id", UUID(as_uuid=True), ForeignKey("identity.roles.id", ondelete="SET NULL"), nullable=True
    ),
    Column("built_in", Boolean, nullable=False, server_default=text("false")),
    _created_at(),
    _updated_at(),
    UniqueConstraint("tenant_id", "name", postgresql_nulls_not_distinct=True),
    CheckConstraint("NOT built_in OR tenant_id IS NULL", name="built_in_is_global"),
)

user_roles = Table(
    "user_roles",
    metadata,
    Column("user_id", UUID(as_uuid=True), ForeignKey(users.c.id, ondelete="CASCADE"), primary_key=True),
    Column("role_id", UUID(as_uuid=True), ForeignKey(roles.c.id, ondelete="CASCADE"), primary_key=True),
    _created_at(),
    Index(None, "role_id"),
)
