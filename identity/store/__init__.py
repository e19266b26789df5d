"""Identity's tables and queries, one module per area on one shared ``metadata``.

Every area module is imported here so that all tables are registered on
``metadata`` (migrations env and the schema-drift test read it). Existing names
are re-exported so ``from identity import store; store.users`` keeps working.
"""

# Area modules register their tables on `metadata` when imported.
from identity.store import (  # noqa: F401
    api_keys,
    audit,
    email_verification,
    keys,
    mfa,
    oauth,
    rbac,
    reset,
    seats,
    sessions,
    tenant_queries,
    user_queries,
)
from identity.store.seed import (
    RoleRow,
    built_in_roles,
    grant_role,
    insert_built_in_role,
    insert_tenant,
    insert_user,
    lock_bootstrap,
    tenant_id_by_slug,
    update_role,
    user_id_by_email,
    users_with_role,
)
from identity.store.tables import USER_STATUSES, metadata, outbox, roles, tenants, user_roles, users

__all__ = [
    "USER_STATUSES",
    "RoleRow",
    "built_in_roles",
    "grant_role",
    "insert_built_in_role",
    "insert_tenant",
    "insert_user",
    "lock_bootstrap",
    "metadata",
    "outbox",
    "roles",
    "tenant_id_by_slug",
    "tenants",
    "update_role",
    "user_id_by_email",
    "user_roles",
    "users",
    "users_with_role",
]
