"""The rules behind issue 10's identity fixes, without a database: who outranks whom, whose grants
a role change touches, the signup policy, and when a verification token proves an address."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from identity.domain.rbac import RoleNode, dependents, outranked_by
from identity.domain.roles import BUILT_IN_ROLES, SUPER_ADMIN, TENANT_ADMIN, USER
from identity.domain.signup import default_mode, domain_problem, normalize_domain, signup_decision
from identity.domain.verification import check_verification, parse_verification_token
from mesh.errors import FailedPrecondition, InvalidArgument


def _held(name: str) -> set[str]:
    """Everything a built-in role holds, parents included."""
    specs = {s.name: s for s in BUILT_IN_ROLES}
    held: set[str] = set()
    spec = specs.get(name)
    while spec is not None:
        held.update(spec.permissions)
        spec = specs.get(spec.parent) if spec.parent else None
    return held


def test_a_tenant_admin_is_outranked_by_the_super_admin_but_not_by_a_peer_or_a_user() -> None:
    assert outranked_by(_held(TENANT_ADMIN), _held(SUPER_ADMIN)) == ["*:*"]
    assert outranked_by(_held(TENANT_ADMIN), _held(TENANT_ADMIN)) == []
    assert outranked_by(_held(TENANT_ADMIN), _held(USER)) == []
    assert outranked_by(_held(SUPER_ADMIN), _held(TENANT_ADMIN)) == []
    assert "users:*" in outranked_by(_held(USER), _held(TENANT_ADMIN))


def test_the_signup_role_lets_people_manage_their_own_keys() -> None:
    assert {"api_keys:create", "api_keys:read", "api_keys:update", "api_keys:delete"} <= _held(USER)
    assert not {"users:read", "users:update"} & _held(USER)  # others' keys stay out of reach


def _node(name: str, *parents: uuid.UUID) -> RoleNode:
    return RoleNode(uuid.uuid4(), name, uuid.uuid4(), (f"{name}:read",), parents, built_in=False)


def test_a_role_change_reaches_every_role_inheriting_from_it() -> None:
    base = _node("base")
    child = _node("child", base.id)
    grandchild = _node("grandchild", child.id)
    unrelated = _node("unrelated")
    graph = {n.id: n for n in (base, child, grandchild, unrelated)}
    assert set(dependents(graph, base.id)) == {base.id, child.id, grandchild.id}
    assert dependents(graph, grandchild.id) == [grandchild.id]


def test_only_the_default_tenant_starts_open() -> None:
    assert default_mode("default") == "open"
    assert default_mode("acme") == "invite_only"


@pytest.mark.parametrize(
    ("mode", "email", "active", "allowed", "verify_first"),
    [
        ("open", "a@anything.test", True, True, False),
        ("invite_only", "a@acme.test", True, False, False),
        ("email_domains", "a@acme.test", True, True, True),
        ("email_domains", "a@ACME.test", True, True, True),
        ("email_domains", "a@sub.acme.test", True, False, False),
        ("email_domains", "a@evil.test", True, False, False),
        ("open", "a@acme.test", False, False, False),
        ("unknown", "a@acme.test", True, False, False),
    ],
)
def test_signup_decisions(mode: str, email: str, active: bool, allowed: bool, verify_first: bool) -> None:
    decision = signup_decision(mode, ("acme.test",), email, tenant_active=active)
    assert decision.allowed is allowed
    if allowed:
        assert decision.verify_first is verify_first


def test_domains_are_normalised_and_checked() -> None:
    assert normalize_domain(" @Acme.Test. ") == "acme.test"
    assert domain_problem("acme.test") is None
    for bad in ("localhost", "-acme.test", "acme..test", "a b.test", "*.acme.test"):
        assert domain_problem(bad), bad


NOW = datetime(2026, 12, 6, tzinfo=UTC)


def _check(**overrides: object) -> None:
    values: dict[str, object] = {
        "found": True,
        "used": False,
        "expires_at": NOW + timedelta(hours=1),
        "token_email": "new@example.com",
        "user_email": "new@example.com",
        "now": NOW,
    }
    check_verification(**(values | overrides))  # type: ignore[arg-type]


def test_a_verification_token_proves_only_the_address_it_was_mailed_to() -> None:
    _check()
    _check(user_email="NEW@example.com")
    with pytest.raises(InvalidArgument):
        _check(user_email="moved@example.com")  # the address changed after the link was mailed
    with pytest.raises(InvalidArgument):
        _check(found=False)
    with pytest.raises(InvalidArgument):
        _check(user_email=None)  # disabled user or suspended tenant
    with pytest.raises(FailedPrecondition) as used:
        _check(used=True)
    assert used.value.reason == "VERIFICATION_TOKEN_USED"
    with pytest.raises(FailedPrecondition) as expired:
        _check(expires_at=NOW)
    assert expired.value.reason == "VERIFICATION_TOKEN_EXPIRED"


def test_token_shape_is_checked_before_any_lookup() -> None:
    assert parse_verification_token(" " + "a" * 43 + " ") == "a" * 43
    for bad in ("", "a" * 42, "a" * 44, "a" * 42 + "!"):
        with pytest.raises(InvalidArgument):
            parse_verification_token(bad)
