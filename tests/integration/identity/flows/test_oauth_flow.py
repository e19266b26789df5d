"""OAuth login and linking end to end: identity's servicer against the fake GitHub, Google and WeChat."""

from __future__ import annotations

import uuid
from typing import TypeAlias, cast
from urllib.parse import parse_qs, urlsplit

import pytest
from chatmesh.identity.v1 import mfa_pb2, oauth_pb2
from sqlalchemy import text

from mesh.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unauthenticated,
)
from tests.fakes.oauth_provider import FakeOAuthProvider, ProviderUser
from tests.integration.identity.flows.flows_support import (
    CALLBACK,
    PASSWORD,
    Flows,
    bearer,
    fails,
    fields_of,
    totp_code,
    unique_email,
)

Intent: TypeAlias = oauth_pb2.ExternalLoginIntent
LINK: Intent = oauth_pb2.EXTERNAL_LOGIN_INTENT_LINK
LOGIN: Intent = oauth_pb2.EXTERNAL_LOGIN_INTENT_LOGIN
UNKNOWN_INTENT = cast(Intent, 7)


def new_user(provider: str, *, email: str | None = None) -> ProviderUser:
    ident = str(uuid.uuid4().int % 10**9) if provider == "github" else uuid.uuid4().hex
    return ProviderUser(
        id=ident,
        login=f"user{ident[:6]}",
        name=f"Person {ident[:4]}",
        email=email if provider != "wechat" else None,
        unionid=f"u{ident}" if provider == "wechat" else None,
    )


async def start(
    flows: Flows, provider: str, token: str | None = None, intent: Intent = LOGIN
) -> oauth_pb2.StartOAuthResponse:
    request = oauth_pb2.StartOAuthRequest(provider_id=provider, redirect_uri=CALLBACK, intent=intent)
    response: oauth_pb2.StartOAuthResponse = await flows.stub.StartOAuth(
        request, metadata=bearer(token) if token else None, timeout=10
    )
    return response


async def run_login(
    flows: Flows,
    fake: FakeOAuthProvider,
    provider: str,
    user: ProviderUser,
    token: str | None = None,
    intent: Intent = LOGIN,
) -> oauth_pb2.CompleteOAuthResponse:
    started = await start(flows, provider, token, intent)
    callback = await fake.authorize(started.authorization_url, user)
    assert callback.state == started.state
    response: oauth_pb2.CompleteOAuthResponse = await flows.stub.CompleteOAuth(
        oauth_pb2.CompleteOAuthRequest(
            provider_id=provider, code=callback.code or "", state=callback.state or ""
        ),
        metadata=bearer(token) if token else None,
        timeout=10,
    )
    return response


@pytest.mark.parametrize("provider", ["github", "google", "wechat"])
async def test_first_login_creates_the_user_and_the_second_finds_it(
    flows: Flows, flows_provider: FakeOAuthProvider, provider: str
) -> None:
    email = unique_email()
    user = flows_provider.add_user(provider, new_user(provider, email=email))
    first = await run_login(flows, flows_provider, provider, user)
    assert first.user_created and first.access_token and first.refresh_token and first.token_type == "Bearer"
    assert not first.mfa_required
    link = first.linked_account
    assert link.provider_id == provider and link.user_id == first.user.id
    assert link.provider_user_id == (user.unionid if provider == "wechat" else user.id)
    if provider == "wechat":
        assert first.user.email.endswith(".invalid") and not first.user.email_verified
    else:
        assert first.user.email == email and first.user.email_verified
    claims = await flows.deps.verifier.verify_claims(first.access_token)
    assert claims.subject == first.user.id and "user" in claims.roles

    second = await run_login(flows, flows_provider, provider, user)
    assert not second.user_created and second.user.id == first.user.id
    assert second.linked_account.id == link.id
    listed = await flows.stub.ListLinkedAccounts(
        oauth_pb2.ListLinkedAccountsRequest(user_id="me"), metadata=bearer(second.access_token), timeout=10
    )
    assert [a.id for a in listed.linked_accounts] == [link.id]
    actions = await flows.audit_actions(first.user.id)
    assert ("user.register", "success") in actions and actions.count(("auth.login", "success")) == 2


