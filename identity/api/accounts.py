"""Tenants, users, sessions, tokens and signing keys RPCs, one mixin per area."""

from __future__ import annotations

from typing import TYPE_CHECKING

from identity.api.auth import AuthApi
from identity.api.email import EmailApi
from identity.api.sessions import SessionsApi
from identity.api.tenants import TenantsApi
from identity.api.users import UsersApi

if TYPE_CHECKING:
    from identity.deps import IdentityDeps

__all__ = ["AccountsApi"]


class AccountsApi(AuthApi, EmailApi, SessionsApi, TenantsApi, UsersApi):
    """Mixin of IdentityServicer; dependencies come from ``self.deps``."""

    deps: IdentityDeps
