"""identity.oauth.providers against the fake provider: each provider's real wire shapes and errors."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from identity.config import IdentitySettings
from identity.domain.oauth import (
    ProviderConfig,
    authorization_url,
    new_nonce,
    new_pkce_verifier,
    provider_config,
)
from identity.oauth.providers import OAuthClients
from mesh.errors import FailedPrecondition, InvalidArgument, Unavailable
from tests.fakes.oauth_provider import Callback, FakeOAuthProvider, ProviderUser
from tests.integration.identity.flows.flows_support import (
    CALLBACK,
    GOOGLER,
    OCTOCAT,
    WECHATTER,
    provider_settings,
)


def config_for(fake: FakeOAuthProvider, provider: str, **secrets: str) -> ProviderConfig:
    settings = IdentitySettings(_env_file=None, oauth_providers=provider_settings(fake, **secrets))  # type: ignore[arg-type]
    return provider_config(settings, provider)


async def authorize(
    fake: FakeOAuthProvider,
    config: ProviderConfig,
    user: ProviderUser,
    verifier: str | None,
    nonce: str | None,
) -> Callback:
    url = authorization_url(
        config, redirect_uri=CALLBACK, state="state-1", code_verifier=verifier, nonce=nonce
    )
    callback = await fake.authorize(url, user)
    assert callback.redirect_uri == CALLBACK and callback.state == "state-1" and callback.code
    return callback


@pytest.fixture
async def clients() -> AsyncIterator[OAuthClients]:
    oauth = OAuthClients()
    yield oauth
    await oauth.aclose()


async def test_github_code_for_tokens_and_verified_primary_email(
    oauth_provider: FakeOAuthProvider, clients: OAuthClients
) -> None:
    config = config_for(oauth_provider, "github")
    verifier = new_pkce_verifier()
    callback = await authorize(oauth_provider, config, OCTOCAT, verifier, None)
    tokens, profile = await clients.exchange(
        config, code=callback.code or "", redirect_uri=CALLBACK, code_verifier=verifier, nonce=None
    )
    assert tokens.access_token.startswith("gho_")
    assert (profile.provider_user_id, profile.username, profile.email) == ("583231", "octocat", OCTOCAT.email)
    assert profile.display_name == "The Octocat"


async def test_github_unverified_email_is_not_an_identity(
    oauth_provider: FakeOAuthProvider, clients: OAuthClients
) -> None:
    user = oauth_provider.add_user(
        "github", ProviderUser(id="9", login="nv", email="nv@example.com", email_verified=False)
    )
    config = config_for(oauth_provider, "github")
    verifier = new_pkce_verifier()
    callback = await authorize(oauth_provider, config, user, verifier, None)
    _, profile = await clients.exchange(
        config, code=callback.code or "", redirect_uri=CALLBACK, code_verifier=verifier, nonce=None
    )
    assert profile.email is None


async def test_github_pkce_mismatch_and_code_reuse_are_rejected_codes(
    oauth_provider: FakeOAuthProvider, clients: OAuthClients
) -> None:
    config = config_for(oauth_provider, "github")
    callback = await authorize(oauth_provider, config, OCTOCAT, new_pkce_verifier(), None)
    with pytest.raises(InvalidArgument) as info:
        await clients.exchange(
            config,
            code=callback.code or "",
            redirect_uri=CALLBACK,
            code_verifier=new_pkce_verifier(),
            nonce=None,
        )
    assert info.value.reason == "OAUTH_CODE_REJECTED"
    assert "bad_verification_code" in info.value.message


async def test_github_wrong_client_secret_is_failed_precondition(
    oauth_provider: FakeOAuthProvider, clients: OAuthClients
) -> None:
    config = config_for(oauth_provider, "github", github="wrong")
    verifier = new_pkce_verifier()
    callback = await authorize(oauth_provider, config, OCTOCAT, verifier, None)
    with pytest.raises(FailedPrecondition) as info:
        await clients.exchange(
            config, code=callback.code or "", redirect_uri=CALLBACK, code_verifier=verifier, nonce=None
        )
    assert info.value.reason == "OAUTH_CLIENT_REJECTED"


async def test_github_token_endpoint_answers_form_encoded_without_accept_json(
    oauth_provider: FakeOAuthProvider,
) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(
            oauth_provider.endpoints("github")["token_url"], data={"client_id": "x", "client_secret": "y"}
        )
        anonymous = await http.get(
            oauth_provider.endpoints("github")["userinfo_url"], headers={"User-Agent": ""}
        )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert "error=incorrect_client_credentials" in response.text
    assert anonymous.status_code == 403


async def test_google_oidc_login_checks_id_token_and_userinfo(
    oauth_provider: FakeOAuthProvider, clients: OAuthClients
) -> None:
    config = config_for(oauth_provider, "google")
    verifier, nonce = new_pkce_verifier(), new_nonce()
    callback = await authorize(oauth_provider, config, GOOGLER, verifier, nonce)
    tokens, profile = await clients.exchange(
        config, code=callback.code or "", redirect_uri=CALLBACK, code_verifier=verifier, nonce=nonce
    )
    assert tokens.access_token.startswith("ya29.") and tokens.expires_in == 3599
    assert (profile.provider_user_id, profile.email, profile.display_name) == (
        GOOGLER.id,
        GOOGLER.email,
        "Grace Hopper",
    )


async def test_google_nonce_mismatch_is_refused(
    oauth_provider: FakeOAuthProvider, clients: OAuthClients
) -> None:
    config = config_for(oauth_provider, "google")
    verifier = new_pkce_verifier()
    callback = await authorize(oauth_provider, config, GOOGLER, verifier, new_nonce())
    with pytest.raises(InvalidArgument) as info:
        await clients.exchange(
            config, code=callback.code or "", redirect_uri=CALLBACK, code_verifier=verifier, nonce=new_nonce()
        )
    assert "nonce" in info.value.message


async def test_google_invalid_grant_and_invalid_client(
    oauth_provider: FakeOAuthProvider, clients: OAuthClients
) -> None:
    config = config_for(oauth_provider, "google")
    with pytest.raises(InvalidArgument) as info:
        await clients.exchange(config, code="nope", redirect_uri=CALLBACK, code_verifier="v" * 43, nonce=None)
    assert "invalid_grant" in info.value.message
    wrong = config_for(oauth_provider, "google", google="wrong")
    with pytest.raises(FailedPrecondition):
        await clients.exchange(wrong, code="nope", redirect_uri=CALLBACK, code_verifier=None, nonce=None)


async def test_wechat_login_uses_unionid_and_errcodes(
    oauth_provider: FakeOAuthProvider, clients: OAuthClients
) -> None:
    config = config_for(oauth_provider, "wechat")
    callback = await authorize(oauth_provider, config, WECHATTER, None, None)
    _, profile = await clients.exchange(
        config, code=callback.code or "", redirect_uri=CALLBACK, code_verifier=None, nonce=None
    )
    assert profile.provider_user_id == WECHATTER.unionid
    assert (profile.email, profile.display_name) == (None, "小明")
    with pytest.raises(InvalidArgument) as used:
        await clients.exchange(
            config, code=callback.code or "", redirect_uri=CALLBACK, code_verifier=None, nonce=None
        )
    assert "40163" in used.value.message
    wrong = config_for(oauth_provider, "wechat", wechat="wrong")
    with pytest.raises(FailedPrecondition):
        await clients.exchange(wrong, code="x", redirect_uri=CALLBACK, code_verifier=None, nonce=None)


async def test_denied_authorization_comes_back_as_error(oauth_provider: FakeOAuthProvider) -> None:
    config = config_for(oauth_provider, "github")
    url = authorization_url(
        config, redirect_uri=CALLBACK, state="s", code_verifier=new_pkce_verifier(), nonce=None
    )
    callback = await oauth_provider.authorize(url, OCTOCAT, deny=True)
    assert (callback.code, callback.error, callback.state) == (None, "access_denied", "s")


async def test_unreachable_or_broken_provider_is_unavailable(clients: OAuthClients) -> None:
    settings = IdentitySettings(
        _env_file=None,  # type: ignore[call-arg]
        oauth_providers={
            "github": {"client_id": "a", "client_secret": "b", "token_url": "http://127.0.0.1:9/x"}
        },
    )
    with pytest.raises(Unavailable) as info:
        await clients.exchange(
            provider_config(settings, "github"),
            code="c",
            redirect_uri=CALLBACK,
            code_verifier=None,
            nonce=None,
        )
    assert info.value.reason == "OAUTH_PROVIDER_UNAVAILABLE"
    broken = OAuthClients(transport=httpx.MockTransport(lambda request: httpx.Response(200, text="<html>")))
    try:
        with pytest.raises(Unavailable):
            await broken.exchange(
                provider_config(settings, "github"),
                code="c",
                redirect_uri=CALLBACK,
                code_verifier=None,
                nonce=None,
            )
    finally:
        await broken.aclose()