async def test_authorization_url_carries_state_and_pkce_where_supported(flows: Flows) -> None:
    for provider, pkce in (("github", True), ("google", True), ("wechat", False)):
        started = await start(flows, provider)
        url = started.authorization_url.partition("#")[0]
        params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        assert params["state"] == started.state and params["redirect_uri"] == CALLBACK
        assert ("code_challenge" in params) is pkce
        assert params.get("code_challenge_method") == ("S256" if pkce else None)
        assert started.expire_time.seconds > 0


async def test_provider_tokens_are_stored_encrypted(flows: Flows, flows_provider: FakeOAuthProvider) -> None:
    user = flows_provider.add_user("github", new_user("github", email=unique_email()))
    done = await run_login(flows, flows_provider, "github", user)
    async with flows.engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT access_token_encrypted FROM identity.oauth_links WHERE id = :id"),
                {"id": done.linked_account.id},
            )
        ).one()
    sealed = bytes(row[0])
    assert b"gho_" not in sealed
    assert flows.deps.secrets.decrypt(sealed, b"identity.oauth_link_token").startswith(b"gho_")


async def test_state_mismatch_reuse_and_wrong_provider_are_refused(
    flows: Flows, flows_provider: FakeOAuthProvider
) -> None:
    user = flows_provider.add_user("github", new_user("github", email=unique_email()))
    before = await flows.row_counts()
    started = await start(flows, "github")
    callback = await flows_provider.authorize(started.authorization_url, user)
    forged = await fails(
        flows.stub.CompleteOAuth,
        oauth_pb2.CompleteOAuthRequest(provider_id="github", code=callback.code or "", state="forged-state"),
    )
    assert isinstance(forged, InvalidArgument) and forged.reason == "OAUTH_STATE_INVALID"
    assert fields_of(forged) == ["state"]
    wrong_provider = await fails(
        flows.stub.CompleteOAuth,
        oauth_pb2.CompleteOAuthRequest(provider_id="google", code=callback.code or "", state=started.state),
    )
    assert isinstance(wrong_provider, InvalidArgument) and wrong_provider.reason == "OAUTH_STATE_INVALID"
    burnt = await fails(
        flows.stub.CompleteOAuth,
        oauth_pb2.CompleteOAuthRequest(provider_id="github", code=callback.code or "", state=started.state),
    )
    assert isinstance(burnt, InvalidArgument) and burnt.reason == "OAUTH_STATE_INVALID", (
        "a state is single use"
    )
    assert await flows.row_counts() == before

    fresh = await start(flows, "github")
    good = await flows_provider.authorize(fresh.authorization_url, user)
    request = oauth_pb2.CompleteOAuthRequest(provider_id="github", code=good.code or "", state=fresh.state)
    assert (await flows.stub.CompleteOAuth(request, timeout=10)).access_token
    replayed = await fails(flows.stub.CompleteOAuth, request)
    assert isinstance(replayed, InvalidArgument) and replayed.reason == "OAUTH_STATE_INVALID"


@pytest.mark.parametrize("provider", ["github", "google"])
async def test_pkce_mismatch_is_refused_by_the_provider(
    flows: Flows, flows_provider: FakeOAuthProvider, provider: str
) -> None:
    """A code obtained in one login, injected into another: the other login's verifier does not match."""
    user = flows_provider.add_user(provider, new_user(provider, email=unique_email()))
    before = await flows.row_counts()
    victim, attacker = await start(flows, provider), await start(flows, provider)
    stolen = await flows_provider.authorize(victim.authorization_url, user)
    refused = await fails(
        flows.stub.CompleteOAuth,
        oauth_pb2.CompleteOAuthRequest(provider_id=provider, code=stolen.code or "", state=attacker.state),
    )
    assert isinstance(refused, InvalidArgument) and refused.reason == "OAUTH_CODE_REJECTED"
    assert fields_of(refused) == ["code"]
    assert await flows.row_counts() == before


