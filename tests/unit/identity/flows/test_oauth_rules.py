"""Provider catalogue and configuration, redirect allow-list, PKCE, authorization URLs."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from identity.config import IdentitySettings, load_identity_settings
from identity.domain.oauth import (
    ExternalProfile,
    authorization_url,
    check_redirect_uri,
    new_pkce_verifier,
    pkce_challenge,
    placeholder_email,
    provider_config,
    require_provider_id,
    suggested_username,
)
from mesh.errors import FailedPrecondition, InvalidArgument

CALLBACK = "https://app.example/oauth/callback"
GATEWAY = "http://127.0.0.1:8080"


def make_settings(**overrides: object) -> IdentitySettings:
    providers = {
        "github": {"client_id": "gh-id", "client_secret": "gh-secret"},
        "google": {"client_id": "g-id", "client_secret": "g-secret", "token_url": "http://127.0.0.1:9/token"},
        "wechat": {"client_id": "wx-id", "client_secret": "wx-secret"},
    }
    values: dict[str, object] = {
        "oauth_providers": providers,
        "oauth_redirect_uris": [CALLBACK],
    }
    values.update(overrides)
    return load_identity_settings(_env_file=None, **values)


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_rfc7636_appendix_b_challenge() -> None:
    assert (
        pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )
    verifier = new_pkce_verifier()
    assert 43 <= len(verifier) <= 128


def test_defaults_are_the_real_endpoints_and_overrides_win() -> None:
    settings = make_settings()
    github = provider_config(settings, "GitHub")
    assert github.token_url == "https://github.com/login/oauth/access_token"
    assert github.userinfo_url == "https://api.github.com/user"
    google = provider_config(settings, "google")
    assert google.token_url == "http://127.0.0.1:9/token"
    assert google.authorize_url == "https://accounts.google.com/o/oauth2/v2/auth"
    assert "gh-secret" not in repr(github)


def test_unknown_provider_is_invalid_argument_and_unconfigured_is_failed_precondition() -> None:
    with pytest.raises(InvalidArgument) as info:
        require_provider_id("facebook")
    assert info.value.violations[0].field == "provider_id"
    with pytest.raises(FailedPrecondition) as missing:
        provider_config(make_settings(oauth_providers={}), "github")
    assert missing.value.reason == "OAUTH_PROVIDER_NOT_CONFIGURED"


def test_unknown_provider_in_settings_is_a_configuration_error() -> None:
    with pytest.raises(SystemExit):
        make_settings(oauth_providers={"myspace": {"client_id": "a", "client_secret": "b"}})


def test_redirect_uri_must_be_on_the_allow_list_exactly() -> None:
    settings = make_settings()
    assert check_redirect_uri(settings, GATEWAY, "github", CALLBACK) == CALLBACK
    assert check_redirect_uri(settings, GATEWAY, "github", "") == CALLBACK
    for bad in (CALLBACK + "/evil", "https://evil.example/oauth/callback", "javascript:alert(1)"):
        with pytest.raises(InvalidArgument) as info:
            check_redirect_uri(settings, GATEWAY, "github", bad)
        assert info.value.violations[0].field == "redirect_uri"


def test_without_an_allow_list_only_the_gateway_callback_is_allowed() -> None:
    settings = make_settings(oauth_redirect_uris=[])
    expected = f"{GATEWAY}/v1/oauth/google:callback"
    assert check_redirect_uri(settings, GATEWAY, "google", "") == expected
    with pytest.raises(InvalidArgument):
        check_redirect_uri(settings, GATEWAY, "google", CALLBACK)


def test_github_url_has_state_scopes_and_s256_challenge() -> None:
    config = provider_config(make_settings(), "github")
    url = authorization_url(config, redirect_uri=CALLBACK, state="st", code_verifier="v" * 43, nonce=None)
    assert url.startswith("https://github.com/login/oauth/authorize?")
    params = query(url)
    assert params["client_id"] == "gh-id" and params["state"] == "st" and params["redirect_uri"] == CALLBACK
    assert params["scope"] == "read:user user:email"
    assert params["code_challenge"] == pkce_challenge("v" * 43)
    assert params["code_challenge_method"] == "S256"


def test_google_url_is_oidc_with_nonce_and_pkce() -> None:
    config = provider_config(make_settings(), "google")
    params = query(
        authorization_url(config, redirect_uri=CALLBACK, state="s", code_verifier="w" * 43, nonce="n")
    )
    assert params["scope"] == "openid email profile"
    assert params["nonce"] == "n" and params["response_type"] == "code"
    assert params["code_challenge_method"] == "S256"


def test_wechat_url_has_appid_qr_scope_and_fragment_and_no_pkce() -> None:
    config = provider_config(make_settings(), "wechat")
    url = authorization_url(config, redirect_uri=CALLBACK, state="s", code_verifier=None, nonce=None)
    assert url.endswith("#wechat_redirect")
    params = query(url.partition("#")[0])
    assert list(params) == ["appid", "redirect_uri", "response_type", "scope", "state"]
    assert params["appid"] == "wx-id" and params["scope"] == "snsapi_login"


def test_usernames_and_placeholder_emails_for_new_users() -> None:
    profile = ExternalProfile("wechat", "oABC-123", None, "", "小明", None)
    assert suggested_username(profile) == "wechat-oABC-123"
    assert placeholder_email(profile) == "wechat.oABC-123@users.oauth.invalid"
    github = ExternalProfile("github", "42", "ada@example.com", "Ada.Lovelace", "Ada", None)
    assert suggested_username(github) == "ada.lovelace"
