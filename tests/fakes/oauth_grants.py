"""The authorization-server half of the fake OAuth provider: clients, users, codes, tokens.

Provider-neutral mechanics shared by the GitHub, Google and WeChat dialects in
``tests/fakes/oauth_provider.py``: the authorization step (client and redirect URI checks,
consent, PKCE challenge), single-use codes bound to client, redirect URI and challenge, and
bearer tokens.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

__all__ = [
    "CODE_TTL_SECONDS",
    "LOGIN_HEADER",
    "PROVIDERS",
    "AuthorizationServer",
    "Callback",
    "ClientRegistration",
    "Grant",
    "IssuedToken",
    "ProviderUser",
    "pkce_challenge",
]

CODE_TTL_SECONDS = 600.0
LOGIN_HEADER = "x-fake-provider-login"
PROVIDERS = ("github", "google", "wechat")


@dataclass(frozen=True)
class ProviderUser:
    """An account at the provider. ``id`` is GitHub's numeric id, Google's ``sub``, WeChat's openid."""

    id: str
    login: str = ""
    name: str = ""
    email: str | None = None
    email_verified: bool = True
    avatar_url: str = ""
    unionid: str | None = None


@dataclass(frozen=True)
class ClientRegistration:
    client_id: str
    client_secret: str
    redirect_uris: frozenset[str]


@dataclass
class Grant:
    provider: str
    client_id: str
    redirect_uri: str
    user: ProviderUser
    scope: str
    code_challenge: str | None
    code_challenge_method: str | None
    nonce: str | None
    issued: float = field(default_factory=time.monotonic)
    used: bool = False


@dataclass(frozen=True)
class IssuedToken:
    provider: str
    client_id: str
    user: ProviderUser
    scope: str


@dataclass(frozen=True)
class Callback:
    """What the provider put on the redirect back to the app."""

    redirect_uri: str
    code: str | None
    state: str | None
    error: str | None


def pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class AuthorizationServer:
    """Registered clients and users, outstanding codes and issued tokens, per provider."""

    def __init__(self) -> None:
        self.clients: dict[str, ClientRegistration] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self._grants: dict[str, Grant] = {}
        self._tokens: dict[str, IssuedToken] = {}
        self._users: dict[str, dict[str, ProviderUser]] = {p: {} for p in PROVIDERS}

    def register_client(self, provider: str, client_id: str, client_secret: str, *redirect_uris: str) -> None:
        self.clients[provider] = ClientRegistration(client_id, client_secret, frozenset(redirect_uris))

    def add_user(self, provider: str, user: ProviderUser) -> ProviderUser:
        self._users[provider][user.id] = user
        return user

    def revoke_all_tokens(self) -> None:
        """Like a user revoking the app at the provider: every access token stops working."""
        self._tokens.clear()

    def _record(self, request: Request, params: dict[str, str]) -> None:
        self.requests.append((request.method, request.url.path, params))

    def _authorize(self, provider: str, request: Request, client_key: str) -> Response:
        """Shared authorization step; an untrusted request gets an error page, not a redirect."""
        params = dict(request.query_params)
        self._record(request, params)
        client = self.clients.get(provider)
        redirect_uri = params.get("redirect_uri", "")
        if client is None or params.get(client_key) != client.client_id:
            return PlainTextResponse("Error 401: invalid_client", status_code=401)
        if redirect_uri not in client.redirect_uris:
            return PlainTextResponse("Error 400: redirect_uri_mismatch", status_code=400)
        state = params.get("state")
        extra = {} if state is None else {"state": state}
        if request.headers.get(LOGIN_HEADER + "-deny"):
            if provider == "wechat":  # WeChat drops the code and keeps only the state
                return _redirect(redirect_uri, extra)
            return _redirect(redirect_uri, {"error": "access_denied", **extra})
        user = self._users[provider].get(request.headers.get(LOGIN_HEADER, ""))
        if user is None:
            return PlainTextResponse("sign in first", status_code=401)
        challenge, method = params.get("code_challenge"), params.get("code_challenge_method")
        if challenge is not None and method != "S256":
            return _redirect(redirect_uri, {"error": "invalid_request", **extra})
        code = secrets.token_urlsafe(15)
        self._grants[code] = Grant(
            provider,
            client.client_id,
            redirect_uri,
            user,
            params.get("scope", ""),
            challenge,
            method,
            params.get("nonce"),
        )
        return _redirect(redirect_uri, {"code": code, **extra})

    def _redeem(self, provider: str, code: str, client_id: str, redirect_uri: str | None) -> Grant | str:
        """The grant for ``code``, or the reason it cannot be redeemed (used codes are burnt on first use)."""
        grant = self._grants.get(code)
        if grant is None or grant.provider != provider or grant.client_id != client_id:
            return "bad_code"
        if grant.used:
            return "used"
        grant.used = True
        if time.monotonic() - grant.issued > CODE_TTL_SECONDS:
            return "bad_code"
        if redirect_uri is not None and redirect_uri != grant.redirect_uri:
            return "redirect_uri_mismatch"
        return grant

    def _pkce_ok(self, grant: Grant, verifier: str | None) -> bool:
        if grant.code_challenge is None:
            return verifier is None
        return verifier is not None and secrets.compare_digest(pkce_challenge(verifier), grant.code_challenge)

    def _issue(self, provider: str, grant: Grant) -> str:
        prefix = {"github": "gho_", "google": "ya29.", "wechat": ""}[provider]
        token = prefix + secrets.token_urlsafe(27)
        self._tokens[token] = IssuedToken(provider, grant.client_id, grant.user, grant.scope)
        return token

    def _bearer(self, provider: str, request: Request) -> IssuedToken | None:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() not in ("bearer", "token"):
            return None
        token = self._tokens.get(value.strip())
        return token if token is not None and token.provider == provider else None


def _redirect(redirect_uri: str, params: dict[str, str]) -> Response:
    separator = "&" if urlsplit(redirect_uri).query else "?"
    return RedirectResponse(redirect_uri + separator + urlencode(params), status_code=302)
