"""Identity rules, one module per area; the names other code already imports are re-exported here."""

from identity.domain.passwords import PASSWORD_HASHER, hash_password, needs_rehash, verify_password
from identity.domain.roles import BUILT_IN_ROLES, DEVELOPER, SUPER_ADMIN, TENANT_ADMIN, USER, RoleSpec
from identity.domain.users import DEFAULT_TENANT_NAME, DEFAULT_TENANT_SLUG

__all__ = [
    "BUILT_IN_ROLES",
    "DEFAULT_TENANT_NAME",
    "DEFAULT_TENANT_SLUG",
    "DEVELOPER",
    "PASSWORD_HASHER",
    "SUPER_ADMIN",
    "TENANT_ADMIN",
    "USER",
    "RoleSpec",
    "hash_password",
    "needs_rehash",
    "verify_password",
]