async def test_denied_authorization_is_permission_denied(
    flows: Flows, flows_provider: FakeOAuthProvider
) -> None:
    started = await start(flows, "github")
    callback = await flows_provider.authorize(started.authorization_url, None, deny=True)
    denied = await fails(
        flows.stub.CompleteOAuth,
        oauth_pb2.CompleteOAuthRequest(
            provider_id="github", error=callback.error or "", state=callback.state or ""
        ),
    )
    assert isinstance(denied, PermissionDenied) and denied.reason == "OAUTH_ACCESS_DENIED"


async def test_existing_email_is_not_taken_over_but_can_be_linked(
    flows: Flows, flows_provider: FakeOAuthProvider
) -> None:
    email = unique_email()
    account = await flows.register(email)
    user = flows_provider.add_user("google", new_user("google", email=email))
    before = await flows.row_counts()
    taken = await fails(
        flows.stub.CompleteOAuth, await _callback_request(flows, flows_provider, "google", user)
    )
    assert isinstance(taken, AlreadyExists) and taken.reason == "OAUTH_EMAIL_TAKEN"
    assert await flows.row_counts() == before

    unauthenticated = await fails(
        flows.stub.StartOAuth,
        oauth_pb2.StartOAuthRequest(provider_id="google", redirect_uri=CALLBACK, intent=LINK),
    )
    assert isinstance(unauthenticated, Unauthenticated)
    linked = await run_login(flows, flows_provider, "google", user, account.access_token, LINK)
    assert linked.user.id == account.user.id and not linked.access_token
    assert linked.linked_account.provider_email == email
    login = await run_login(flows, flows_provider, "google", user)
    assert login.user.id == account.user.id and not login.user_created
    assert ("oauth.link", "success") in await flows.audit_actions(account.user.id)

    stranger = await flows.register()
    elsewhere = await fails(
        flows.stub.CompleteOAuth,
        await _callback_request(flows, flows_provider, "google", user, stranger.access_token),
    )
    assert isinstance(elsewhere, AlreadyExists) and elsewhere.reason == "OAUTH_ACCOUNT_LINKED"


async def _callback_request(
    flows: Flows, fake: FakeOAuthProvider, provider: str, user: ProviderUser, token: str | None = None
) -> oauth_pb2.CompleteOAuthRequest:
    started = await start(flows, provider, token, LINK if token else LOGIN)
    callback = await fake.authorize(started.authorization_url, user)
    return oauth_pb2.CompleteOAuthRequest(
        provider_id=provider, code=callback.code or "", state=callback.state or ""
    )


async def test_unlinking_the_only_login_method_is_refused(
    flows: Flows, flows_provider: FakeOAuthProvider
) -> None:
    oauth_only = await run_login(
        flows, flows_provider, "wechat", flows_provider.add_user("wechat", new_user("wechat"))
    )
    token = oauth_only.access_token
    last = await fails(
        flows.stub.UnlinkAccount,
        oauth_pb2.UnlinkAccountRequest(user_id="me", linked_account_id=oauth_only.linked_account.id),
        bearer(token),
    )
    assert isinstance(last, FailedPrecondition) and last.reason == "LAST_LOGIN_METHOD"

    account = await flows.register()
    github = flows_provider.add_user("github", new_user("github", email=unique_email()))
    linked = await run_login(flows, flows_provider, "github", github, account.access_token, LINK)
    request = oauth_pb2.UnlinkAccountRequest(
        user_id=account.user.id, linked_account_id=linked.linked_account.id
    )
    someone = await fails(flows.stub.UnlinkAccount, request, bearer(token))
    assert isinstance(someone, PermissionDenied)
    await flows.stub.UnlinkAccount(request, metadata=bearer(account.access_token), timeout=10)
    listed = await flows.stub.ListLinkedAccounts(
        oauth_pb2.ListLinkedAccountsRequest(user_id="me"), metadata=bearer(account.access_token), timeout=10
    )
    assert not listed.linked_accounts
    gone = await fails(flows.stub.UnlinkAccount, request, bearer(account.access_token))
    assert isinstance(gone, NotFound)
    assert ("oauth.unlink", "success") in await flows.audit_actions(account.user.id)
    fresh = await run_login(flows, flows_provider, "github", github)
    assert fresh.user_created and fresh.user.id != account.user.id, (
        "the unlinked account no longer logs in there"
    )


