"""Registration and password login: validation without writes, lockout, rehash, password change."""

from __future__ import annotations

import uuid

import grpc
from argon2 import PasswordHasher, Type
from chatmesh.identity.v1 import auth_pb2
from sqlalchemy import select, update

from identity import store
from identity.domain.passwords import needs_rehash
from mesh.client_ip import client_ip_seal
from mesh.errors import AlreadyExists, InvalidArgument, ResourceExhausted, Unauthenticated
from tests.integration.identity.accounts.accounts_harness import PASSWORD, Accounts, bearer, fails, fields_of


async def test_bad_registrations_say_what_is_wrong_and_write_nothing(accounts: Accounts) -> None:
    before = await accounts.row_counts()
    cases = {
        ("email", "password"): auth_pb2.RegisterRequest(email="not-an-email", password="short"),
        ("email",): auth_pb2.RegisterRequest(email="", password=PASSWORD),
        ("password",): auth_pb2.RegisterRequest(email="a@example.com", password="alllowercaseletters"),
        ("username",): auth_pb2.RegisterRequest(
            email="b@example.com", password=PASSWORD, username="-bad name-"
        ),
        ("display_name",): auth_pb2.RegisterRequest(
            email="c@example.com", password=PASSWORD, display_name="x" * 300
        ),
        ("tenant",): auth_pb2.RegisterRequest(email="d@example.com", password=PASSWORD, tenant="t" * 300),
    }
    for fields, request in cases.items():
        error = await fails(accounts.stub.Register, request)
        assert isinstance(error, InvalidArgument), (fields, error)
        assert set(fields_of(error)) == set(fields), (fields, fields_of(error))
    too_long = await fails(
        accounts.stub.Register, auth_pb2.RegisterRequest(email="e@example.com", password="Aa1" * 50)
    )
    assert "password" in fields_of(too_long)
    same_as_email = await fails(
        accounts.stub.Register,
        auth_pb2.RegisterRequest(email="Mixed1@example.com", password="Mixed1@example.com"),
    )
    assert fields_of(same_as_email) == ["password"]
    assert await accounts.row_counts() == before


async def test_email_is_unique_per_tenant_ignoring_case(accounts: Accounts) -> None:
    email = f"Case.{uuid.uuid4().hex[:6]}@Example.COM"
    first = await accounts.register(email)
    assert first.user.email == email.rpartition("@")[0] + "@example.com"
    before = await accounts.row_counts()
    taken = await fails(
        accounts.stub.Register, auth_pb2.RegisterRequest(email=email.lower(), password=PASSWORD)
    )
    assert isinstance(taken, AlreadyExists)
    assert await accounts.row_counts() == before
    assert (await accounts.login(email.upper())).user.id == first.user.id


async def test_registration_emits_user_registered_in_the_same_transaction(accounts: Accounts) -> None:
    registered = await accounts.register()
    async with accounts.engine.connect() as conn:
        rows = await conn.execute(
            select(store.outbox.c.event_type).where(store.outbox.c.aggregate_id == registered.user.id)
        )
        assert list(rows.scalars()) == [
            "chatmesh.events.v1.UserRegistered",
            "chatmesh.events.v1.EmailVerificationRequested",
        ]


async def test_repeated_failures_lock_the_account_with_retry_info(accounts: Accounts) -> None:
    registered = await accounts.register()
    email = registered.user.email
    limit = accounts.deps.config.login_max_failures_per_account
    for _ in range(limit):
        wrong = await fails(
            accounts.stub.Login, auth_pb2.LoginRequest(email=email, password="Wr0ng-password")
        )
        assert isinstance(wrong, Unauthenticated) and wrong.reason == "INVALID_CREDENTIALS"
    locked = await fails(accounts.stub.Login, auth_pb2.LoginRequest(email=email, password=PASSWORD))
    assert isinstance(locked, ResourceExhausted) and locked.reason == "LOGIN_LOCKED"
    assert (
        locked.retry_after is not None
        and 0 < locked.retry_after <= accounts.deps.config.login_failure_window_seconds
    )
    assert locked.quota_violations and locked.quota_violations[0].subject == "account"
    # Another account from the same client is not locked by this one.
    other = await accounts.register()
    assert (await accounts.login(other.user.email)).access_token
    actions = await accounts.audit_actions(registered.user.tenant_id)
    assert actions.count(("auth.login", "failure")) >= limit


async def test_one_client_guessing_many_accounts_is_locked_out_by_ip(accounts: Accounts) -> None:
    # The client's address as the gateway states it: sealed with the mesh's key (mesh.client_ip).
    client = [client_ip_seal(accounts.settings).seal(f"198.51.100.{uuid.uuid4().int % 250 + 1}")]
    limit = accounts.deps.config.login_max_failures_per_ip
    for n in range(limit):
        request = auth_pb2.LoginRequest(
            email=f"guess{n}-{uuid.uuid4().hex[:6]}@example.com", password="Wr0ng-pass"
        )
        assert isinstance(await fails(accounts.stub.Login, request, client), Unauthenticated)
    registered = await accounts.register()
    locked = await fails(
        accounts.stub.Login, auth_pb2.LoginRequest(email=registered.user.email, password=PASSWORD), client
    )
    assert isinstance(locked, ResourceExhausted) and locked.quota_violations[0].subject == "ip"
    assert (await accounts.login(registered.user.email)).access_token, "other clients are not locked out"


