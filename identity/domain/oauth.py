"""OAuth2 / OIDC login rules: the provider catalogue, ``state`` and PKCE, authorization URLs,
and how a provider profile becomes a chatmesh user.

Providers are GitHub (OAuth 2 with PKCE), Google (OpenID Connect with PKCE and a nonce) and
WeChat (website QR login, no PKCE). Their real endpoints are the defaults; settings may
override each one (tests point them at ``tests/fakes/oauth_provider.py``).
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from identity.config import OAUTH_PROVIDERS, IdentitySettings
from mesh.errors import FailedPrecondition, FieldViolation, InvalidArgument

__all__ = [
    "CATALOGUE",
    "STATE_TTL_SECONDS",
    "ExternalProfile",
    "ProviderConfig",
    "ProviderSpec",
    "ProviderTokens",
    "allowed_redirect_uris",
    "authorization_url",
    "check_redirect_uri",
    "new_nonce",
    "new_pkce_verifier",
    "new_state",
    "pkce_challenge",
    "placeholder_email",
    "provider_config",
    "require_provider_id",
    "suggested_username",
]

STATE_TTL_SECONDS = 600


@dataclass(frozen=True)
class ProviderSpec:
    """What differs between providers, with their production endpoints."""

    id: str
    authorize_url: str
    token_url: str
    userinfo_url: str
    emails_url: str | None
    scopes: tuple[str, ...]
    pkce: bool
    oidc: bool
    issuer: str | None = None


CATALOGUE: dict[str, ProviderSpec] = {
    "github": ProviderSpec(
        id="github",
        authorize_url="https://github.com/login/oauth/authorize",
        token_url="https://github.com/login/oauth/access_token",
        userinfo_url="https://api.github.com/user",
        emails_url="https://api.github.com/user/emails",
        scopes=("read:user", "user:email"),
        pkce=True,
        oidc=False,
    ),
    "google": ProviderSpec(
        id="google",
        authorize_url="https://accounts.google.com/o/oauth2/v2/auth",
        token_url="https://oauth2.googleapis.com/token",
        userinfo_url="https://openidconnect.googleapis.com/v1/userinfo",
        emails_url=None,
        scopes=("openid", "email", "profile"),
        pkce=True,
        oidc=True,
        issuer="https://accounts.google.com",
    ),
    "wechat": ProviderSpec(
        id="wechat",
        authorize_url="https://open.weixin.qq.com/connect/qrconnect",
        token_url="https://api.weixin.qq.com/sns/oauth2/access_token",
        userinfo_url="https://api.weixin.qq.com/sns/userinfo",
        emails_url=None,
        scopes=("snsapi_login",),
        pkce=False,
        oidc=False,
    ),
}
assert set(CATALOGUE) == set(OAUTH_PROVIDERS)


@dataclass(frozen=True)
class ProviderConfig:
    """A configured provider: the catalogue entry with the deployment's client and overrides."""

    spec: ProviderSpec
    client_id: str
    client_secret: str = field(repr=False)
    authorize_url: str
    token_url: str
    userinfo_url: str
    emails_url: str | None
    scopes: tuple[str, ...]

    @property
    def id(self) -> str:
        return self.spec.id


