"""HTTP calls to the OAuth providers: trade an authorization code for tokens and a profile.

Each provider has its own dialect. GitHub answers the token request form-encoded unless
asked for JSON and reports errors with HTTP 200; its API refuses requests without a
``User-Agent``, and the user's verified email comes from ``/user/emails``. Google is
OpenID Connect: the ``id_token`` comes straight from the token endpoint over TLS, so per
OIDC Core 3.1.3.7 its issuer, audience, expiry and nonce are checked while the signature
check is left to TLS; the profile comes from the userinfo endpoint and must name the same
``sub``. WeChat uses GET with the secret in the query string and reports errors as HTTP 200
``{"errcode", "errmsg"}``; the stable user id is ``unionid`` when the app has one, else
``openid``.

Failures map to what the caller can act on: a refused code or verifier is INVALID_ARGUMENT
(start again), refused client credentials are FAILED_PRECONDITION (an operator must fix the
configuration), a provider that cannot be reached is UNAVAILABLE.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import jwt

from identity.domain.oauth import ExternalProfile, ProviderConfig, ProviderTokens
from mesh.errors import FailedPrecondition, FieldViolation, InvalidArgument, Unavailable

__all__ = ["OAuthClients"]

log = logging.getLogger(__name__)

USER_AGENT = "chatmesh-identity"
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
_CLIENT_ERRORS = {"incorrect_client_credentials", "invalid_client", "unauthorized_client"}
_WECHAT_CLIENT_ERRORS = {40013, 40125, 41002, 41004}


class OAuthClients:
    """One pooled httpx client for every provider; created lazily, closed by ``aclose`` at shutdown."""

    def __init__(self, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._transport = transport
        self._http: httpx.AsyncClient | None = None

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(
                timeout=TIMEOUT, headers={"User-Agent": USER_AGENT}, transport=self._transport
            )
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def exchange(
        self,
        config: ProviderConfig,
        *,
        code: str,
        redirect_uri: str,
        code_verifier: str | None,
        nonce: str | None,
    ) -> tuple[ProviderTokens, ExternalProfile]:
        if config.id == "github":
            return await self._github(config, code, redirect_uri, code_verifier)
        if config.id == "google":
            return await self._google(config, code, redirect_uri, code_verifier, nonce)
        return await self._wechat(config, code)

    # ---- GitHub ----

    async def _github(
        self, config: ProviderConfig, code: str, redirect_uri: str, verifier: str | None
    ) -> tuple[ProviderTokens, ExternalProfile]:
        form = {
            "client_id": config.client_id,
            "client_secret": config.client_secret,
            "code": code,
            "redirect_uri": redirect_uri,
        }
        if verifier is not None:
            form["code_verifier"] = verifier
        body = await self._json(
            "github", "POST", config.token_url, data=form, headers={"Accept": "application/json"}
        )
        _raise_oauth_error("github", body)
        tokens = _tokens("github", body)
        auth = {"Authorization": f"Bearer {tokens.access_token}", "Accept": "application/vnd.github+json"}
        user = await self._json("github", "GET", config.userinfo_url, headers=auth)
        email = None
        if config.emails_url:
            emails = await self._json("github", "GET", config.emails_url, headers=auth, allow_missing=True)
            email = _github_primary_email(emails)
        if not isinstance(user, dict) or "id" not in user:
            raise _unavailable("github", "user profile without an id")
        return tokens, ExternalProfile(
            provider="github",
            provider_user_id=str(user["id"]),
            email=email,
            username=str(user.get("login") or ""),
            display_name=str(user.get("name") or user.get("login") or ""),
            avatar_url=user.get("avatar_url") or None,
        )

    # ---- Google ----

    async def _google(
        self, config: ProviderConfig, code: str, redirect_uri: str, verifier: str | None, nonce: str | None
    ) -> tuple[ProviderTokens, ExternalProfile]:
        form = {
            "client_id": config.client_id,
            "client_secret": config.client_secret,
            "code": code,
            "grant_type": "authorization_code",
            "redirect_uri": redirect_uri,
        }
        if verifier is not None:
            form["code_verifier"] = verifier
        body = await self._json("google", "POST", config.token_url, data=form, error_statuses=(400, 401))
        _raise_oauth_error("google", body)
        tokens = _tokens("google", body)
        claims = _google_id_token_claims(config, body.get("id_token"), nonce)
        info = await self._json(
            "google", "GET", config.userinfo_url, headers={"Authorization": f"Bearer {tokens.access_token}"}
        )
        if not isinstance(info, dict) or info.get("sub") != claims["sub"]:
            raise _unavailable("google", "userinfo does not describe the id_token's subject")
        verified = info.get("email_verified") in (True, "true")
        return tokens, ExternalProfile(
            provider="google",
            provider_user_id=str(claims["sub"]),
            email=str(info["email"]) if verified and info.get("email") else None,
            username="",
            display_name=str(info.get("name") or ""),
            avatar_url=info.get("picture") or None,
        )

    # ---- WeChat ----

    async def _wechat(self, config: ProviderConfig, code: str) -> tuple[ProviderTokens, ExternalProfile]:
        params = {
            "appid": config.client_id,
            "secret": config.client_secret,
            "code": code,
            "grant_type": "authorization_code",
        }
        body = await self._json("wechat", "GET", config.token_url, params=params)
        _raise_wechat_error(body)
        tokens = _tokens("wechat", body)
        openid = str(body.get("openid") or "")
        if not openid:
            raise _unavailable("wechat", "token response without openid")
        info = await self._json(
            "wechat",
            "GET",
            config.userinfo_url,
            params={"access_token": tokens.access_token, "openid": openid, "lang": "en"},
        )
        _raise_wechat_error(info)
        unionid = info.get("unionid") or body.get("unionid")
        return tokens, ExternalProfile(
            provider="wechat",
            provider_user_id=str(unionid or openid),
            email=None,
            username="",
            display_name=str(info.get("nickname") or ""),
            avatar_url=info.get("headimgurl") or None,
        )

    # ---- plumbing ----

    async def _json(
        self,
        provider: str,
        method: str,
        url: str,
        *,
        allow_missing: bool = False,
        error_statuses: tuple[int, ...] = (),
        **kwargs: Any,
    ) -> Any:
        """The decoded JSON body; transport failures and unexpected statuses become UNAVAILABLE."""
        try:
            response = await self.http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            log.warning("OAuth provider unreachable", extra={"provider": provider, "error": repr(exc)})
            raise _unavailable(provider, "could not be reached") from exc
        if allow_missing and response.status_code in (403, 404):
            return None
        if response.status_code == 401 and not error_statuses:
            raise FailedPrecondition(
                f"{provider} refused the access token it just issued", reason="OAUTH_PROVIDER_REFUSED"
            )
        if response.status_code >= 300 and response.status_code not in error_statuses:
            log.warning(
                "OAuth provider error",
                extra={"provider": provider, "status": response.status_code, "url": url},
            )
            raise _unavailable(provider, f"answered HTTP {response.status_code}")
        try:
            return json.loads(response.content)
        except ValueError as exc:
            raise _unavailable(provider, "answered something that is not JSON") from exc


def _unavailable(provider: str, what: str) -> Unavailable:
    return Unavailable(
        f"login with {provider} failed: the provider {what}; try again later",
        retry_after=5.0,
        reason="OAUTH_PROVIDER_UNAVAILABLE",
        metadata={"provider_id": provider},
    )


def _code_rejected(provider: str, detail: str) -> InvalidArgument:
    return InvalidArgument(
        f"{provider} refused the authorization code ({detail}); start the login again",
        violations=[FieldViolation("code", "expired, already used, or not issued for this login")],
        reason="OAUTH_CODE_REJECTED",
        metadata={"provider_id": provider},
    )


def _raise_oauth_error(provider: str, body: Any) -> None:
    """RFC 6749 section 5.2 error bodies (GitHub sends them with HTTP 200)."""
    if not isinstance(body, dict):
        raise _unavailable(provider, "answered an unexpected token response")
    error = body.get("error")
    if not error:
        return
    description = str(body.get("error_description") or error)
    if error in _CLIENT_ERRORS:
        log.error("OAuth client credentials refused", extra={"provider": provider, "error": error})
        raise FailedPrecondition(
            f"{provider} refused this deployment's client credentials; an operator must fix them",
            reason="OAUTH_CLIENT_REJECTED",
            metadata={"provider_id": provider},
        )
    raise _code_rejected(provider, f"{error}: {description}")


def _raise_wechat_error(body: Any) -> None:
    if not isinstance(body, dict):
        raise _unavailable("wechat", "answered an unexpected response")
    errcode = body.get("errcode")
    if not errcode:
        return
    if errcode in _WECHAT_CLIENT_ERRORS:
        log.error("WeChat app credentials refused", extra={"errcode": errcode})
        raise FailedPrecondition(
            "wechat refused this deployment's app id or secret; an operator must fix them",
            reason="OAUTH_CLIENT_REJECTED",
            metadata={"provider_id": "wechat", "errcode": str(errcode)},
        )
    raise _code_rejected("wechat", f"errcode {errcode}: {body.get('errmsg', '')}")


def _tokens(provider: str, body: dict[str, Any]) -> ProviderTokens:
    access_token = body.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise _unavailable(provider, "returned no access token")
    expires_in = body.get("expires_in")
    return ProviderTokens(
        access_token=access_token,
        refresh_token=body.get("refresh_token") or None,
        expires_in=int(expires_in)
        if isinstance(expires_in, int | str) and str(expires_in).isdigit()
        else None,
        scope=str(body.get("scope") or ""),
    )


def _github_primary_email(emails: Any) -> str | None:
    """The primary address if GitHub verified it; a noreply alias or unverified address is no identity."""
    if not isinstance(emails, list):
        return None
    for entry in emails:
        if isinstance(entry, dict) and entry.get("primary") and entry.get("verified") and entry.get("email"):
            return str(entry["email"])
    return None


def _google_id_token_claims(config: ProviderConfig, id_token: Any, nonce: str | None) -> dict[str, Any]:
    if not isinstance(id_token, str):
        raise _unavailable("google", "returned no id_token")
    try:
        claims: dict[str, Any] = jwt.decode(
            id_token,
            options={
                "verify_signature": False,
                "verify_aud": True,
                "verify_iss": True,
                "verify_exp": True,
                "verify_iat": True,
                "require": ["iss", "aud", "sub", "exp", "iat"],
            },
            audience=config.client_id,
            issuer=[config.spec.issuer or "", "accounts.google.com"],
            leeway=60,
        )
    except jwt.PyJWTError as exc:
        raise _unavailable("google", f"returned an unusable id_token ({exc})") from exc
    if nonce is not None and claims.get("nonce") != nonce:
        raise _code_rejected("google", "id_token nonce does not match this login")
    return claims