async def test_a_forwarded_for_header_does_not_change_the_callers_address(accounts: Accounts) -> None:
    """A caller writing X-Forwarded-For (or an unsealed address) neither dodges the per-address
    limit nor locks out the address it names."""
    seal = client_ip_seal(accounts.settings)
    attacker, victim = (f"203.0.113.{uuid.uuid4().int % 250 + 1}", f"198.51.100.{uuid.uuid4().int % 250 + 1}")
    limit = accounts.deps.config.login_max_failures_per_ip
    for n in range(limit):
        forged = [
            seal.seal(attacker),
            ("x-forwarded-for", f"192.0.2.{n + 1}, {victim}"),
            ("x-chatmesh-client-ip", f"{victim} forged"),
        ]
        request = auth_pb2.LoginRequest(
            email=f"xff{n}-{uuid.uuid4().hex[:6]}@example.com", password="Wr0ng-pass"
        )
        assert isinstance(await fails(accounts.stub.Login, request, forged), Unauthenticated)
    registered = await accounts.register()
    login = auth_pb2.LoginRequest(email=registered.user.email, password=PASSWORD)
    locked = await fails(accounts.stub.Login, login, [seal.seal(attacker), ("x-forwarded-for", victim)])
    assert isinstance(locked, ResourceExhausted) and locked.quota_violations[0].subject == "ip"
    assert (await accounts.stub.Login(login, metadata=[seal.seal(victim)], timeout=10)).access_token


async def test_a_successful_login_resets_the_account_counter(accounts: Accounts) -> None:
    registered = await accounts.register()
    limit = accounts.deps.config.login_max_failures_per_account
    for _ in range(limit - 1):
        await fails(
            accounts.stub.Login, auth_pb2.LoginRequest(email=registered.user.email, password="Wr0ng-pass")
        )
    await accounts.login(registered.user.email)
    for _ in range(limit - 1):
        await fails(
            accounts.stub.Login, auth_pb2.LoginRequest(email=registered.user.email, password="Wr0ng-pass")
        )
    assert (await accounts.login(registered.user.email)).access_token


async def test_unknown_email_and_wrong_password_look_the_same(accounts: Accounts) -> None:
    unknown = await fails(
        accounts.stub.Login, auth_pb2.LoginRequest(email="nobody@example.com", password=PASSWORD)
    )
    registered = await accounts.register()
    wrong = await fails(
        accounts.stub.Login, auth_pb2.LoginRequest(email=registered.user.email, password="Wr0ng-pass")
    )
    assert (unknown.code, unknown.message, unknown.reason) == (wrong.code, wrong.message, wrong.reason)
    bad = await fails(accounts.stub.Login, auth_pb2.LoginRequest(email="nonsense", password=""))
    assert isinstance(bad, InvalidArgument) and set(fields_of(bad)) == {"email", "password"}


async def test_login_rehashes_a_password_hashed_with_older_parameters(accounts: Accounts) -> None:
    registered = await accounts.register()
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1, type=Type.ID).hash(PASSWORD)
    async with accounts.engine.begin() as conn:
        await conn.execute(
            update(store.users).where(store.users.c.email == registered.user.email).values(password_hash=weak)
        )
    await accounts.login(registered.user.email)
    async with accounts.engine.connect() as conn:
        stored = (
            await conn.execute(
                select(store.users.c.password_hash).where(store.users.c.email == registered.user.email)
            )
        ).scalar_one()
    assert stored != weak and not needs_rehash(stored)


async def test_change_password_checks_the_old_one_and_can_end_other_sessions(accounts: Accounts) -> None:
    registered = await accounts.register()
    other = await accounts.login(registered.user.email)
    wrong = await fails(
        accounts.stub.ChangePassword,
        auth_pb2.ChangePasswordRequest(current_password="Wr0ng-pass", new_password="N3w-password!"),
        bearer(registered.access_token),
    )
    assert isinstance(wrong, InvalidArgument) and fields_of(wrong) == ["current_password"]
    weak = await fails(
        accounts.stub.ChangePassword,
        auth_pb2.ChangePasswordRequest(current_password=PASSWORD, new_password="weak"),
        bearer(registered.access_token),
    )
    assert fields_of(weak) and set(fields_of(weak)) == {"new_password"}
    await accounts.stub.ChangePassword(
        auth_pb2.ChangePasswordRequest(
            current_password=PASSWORD, new_password="N3w-password!", revoke_other_sessions=True
        ),
        metadata=bearer(registered.access_token),
    )
    assert await accounts.other_service_accepts(registered.access_token), "the caller's own session stays"
    assert not await accounts.other_service_accepts(other.access_token)
    old = await fails(
        accounts.stub.Login, auth_pb2.LoginRequest(email=registered.user.email, password=PASSWORD)
    )
    assert old.code == grpc.StatusCode.UNAUTHENTICATED
    assert (await accounts.login(registered.user.email, "N3w-password!")).access_token
    assert ("auth.password_change", "success") in await accounts.audit_actions(registered.user.tenant_id)