@dataclass(frozen=True)
class ProviderTokens:
    """The provider's tokens for the user (stored encrypted, never returned)."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_in: int | None = None
    scope: str = ""


@dataclass(frozen=True)
class ExternalProfile:
    """Who the provider says the user is. ``email`` is set only when the provider verified it."""

    provider: str
    provider_user_id: str
    email: str | None
    username: str
    display_name: str
    avatar_url: str | None


def require_provider_id(provider_id: str, field_name: str = "provider_id") -> str:
    provider = provider_id.strip().lower()
    if provider not in CATALOGUE:
        raise InvalidArgument(
            f"unknown OAuth provider {provider_id!r}",
            violations=[FieldViolation(field_name, f"must be one of {', '.join(OAUTH_PROVIDERS)}")],
            reason="OAUTH_PROVIDER_UNKNOWN",
        )
    return provider


def provider_config(config: IdentitySettings, provider_id: str) -> ProviderConfig:
    """The provider as configured; FAILED_PRECONDITION when this deployment has not set it up."""
    spec = CATALOGUE[require_provider_id(provider_id)]
    configured = config.oauth_providers.get(spec.id)
    if configured is None:
        raise FailedPrecondition(
            f"login with {spec.id} is not configured on this deployment",
            reason="OAUTH_PROVIDER_NOT_CONFIGURED",
            metadata={"provider_id": spec.id},
        )
    return ProviderConfig(
        spec=spec,
        client_id=configured.client_id,
        client_secret=configured.client_secret,
        authorize_url=configured.authorize_url or spec.authorize_url,
        token_url=configured.token_url or spec.token_url,
        userinfo_url=configured.userinfo_url or spec.userinfo_url,
        emails_url=configured.emails_url or spec.emails_url,
        scopes=tuple(configured.scopes) if configured.scopes else spec.scopes,
    )


def allowed_redirect_uris(config: IdentitySettings, gateway_url: str, provider_id: str) -> tuple[str, ...]:
    """Configured allow-list, or the gateway's own callback route when none is configured."""
    if config.oauth_redirect_uris:
        return tuple(config.oauth_redirect_uris)
    return (f"{gateway_url}/v1/oauth/{provider_id}:callback",)


def check_redirect_uri(
    config: IdentitySettings, gateway_url: str, provider_id: str, redirect_uri: str
) -> str:
    """Exact match against the allow-list: a prefix or pattern match is how open redirects happen."""
    allowed = allowed_redirect_uris(config, gateway_url, provider_id)
    uri = redirect_uri.strip() or (allowed[0] if len(allowed) == 1 else "")
    problem = None
    if not uri:
        problem = "is required (several redirect URIs are allowed)"
    elif urlsplit(uri).scheme not in ("http", "https") or len(uri) > 2048:
        problem = "must be an http(s) URL"
    elif uri not in allowed:
        problem = "is not on the allowed redirect URI list"
    if problem is not None:
        raise InvalidArgument(
            f"redirect_uri {problem}",
            violations=[FieldViolation("redirect_uri", problem)],
            reason="OAUTH_REDIRECT_URI_NOT_ALLOWED",
        )
    return uri


def new_state() -> str:
    return secrets.token_urlsafe(32)


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def new_pkce_verifier() -> str:
    """RFC 7636 verifier: 43-128 unreserved characters; 64 random bytes give 86."""
    return secrets.token_urlsafe(64)


def pkce_challenge(verifier: str) -> str:
    """``S256``: base64url(SHA-256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorization_url(
    config: ProviderConfig,
    *,
    redirect_uri: str,
    state: str,
    code_verifier: str | None,
    nonce: str | None,
) -> str:
    """Where the browser goes; each provider's own parameter names and order."""
    if config.id == "wechat":
        # WeChat checks the parameter order and needs the fragment to redirect properly.
        params = {
            "appid": config.client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": ",".join(config.scopes),
            "state": state,
        }
        return f"{config.authorize_url}?{urlencode(params)}#wechat_redirect"
    params = {
        "client_id": config.client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": " ".join(config.scopes),
        "state": state,
    }
    if config.spec.pkce and code_verifier is not None:
        params.update(code_challenge=pkce_challenge(code_verifier), code_challenge_method="S256")
    if config.spec.oidc and nonce is not None:
        params["nonce"] = nonce
    if config.id == "github":
        params["allow_signup"] = "true"
    return f"{config.authorize_url}?{urlencode(params)}"


_USERNAME_UNSAFE = re.compile(r"[^a-z0-9._-]+")


def suggested_username(profile: ExternalProfile) -> str:
    """A username for a user created by this login: the provider login, or a derived one."""
    base = profile.username or (profile.email or "").partition("@")[0] or profile.display_name
    cleaned = _USERNAME_UNSAFE.sub("-", base.lower()).strip("-._")[:32]
    return cleaned or f"{profile.provider}-{profile.provider_user_id}"[:40]


def placeholder_email(profile: ExternalProfile) -> str:
    """For providers that vouch for no email (WeChat): unique and undeliverable (RFC 2606 ``.invalid``)."""
    ident = re.sub(r"[^A-Za-z0-9._-]", "_", profile.provider_user_id)[:64]
    return f"{profile.provider}.{ident}@users.oauth.invalid"
