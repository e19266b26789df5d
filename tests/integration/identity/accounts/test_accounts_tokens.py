"""Tokens through the real servicer: register → login → refresh → reuse → logout, and forged tokens.

"Refused" always means by ANOTHER service (conversation behind a JwtVerifier that learns
identity's keys through GetJwks), not only by identity itself.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from dataclasses import replace

import grpc
import jwt
import pytest
from chatmesh.identity.v1 import auth_pb2
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from identity.domain.tokens import SigningKey, encode_token, new_claims
from mesh.errors import InvalidArgument, Unauthenticated
from mesh.jwt_claims import TokenClaims
from tests.integration.identity.accounts.accounts_harness import Accounts, bearer, fails


def _forge(accounts: Accounts, claims: TokenClaims, key: SigningKey | None = None) -> str:
    return encode_token(claims, key or accounts.deps.tokens.keyring._loaded.signing)  # type: ignore[union-attr]


def _claims_of(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    decoded: dict[str, object] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return decoded


async def test_access_token_carries_the_agreed_claims(accounts: Accounts) -> None:
    registered = await accounts.register(username="claims-user")
    claims = _claims_of(registered.access_token)
    assert set(claims) >= {"sub", "tid", "roles", "sid", "jti", "iat", "nbf", "exp", "iss", "aud", "typ"}
    assert claims["sub"] == registered.user.id and claims["tid"] == registered.user.tenant_id
    assert claims["typ"] == "access" and claims["aud"] == "chatmesh" and claims["roles"] == ["user"]
    assert claims["exp"] == claims["iat"] + accounts.settings.access_token_ttl_seconds  # type: ignore[operator]
    assert _claims_of(registered.refresh_token)["typ"] == "refresh"
    header = jwt.get_unverified_header(registered.access_token)
    assert header["alg"] == "EdDSA" and header["kid"]
    assert registered.expires_in == 900 and registered.token_type == "Bearer"


async def test_the_full_life_of_a_session(accounts: Accounts) -> None:
    registered = await accounts.register()
    login = await accounts.login(registered.user.email.upper())
    assert login.user.id == registered.user.id
    assert await accounts.other_service_accepts(login.access_token)

    refreshed = await accounts.stub.Refresh(auth_pb2.RefreshRequest(refresh_token=login.refresh_token))
    assert refreshed.refresh_token != login.refresh_token
    assert _claims_of(refreshed.access_token)["sid"] == _claims_of(login.access_token)["sid"]
    assert await accounts.other_service_accepts(refreshed.access_token)

    verified = await accounts.stub.VerifyToken(auth_pb2.VerifyTokenRequest(token=refreshed.access_token))
    assert verified.principal.user_id == registered.user.id
    assert "profile:read" in verified.principal.permissions

    await accounts.stub.Logout(auth_pb2.LogoutRequest(), metadata=bearer(refreshed.access_token))
    assert not await accounts.other_service_accepts(refreshed.access_token)
    assert not await accounts.other_service_accepts(login.access_token), (
        "the whole session ends, not one token"
    )
    refused = await fails(
        accounts.stub.Refresh, auth_pb2.RefreshRequest(refresh_token=refreshed.refresh_token)
    )
    assert isinstance(refused, Unauthenticated) and refused.reason == "SESSION_REVOKED"
    # The first session of the registration is untouched by logging out of the second.
    assert await accounts.other_service_accepts(registered.access_token)
    actions = await accounts.audit_actions(registered.user.tenant_id)
    assert ("auth.login", "success") in actions and ("auth.logout", "success") in actions


async def test_reusing_a_refresh_token_revokes_the_whole_family(accounts: Accounts) -> None:
    login = await accounts.register()
    first = await accounts.stub.Refresh(auth_pb2.RefreshRequest(refresh_token=login.refresh_token))
    second = await accounts.stub.Refresh(auth_pb2.RefreshRequest(refresh_token=first.refresh_token))
    assert await accounts.other_service_accepts(second.access_token)

    reused = await fails(accounts.stub.Refresh, auth_pb2.RefreshRequest(refresh_token=login.refresh_token))
    assert isinstance(reused, Unauthenticated) and reused.reason == "REFRESH_TOKEN_REUSED"
    for access in (login.access_token, first.access_token, second.access_token):
        assert not await accounts.other_service_accepts(access)
    after = await fails(accounts.stub.Refresh, auth_pb2.RefreshRequest(refresh_token=second.refresh_token))
    assert isinstance(after, Unauthenticated) and after.reason == "SESSION_REVOKED"
    actions = await accounts.audit_actions(login.user.tenant_id)
    assert ("auth.session_revoke", "success") in actions


async def test_logout_all_ends_every_session(accounts: Accounts) -> None:
    registered = await accounts.register()
    logins = [await accounts.login(registered.user.email) for _ in range(2)]
    answer = await accounts.stub.LogoutAll(
        auth_pb2.LogoutAllRequest(), metadata=bearer(logins[0].access_token)
    )
    assert answer.revoked_sessions == 3
    for token in (registered.access_token, *(login.access_token for login in logins)):
        assert not await accounts.other_service_accepts(token)


async def test_forged_tokens_are_refused_by_another_service_and_by_verify_token(accounts: Accounts) -> None:
    registered = await accounts.register()
    good = registered.access_token
    real = _claims_of(good)
    now = int(time.time())
    policy = accounts.deps.tokens.policy
    base = dict(
        subject=str(real["sub"]), tenant_id=str(real["tid"]), session_id=str(real["sid"]), roles=["user"]
    )

    header, _payload, signature = good.split(".")
    tampered_payload = dict(real, roles=["super_admin"])
    tampered = ".".join(
        [
            header,
            base64.urlsafe_b64encode(json.dumps(tampered_payload).encode()).decode().rstrip("="),
            signature,
        ]
    )
    expired = _forge(accounts, new_claims(policy, type="access", now=now - 3600, **base))  # type: ignore[arg-type]
    other_audience = _forge(
        accounts,
        replace(new_claims(policy, type="access", now=now, **base), audience="elsewhere"),  # type: ignore[arg-type]
    )
    unsigned = jwt.encode(
        dict(real, exp=now + 600),
        key="",
        algorithm="none",
        headers={"kid": jwt.get_unverified_header(good)["kid"]},
    )
    stranger = SigningKey("stranger", Ed25519PrivateKey.generate())
    foreign = _forge(accounts, new_claims(policy, type="access", now=now, **base), stranger)  # type: ignore[arg-type]
    refresh_as_access = registered.refresh_token

    assert await accounts.other_service_accepts(good)
    for name, token in {
        "tampered": tampered,
        "expired": expired,
        "wrong audience": other_audience,
        "alg none": unsigned,
        "unknown key": foreign,
        "refresh token": refresh_as_access,
        "garbage": "not-a-jwt",
    }.items():
        assert not await accounts.other_service_accepts(token), name
        refused = await fails(accounts.stub.VerifyToken, auth_pb2.VerifyTokenRequest(token=token))
        assert isinstance(refused, Unauthenticated), (name, refused)


async def test_alg_hs256_signed_with_the_public_key_is_refused(accounts: Accounts) -> None:
    registered = await accounts.register()
    jwks = await accounts.stub.GetJwks(auth_pb2.GetJwksRequest())
    public_x = jwks.keys[0].x.encode()
    forged = jwt.encode(
        dict(_claims_of(registered.access_token), roles=["super_admin"]),
        key=public_x,
        algorithm="HS256",
        headers={"kid": jwks.keys[0].kid},
    )
    assert not await accounts.other_service_accepts(forged)


async def test_rotating_the_signing_key_keeps_old_tokens_valid_and_others_learn_the_new_key(
    accounts: Accounts,
) -> None:
    before = await accounts.register()
    assert await accounts.other_service_accepts(before.access_token)
    admin = await accounts.admin_token()
    rotated = await accounts.stub.RotateSigningKey(auth_pb2.RotateSigningKeyRequest(), metadata=bearer(admin))
    after = await accounts.register()
    assert jwt.get_unverified_header(after.access_token)["kid"] == rotated.key.kid
    assert jwt.get_unverified_header(before.access_token)["kid"] != rotated.key.kid
    accounts.other_verifier._last_unknown_fetch = float(
        "-inf"
    )  # a fresh process would not have fetched recently
    assert await accounts.other_service_accepts(after.access_token)
    assert await accounts.other_service_accepts(before.access_token)
    kids = {k.kid for k in (await accounts.stub.GetJwks(auth_pb2.GetJwksRequest())).keys}
    assert {rotated.key.kid, jwt.get_unverified_header(before.access_token)["kid"]} <= kids
    denied = await fails(
        accounts.stub.RotateSigningKey, auth_pb2.RotateSigningKeyRequest(), bearer(before.access_token)
    )
    assert denied.code == grpc.StatusCode.PERMISSION_DENIED


async def test_refresh_input_is_checked(accounts: Accounts) -> None:
    empty = await fails(accounts.stub.Refresh, auth_pb2.RefreshRequest())
    assert isinstance(empty, InvalidArgument) and [v.field for v in empty.violations] == ["refresh_token"]
    registered = await accounts.register()
    wrong_type = await fails(
        accounts.stub.Refresh, auth_pb2.RefreshRequest(refresh_token=registered.access_token)
    )
    assert isinstance(wrong_type, Unauthenticated)


async def test_a_disabled_users_tokens_stop_working_everywhere(accounts: Accounts) -> None:
    from chatmesh.identity.v1 import users_pb2

    victim = await accounts.register()
    admin = await accounts.admin_token()
    await accounts.stub.DisableUser(
        users_pb2.DisableUserRequest(user_id=victim.user.id), metadata=bearer(admin)
    )
    assert not await accounts.other_service_accepts(victim.access_token)
    refused = await fails(accounts.stub.Refresh, auth_pb2.RefreshRequest(refresh_token=victim.refresh_token))
    assert isinstance(refused, Unauthenticated)
    login = await fails(
        accounts.stub.Login, auth_pb2.LoginRequest(email=victim.user.email, password="Corr3ct-horse")
    )
    assert login.code == grpc.StatusCode.PERMISSION_DENIED


@pytest.mark.parametrize("sid", ["", "not-a-uuid"])
async def test_unknown_refresh_token_ids_are_refused(accounts: Accounts, sid: str) -> None:
    now = int(time.time())
    claims = new_claims(
        accounts.deps.tokens.policy,
        type="refresh",
        subject=str(uuid.uuid4()),
        tenant_id=str(uuid.uuid4()),
        session_id=sid or str(uuid.uuid4()),
        now=now,
    )
    refused = await fails(
        accounts.stub.Refresh, auth_pb2.RefreshRequest(refresh_token=_forge(accounts, claims))
    )
    assert isinstance(refused, Unauthenticated) and refused.reason == "REFRESH_TOKEN_UNKNOWN"
