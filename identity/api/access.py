"""API keys, RBAC and the audit log RPCs, gathered into one mixin of IdentityServicer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from identity.api.api_keys import ApiKeysApi
from identity.api.audit import AuditApi
from identity.api.role_bindings import RoleBindingsApi
from identity.api.roles import RolesApi

if TYPE_CHECKING:
    from identity.deps import IdentityDeps

__all__ = ["AccessApi"]


class AccessApi(ApiKeysApi, RolesApi, RoleBindingsApi, AuditApi):
    """Mixin of IdentityServicer; dependencies come from ``self.deps`` (``deps.access`` above all)."""

    deps: IdentityDeps
