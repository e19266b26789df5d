"""TOTP end to end through the real servicer: enrol, confirm, login's second step, recovery codes, disable."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from chatmesh.identity.v1 import mfa_pb2

from identity.domain.mfa import MAX_MFA_ATTEMPTS
from mesh.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    Unauthenticated,
)
from tests.integration.identity.flows.flows_support import (
    Flows,
    bearer,
    fails,
    fields_of,
    totp_code,
    unique_email,
)


async def test_enrol_confirm_then_login_needs_and_accepts_a_code_once(flows: Flows) -> None:
    email = unique_email()
    token = (await flows.register(email)).access_token
    enrolled = await flows.stub.EnrollTotp(mfa_pb2.EnrollTotpRequest(), metadata=bearer(token), timeout=10)
    uri = urlsplit(enrolled.otpauth_uri)
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert parse_qs(uri.query)["issuer"] == ["chatmesh"] and parse_qs(uri.query)["secret"] == [
        enrolled.secret
    ]
    pending = await flows.stub.GetMfaStatus(mfa_pb2.GetMfaStatusRequest(user_id="me"), metadata=bearer(token))
    assert not pending.totp_enabled
    assert (await flows.login(email)).access_token, "a pending enrolment does not change login yet"

    wrong = await fails(flows.stub.ConfirmTotp, mfa_pb2.ConfirmTotpRequest(code="000000"), bearer(token))
    assert isinstance(wrong, InvalidArgument) and wrong.reason == "MFA_CODE_INVALID"
    confirmed = await flows.stub.ConfirmTotp(
        mfa_pb2.ConfirmTotpRequest(code=totp_code(enrolled.secret)), metadata=bearer(token), timeout=10
    )
    codes = list(confirmed.recovery_codes)
    assert len(codes) == 10 == len(set(codes))
    status = await flows.stub.GetMfaStatus(mfa_pb2.GetMfaStatusRequest(user_id="me"), metadata=bearer(token))
    assert status.totp_enabled and status.recovery_codes_remaining == 10
    again = await fails(flows.stub.EnrollTotp, mfa_pb2.EnrollTotpRequest(), bearer(token))
    assert isinstance(again, FailedPrecondition) and again.reason == "TOTP_ALREADY_ENABLED"

    login = await flows.login(email)
    assert login.mfa_required and login.mfa_token and not login.access_token and not login.refresh_token
    replay = await fails(
        flows.stub.CompleteMfaLogin,
        mfa_pb2.CompleteMfaLoginRequest(mfa_token=login.mfa_token, totp_code=totp_code(enrolled.secret)),
    )
    assert isinstance(replay, Unauthenticated) and replay.reason == "MFA_CODE_INVALID", (
        "the confirm code is spent"
    )
    done = await flows.stub.CompleteMfaLogin(
        mfa_pb2.CompleteMfaLoginRequest(mfa_token=login.mfa_token, totp_code=totp_code(enrolled.secret, 1)),
        timeout=10,
    )
    assert done.access_token and done.refresh_token and done.token_type == "Bearer"
    assert done.user.email == email and done.user.mfa_enabled
    claims = await flows.deps.verifier.verify_claims(done.access_token)
    assert claims.mfa
    spent = await fails(
        flows.stub.CompleteMfaLogin,
        mfa_pb2.CompleteMfaLoginRequest(mfa_token=login.mfa_token, totp_code=totp_code(enrolled.secret, -1)),
    )
    assert isinstance(spent, Unauthenticated) and spent.reason == "MFA_TOKEN_INVALID"
    actions = await flows.audit_actions(done.user.id)
    assert ("mfa.totp_enable", "success") in actions and ("auth.mfa_login", "success") in actions
    assert ("auth.mfa_login", "failure") in actions


async def test_recovery_codes_work_once_and_can_be_regenerated(flows: Flows) -> None:
    email = unique_email()
    token = (await flows.register(email)).access_token
    secret, codes = await flows.enable_totp(token)

    login = await flows.login(email)
    done = await flows.stub.CompleteMfaLogin(
        mfa_pb2.CompleteMfaLoginRequest(mfa_token=login.mfa_token, recovery_code=codes[0].upper()), timeout=10
    )
    assert done.access_token
    second = await flows.login(email)
    reused = await fails(
        flows.stub.CompleteMfaLogin,
        mfa_pb2.CompleteMfaLoginRequest(mfa_token=second.mfa_token, recovery_code=codes[0]),
    )
    assert isinstance(reused, Unauthenticated) and reused.reason == "MFA_CODE_INVALID"
    status = await flows.stub.GetMfaStatus(mfa_pb2.GetMfaStatusRequest(user_id="me"), metadata=bearer(token))
    assert status.recovery_codes_remaining == 9

    regenerated = await flows.stub.RegenerateRecoveryCodes(
        mfa_pb2.RegenerateRecoveryCodesRequest(code=totp_code(secret, 1)), metadata=bearer(token), timeout=10
    )
    fresh = list(regenerated.recovery_codes)
    assert len(fresh) == 10 and not set(fresh) & set(codes)
    stale = await fails(
        flows.stub.CompleteMfaLogin,
        mfa_pb2.CompleteMfaLoginRequest(mfa_token=second.mfa_token, recovery_code=codes[1]),
    )
    assert isinstance(stale, Unauthenticated)
    ok = await flows.stub.CompleteMfaLogin(
        mfa_pb2.CompleteMfaLoginRequest(mfa_token=second.mfa_token, recovery_code=fresh[0]), timeout=10
    )
    assert ok.access_token


async def test_wrong_codes_burn_the_mfa_token_and_then_lock_the_second_step(flows: Flows) -> None:
    email = unique_email()
    token = (await flows.register(email)).access_token
    secret, _ = await flows.enable_totp(token)
    login = await flows.login(email)
    for _ in range(MAX_MFA_ATTEMPTS):
        wrong = await fails(
            flows.stub.CompleteMfaLogin,
            mfa_pb2.CompleteMfaLoginRequest(mfa_token=login.mfa_token, totp_code="000000"),
        )
        assert isinstance(wrong, Unauthenticated)
    burnt = await fails(
        flows.stub.CompleteMfaLogin,
        mfa_pb2.CompleteMfaLoginRequest(mfa_token=login.mfa_token, totp_code=totp_code(secret, 1)),
    )
    assert isinstance(burnt, Unauthenticated) and burnt.reason == "MFA_TOKEN_INVALID"
    relogin = await flows.login(email)
    for _ in range(MAX_MFA_ATTEMPTS):
        await fails(
            flows.stub.CompleteMfaLogin,
            mfa_pb2.CompleteMfaLoginRequest(mfa_token=relogin.mfa_token, totp_code="000000"),
        )
    third = await flows.login(email)
    locked = await fails(
        flows.stub.CompleteMfaLogin,
        mfa_pb2.CompleteMfaLoginRequest(mfa_token=third.mfa_token, totp_code=totp_code(secret, 1)),
    )
    assert isinstance(locked, ResourceExhausted) and locked.reason == "MFA_LOCKED"
    assert locked.retry_after and locked.retry_after > 0


async def test_disable_needs_password_and_a_code(flows: Flows) -> None:
    email = unique_email()
    token = (await flows.register(email)).access_token
    secret, codes = await flows.enable_totp(token)
    before = await flows.row_counts()
    no_password = await fails(
        flows.stub.DisableTotp, mfa_pb2.DisableTotpRequest(code=codes[0]), bearer(token)
    )
    assert isinstance(no_password, InvalidArgument) and fields_of(no_password) == ["password"]
    bad_password = await fails(
        flows.stub.DisableTotp,
        mfa_pb2.DisableTotpRequest(code=codes[0], password="Wr0ng-password"),
        bearer(token),
    )
    assert isinstance(bad_password, InvalidArgument) and fields_of(bad_password) == ["password"]
    bad_code = await fails(
        flows.stub.DisableTotp,
        mfa_pb2.DisableTotpRequest(code="123456", password="Corr3ct-horse"),
        bearer(token),
    )
    assert isinstance(bad_code, InvalidArgument) and bad_code.reason == "MFA_CODE_INVALID"
    assert await flows.row_counts() == before
    await flows.stub.DisableTotp(
        mfa_pb2.DisableTotpRequest(code=codes[2], password="Corr3ct-horse"),
        metadata=bearer(token),
        timeout=10,
    )
    status = await flows.stub.GetMfaStatus(mfa_pb2.GetMfaStatusRequest(user_id="me"), metadata=bearer(token))
    assert not status.totp_enabled and status.recovery_codes_remaining == 0
    login = await flows.login(email)
    assert login.access_token and not login.mfa_required
    off = await fails(
        flows.stub.DisableTotp,
        mfa_pb2.DisableTotpRequest(code=totp_code(secret), password="Corr3ct-horse"),
        bearer(token),
    )
    assert isinstance(off, FailedPrecondition) and off.reason == "TOTP_NOT_ENABLED"


async def test_bad_input_and_other_users_are_refused_without_writes(flows: Flows) -> None:
    token = (await flows.register()).access_token
    other = await flows.register()
    before = await flows.row_counts()
    cases = [
        (flows.stub.ConfirmTotp, mfa_pb2.ConfirmTotpRequest(code="12ab56"), ["code"]),
        (flows.stub.RegenerateRecoveryCodes, mfa_pb2.RegenerateRecoveryCodesRequest(code=""), ["code"]),
        (flows.stub.DisableTotp, mfa_pb2.DisableTotpRequest(), ["code", "password"]),
        (flows.stub.CompleteMfaLogin, mfa_pb2.CompleteMfaLoginRequest(), ["mfa_token", "totp_code"]),
        (
            flows.stub.CompleteMfaLogin,
            mfa_pb2.CompleteMfaLoginRequest(mfa_token="x", totp_code="1"),
            ["totp_code"],
        ),
        (
            flows.stub.CompleteMfaLogin,
            mfa_pb2.CompleteMfaLoginRequest(mfa_token="x" * 43, recovery_code="!"),
            ["recovery_code"],
        ),
        (flows.stub.GetMfaStatus, mfa_pb2.GetMfaStatusRequest(user_id="not-a-uuid"), ["user_id"]),
    ]
    for call, request, fields in cases:
        error = await fails(call, request, bearer(token))
        assert isinstance(error, InvalidArgument), (request, error)
        assert fields_of(error) == fields, (request, fields_of(error))
    unconfirmed = await fails(
        flows.stub.ConfirmTotp, mfa_pb2.ConfirmTotpRequest(code="123456"), bearer(token)
    )
    assert isinstance(unconfirmed, FailedPrecondition) and unconfirmed.reason == "TOTP_NOT_ENROLLED"
    unknown_token = await fails(
        flows.stub.CompleteMfaLogin, mfa_pb2.CompleteMfaLoginRequest(mfa_token="A" * 43, totp_code="123456")
    )
    assert isinstance(unknown_token, Unauthenticated) and unknown_token.reason == "MFA_TOKEN_INVALID"
    someone_else = await fails(
        flows.stub.GetMfaStatus, mfa_pb2.GetMfaStatusRequest(user_id=other.user.id), bearer(token)
    )
    assert isinstance(someone_else, PermissionDenied)
    anonymous = await fails(flows.stub.EnrollTotp, mfa_pb2.EnrollTotpRequest())
    assert isinstance(anonymous, Unauthenticated)
    assert await flows.row_counts() == before


async def test_other_tenants_users_do_not_exist_for_the_caller(flows: Flows) -> None:
    outsider = await flows.register_in_new_tenant()
    own = await flows.register()
    hidden = await fails(
        flows.stub.GetMfaStatus,
        mfa_pb2.GetMfaStatusRequest(user_id=own.user.id),
        bearer(outsider.access_token),
    )
    assert isinstance(hidden, NotFound)