async def test_oauth_login_with_totp_needs_the_second_step(
    flows: Flows, flows_provider: FakeOAuthProvider
) -> None:
    user = flows_provider.add_user("github", new_user("github", email=unique_email()))
    first = await run_login(flows, flows_provider, "github", user)
    secret, _ = await flows.enable_totp(first.access_token)
    login = await run_login(flows, flows_provider, "github", user)
    assert login.mfa_required and login.mfa_token and not login.access_token and login.user.mfa_enabled
    done = await flows.stub.CompleteMfaLogin(
        mfa_pb2.CompleteMfaLoginRequest(mfa_token=login.mfa_token, totp_code=totp_code(secret, 1)), timeout=10
    )
    assert done.access_token and done.user.id == first.user.id


async def test_bad_input_is_invalid_argument_with_fields_and_writes_nothing(flows: Flows) -> None:
    account = await flows.register(password=PASSWORD)
    other_tenant = await flows.register_in_new_tenant()
    before = await flows.row_counts()
    cases = [
        (flows.stub.StartOAuth, oauth_pb2.StartOAuthRequest(provider_id="myspace"), ["provider_id"]),
        (
            flows.stub.StartOAuth,
            oauth_pb2.StartOAuthRequest(provider_id="github", redirect_uri="https://evil.example/cb"),
            ["redirect_uri"],
        ),
        (
            flows.stub.StartOAuth,
            oauth_pb2.StartOAuthRequest(provider_id="github", intent=UNKNOWN_INTENT),
            ["intent"],
        ),
        (flows.stub.CompleteOAuth, oauth_pb2.CompleteOAuthRequest(), ["provider_id", "state", "code"]),
        (
            flows.stub.CompleteOAuth,
            oauth_pb2.CompleteOAuthRequest(provider_id="x", code="c", state="s"),
            ["provider_id"],
        ),
        (
            flows.stub.UnlinkAccount,
            oauth_pb2.UnlinkAccountRequest(user_id="me", linked_account_id="nope"),
            ["linked_account_id"],
        ),
        (
            flows.stub.ListLinkedAccounts,
            oauth_pb2.ListLinkedAccountsRequest(user_id="me", page_size=-1),
            ["page_size"],
        ),
        (
            flows.stub.ListLinkedAccounts,
            oauth_pb2.ListLinkedAccountsRequest(user_id="me", page_token="!!"),
            ["page_token"],
        ),
    ]
    for call, request, fields in cases:
        error = await fails(call, request, bearer(account.access_token))
        assert isinstance(error, InvalidArgument), (request, error)
        assert fields_of(error) == fields, (request, fields_of(error))
    hidden = await fails(
        flows.stub.ListLinkedAccounts,
        oauth_pb2.ListLinkedAccountsRequest(user_id=account.user.id),
        bearer(other_tenant.access_token),
    )
    assert isinstance(hidden, NotFound)
    anonymous = await fails(flows.stub.ListLinkedAccounts, oauth_pb2.ListLinkedAccountsRequest(user_id="me"))
    assert isinstance(anonymous, Unauthenticated)
    assert await flows.row_counts() == before
