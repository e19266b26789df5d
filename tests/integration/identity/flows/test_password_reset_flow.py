"""Password reset end to end through the real servicer: request, event, reset, reuse, expiry, sessions."""

from __future__ import annotations

import time

from chatmesh.identity.v1 import auth_pb2
from sqlalchemy import text

from identity.domain.reset import hash_reset_token
from identity.password_reset.reset import MIN_REQUEST_SECONDS
from mesh.errors import FailedPrecondition, InvalidArgument, Unauthenticated
from tests.integration.identity.flows.flows_support import (
    NEW_PASSWORD,
    PASSWORD,
    RESET_PAGE,
    Flows,
    bearer,
    fails,
    fields_of,
    token_of,
    unique_email,
)


async def request_reset(flows: Flows, email: str, tenant: str = "") -> float:
    started = time.monotonic()
    await flows.stub.RequestPasswordReset(
        auth_pb2.RequestPasswordResetRequest(email=email, tenant=tenant), timeout=10
    )
    return time.monotonic() - started


async def test_full_reset_flow_sets_the_password_and_ends_every_session(flows: Flows) -> None:
    email = unique_email()
    registered = await flows.register(email)
    user_id = registered.user.id
    second = await flows.login(email)
    await request_reset(flows, email.upper())

    events = await flows.reset_events(user_id)
    assert len(events) == 1
    event = events[0]
    assert event.email == email and event.user_id == user_id
    assert event.reset_url.startswith(RESET_PAGE + "?token=")
    assert event.expire_time.seconds - time.time() > 3500
    token = token_of(event)
    stored = await flows.count("password_reset_tokens", f"user_id = '{user_id}'")
    assert stored == 1
    assert (
        await flows.count("password_reset_tokens", f"token_hash = '\\x{hash_reset_token(token).hex()}'") == 1
    )

    await flows.stub.ResetPassword(
        auth_pb2.ResetPasswordRequest(token=token, new_password=NEW_PASSWORD), timeout=10
    )

    assert (await flows.login(email, NEW_PASSWORD)).access_token
    old = await fails(flows.stub.Login, auth_pb2.LoginRequest(email=email, password=PASSWORD))
    assert isinstance(old, Unauthenticated)
    for session in (registered, second):
        refused = await fails(flows.stub.LogoutAll, auth_pb2.LogoutAllRequest(), bearer(session.access_token))
        assert isinstance(refused, Unauthenticated)
        refresh = await fails(
            flows.stub.Refresh, auth_pb2.RefreshRequest(refresh_token=session.refresh_token)
        )
        assert isinstance(refresh, Unauthenticated)
    assert ("auth.password_reset", "success") in await flows.audit_actions(user_id)
    assert ("auth.password_reset_request", "success") in await flows.audit_actions(user_id)

    reused = await fails(
        flows.stub.ResetPassword, auth_pb2.ResetPasswordRequest(token=token, new_password="An0ther-password")
    )
    assert isinstance(reused, FailedPrecondition) and reused.reason == "RESET_TOKEN_USED"
    assert (await flows.login(email, NEW_PASSWORD)).access_token


async def test_unknown_email_answers_ok_in_the_same_time_and_writes_nothing(flows: Flows) -> None:
    email = unique_email()
    await flows.register(email)
    before = await flows.row_counts()
    unknown_time = await request_reset(flows, unique_email())
    other_tenant_time = await request_reset(flows, email, tenant="no-such-tenant")
    assert await flows.row_counts() == before
    known_time = await request_reset(flows, email)
    assert await flows.count("password_reset_tokens") == before["password_reset_tokens"] + 1
    for elapsed in (unknown_time, other_tenant_time, known_time):
        assert elapsed >= MIN_REQUEST_SECONDS
    assert abs(known_time - unknown_time) < MIN_REQUEST_SECONDS


async def test_expired_token_is_refused_and_changes_nothing(flows: Flows) -> None:
    email = unique_email()
    user_id = (await flows.register(email)).user.id
    await request_reset(flows, email)
    token = token_of((await flows.reset_events(user_id))[-1])
    async with flows.engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE identity.password_reset_tokens SET expires_at = now() - interval '1 second' "
                f"WHERE user_id = '{user_id}'"
            )
        )
    expired = await fails(
        flows.stub.ResetPassword, auth_pb2.ResetPasswordRequest(token=token, new_password=NEW_PASSWORD)
    )
    assert isinstance(expired, FailedPrecondition) and expired.reason == "RESET_TOKEN_EXPIRED"
    assert (await flows.login(email)).access_token


async def test_a_new_reset_invalidates_older_links(flows: Flows) -> None:
    email = unique_email()
    user_id = (await flows.register(email)).user.id
    await request_reset(flows, email)
    await request_reset(flows, email)
    first, second = (token_of(e) for e in await flows.reset_events(user_id))
    await flows.stub.ResetPassword(
        auth_pb2.ResetPasswordRequest(token=second, new_password=NEW_PASSWORD), timeout=10
    )
    stale = await fails(
        flows.stub.ResetPassword, auth_pb2.ResetPasswordRequest(token=first, new_password=PASSWORD)
    )
    assert isinstance(stale, InvalidArgument) and stale.reason == "RESET_TOKEN_INVALID"


async def test_requests_per_account_are_capped(flows: Flows) -> None:
    email = unique_email()
    user_id = (await flows.register(email)).user.id
    for _ in range(7):
        await request_reset(flows, email)
    assert len(await flows.reset_events(user_id)) == 5
    assert ("auth.password_reset_request", "denied") in await flows.audit_actions(user_id)


async def test_bad_input_is_invalid_argument_with_fields_and_writes_nothing(flows: Flows) -> None:
    email = unique_email()
    user_id = (await flows.register(email)).user.id
    await request_reset(flows, email)
    token = token_of((await flows.reset_events(user_id))[-1])
    before = await flows.row_counts()

    bad_email = await fails(
        flows.stub.RequestPasswordReset, auth_pb2.RequestPasswordResetRequest(email="not-an-email")
    )
    assert isinstance(bad_email, InvalidArgument) and fields_of(bad_email) == ["email"]
    empty = await fails(flows.stub.ResetPassword, auth_pb2.ResetPasswordRequest())
    assert isinstance(empty, InvalidArgument) and set(fields_of(empty)) == {"token", "new_password"}
    unknown = await fails(
        flows.stub.ResetPassword, auth_pb2.ResetPasswordRequest(token="A" * 43, new_password=NEW_PASSWORD)
    )
    assert isinstance(unknown, InvalidArgument) and fields_of(unknown) == ["token"]
    weak = await fails(
        flows.stub.ResetPassword, auth_pb2.ResetPasswordRequest(token=token, new_password="short")
    )
    assert isinstance(weak, InvalidArgument) and fields_of(weak) and set(fields_of(weak)) == {"new_password"}
    as_email = await fails(
        flows.stub.ResetPassword, auth_pb2.ResetPasswordRequest(token=token, new_password=email)
    )
    assert isinstance(as_email, InvalidArgument) and "new_password" in fields_of(as_email)

    assert await flows.row_counts() == before
    assert (await flows.login(email)).access_token
    await flows.stub.ResetPassword(
        auth_pb2.ResetPasswordRequest(token=token, new_password=NEW_PASSWORD), timeout=10
    )
    assert (await flows.login(email, NEW_PASSWORD)).user.id == user_id
