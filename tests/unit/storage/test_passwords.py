"""Argon2id with OWASP parameters, and the built-in role table."""

from __future__ import annotations

from argon2 import PasswordHasher, Type

from identity.domain import BUILT_IN_ROLES, SUPER_ADMIN, hash_password, needs_rehash, verify_password


def test_hash_is_argon2id_with_owasp_parameters() -> None:
    hashed = hash_password("correct horse battery staple")
    assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert hash_password("correct horse battery staple") != hashed, "salted"


def test_verify_accepts_the_password_and_nothing_else() -> None:
    hashed = hash_password("pässwörd-1")
    assert verify_password(hashed, "pässwörd-1")
    assert not verify_password(hashed, "pässwörd-2")
    assert not verify_password(hashed, "")
    assert not verify_password("not a hash", "pässwörd-1")


def test_hashes_with_other_parameters_need_rehash() -> None:
    assert not needs_rehash(hash_password("x"))
    weaker = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1, type=Type.ID).hash("x")
    assert verify_password(weaker, "x")
    assert needs_rehash(weaker)
    assert needs_rehash("garbage")


def test_built_in_roles_list_parents_first_and_super_admin_has_everything() -> None:
    seen: set[str] = set()
    for spec in BUILT_IN_ROLES:
        assert spec.parent is None or spec.parent in seen, spec.name
        assert all(p.count(":") == 1 for p in spec.permissions), spec.name
        seen.add(spec.name)
    assert seen == {"super_admin", "tenant_admin", "developer", "user"}
    assert next(r for r in BUILT_IN_ROLES if r.name == SUPER_ADMIN).permissions == ("*:*",)
