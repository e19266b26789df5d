"""Who a turn runs for and whose turns a caller sees: decided by identity's Check, not the token's roles."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mesh import authz
from mesh.auth import ANONYMOUS, Principal, reset_principal, set_principal
from mesh.errors import InvalidArgument, PermissionDenied
from orchestrator.generation.access import read_scope, turn_owner
from tests.support.rbac_standin import RbacStandIn

USER = Principal(kind="user", subject="u1", tenant_id="t1", roles=frozenset({"user"}))
# The token still claims super_admin; identity has taken every role away.
DEMOTED = Principal(kind="user", subject="gone", tenant_id="t1", roles=frozenset({"super_admin"}))
ADMIN = Principal(kind="user", subject="a", tenant_id="t1", roles=frozenset({"tenant_admin"}))
ROOT = Principal(kind="user", subject="root", tenant_id="t0", roles=frozenset())


@pytest.fixture(autouse=True)
def identity() -> Iterator[RbacStandIn]:
    rules = RbacStandIn(
        grants={"u1": {"chat:create"}, "a": {"chat:create", "analytics:read", "users:*"}},
        super_admins={"root"},
    )
    authz.install(authz.Authorizer(rules, ttl=0.0))
    yield rules
    authz.install(None)


async def test_a_user_runs_turns_only_as_themselves_in_their_tenant() -> None:
    tokens = set_principal(USER)
    try:
        assert await turn_owner(USER, "", "") == ("t1", "u1")
        with pytest.raises(PermissionDenied, match="own tenant"):
            await turn_owner(USER, "t2", "u1")
        with pytest.raises(PermissionDenied, match="calling user"):
            await turn_owner(USER, "t1", "u2")
    finally:
        reset_principal(tokens)


async def test_without_chat_create_no_turn_runs_whatever_the_token_claims() -> None:
    tokens = set_principal(DEMOTED)
    try:
        with pytest.raises(PermissionDenied, match="chat:create"):
            await turn_owner(DEMOTED, "", "")
        with pytest.raises(PermissionDenied):
            await turn_owner(DEMOTED, "t2", "")
        scope = await read_scope(DEMOTED, "")
        assert scope.allows("t1", "gone") and not scope.allows("t1", "u1")
        with pytest.raises(PermissionDenied):
            await read_scope(DEMOTED, "t2")
    finally:
        reset_principal(tokens)


async def test_tenant_admins_see_their_tenant_and_act_for_its_users() -> None:
    tokens = set_principal(ADMIN)
    try:
        assert (await read_scope(ADMIN, "t1")).allows("t1", "u2")
        assert not (await read_scope(ADMIN, "")).allows("t2", "u2")
        with pytest.raises(PermissionDenied):
            await read_scope(ADMIN, "t2")
        assert await turn_owner(ADMIN, "", "u2") == ("t1", "u2")
    finally:
        reset_principal(tokens)


async def test_a_super_admin_acts_in_any_tenant(identity: RbacStandIn) -> None:
    tokens = set_principal(ROOT)
    try:
        assert await turn_owner(ROOT, "t9", "u9") == ("t9", "u9")
        assert (await read_scope(ROOT, "")).allows("t5", "u5")
        assert (await read_scope(ROOT, "t5")).allows("t5", "u5")
        assert ("root", "analytics:read", authz.EVERY_TENANT) in identity.asked
    finally:
        reset_principal(tokens)


async def test_services_act_for_the_tenant_they_name_and_anonymous_needs_one() -> None:
    assert await turn_owner(Principal(kind="service", subject="conversation"), "t9", "u9") == ("t9", "u9")
    with pytest.raises(InvalidArgument):
        await turn_owner(ANONYMOUS, "", "u1")
