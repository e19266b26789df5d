"""mesh.authz: questions about other tenants, callers that mesh services also are, install/uninstall."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mesh import authz
from mesh.auth import ANONYMOUS, Principal, reset_principal, set_principal
from mesh.errors import Internal, PermissionDenied, Unauthenticated
from tests.support.rbac_standin import RbacStandIn

ALICE = Principal(kind="user", subject="alice", tenant_id="t1")
ROOT = Principal(kind="user", subject="root", tenant_id="t0")
SERVICE = Principal(kind="service", subject="conversation")


@pytest.fixture
def rules() -> Iterator[RbacStandIn]:
    stand_in = RbacStandIn(grants={"alice": {"chat:create", "analytics:read"}}, super_admins={"root"})
    authorizer = authz.Authorizer(stand_in, ttl=60.0)
    authz.install(authorizer)
    yield stand_in
    authz.uninstall(authorizer)


async def test_other_tenants_are_asked_about_by_name_and_cached_apart(rules: RbacStandIn) -> None:
    tokens = set_principal(ALICE)
    try:
        assert await authz.holds("analytics:read")
        assert await authz.holds("analytics:read", tenant_id="t1")  # her own: the same question
        assert not await authz.holds("analytics:read", tenant_id="t2")
        assert not await authz.holds("analytics:read", tenant_id=authz.EVERY_TENANT)
        with pytest.raises(PermissionDenied):
            await authz.require("analytics:read", tenant_id="t2")
    finally:
        reset_principal(tokens)
    assert rules.asked == [
        ("alice", "analytics:read", ""),
        ("alice", "analytics:read", "t2"),
        ("alice", "analytics:read", authz.EVERY_TENANT),
    ]
    tokens = set_principal(ROOT)
    try:
        assert await authz.holds("analytics:read", tenant_id=authz.EVERY_TENANT)
    finally:
        reset_principal(tokens)


async def test_require_for_users_lets_services_through_and_checks_everyone_else(rules: RbacStandIn) -> None:
    for principal, allowed in (
        (SERVICE, True),
        (ALICE, True),
        (Principal(kind="user", subject="bob"), False),
    ):
        tokens = set_principal(principal)
        try:
            if allowed:
                await authz.require_for_users("chat:create")
            else:
                with pytest.raises(PermissionDenied):
                    await authz.require_for_users("chat:create")
        finally:
            reset_principal(tokens)
    tokens = set_principal(ANONYMOUS)
    try:
        with pytest.raises(Unauthenticated):  # an authorizer is installed: this is a running service
            await authz.require_for_users("chat:create")
    finally:
        reset_principal(tokens)


async def test_without_an_authorizer_only_a_bare_anonymous_call_passes() -> None:
    authz.install(None)
    await authz.require_for_users("chat:create")  # a service started bare (no verifier, no authorizer)
    tokens = set_principal(ALICE)
    try:
        with pytest.raises(Internal, match="not configured"):
            await authz.require_for_users("chat:create")
    finally:
        reset_principal(tokens)


def test_uninstall_removes_only_the_installed_authorizer() -> None:
    mine, other = authz.Authorizer(RbacStandIn()), authz.Authorizer(RbacStandIn())
    authz.install(mine)
    authz.uninstall(other)
    assert authz.installed() is mine
    authz.uninstall(mine)
    with pytest.raises(Internal):
        authz.installed()
