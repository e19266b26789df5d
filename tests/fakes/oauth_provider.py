"""A test OAuth2/OIDC provider speaking GitHub's, Google's and WeChat's real wire shapes.

One Starlette app on uvicorn (loopback, port 0) serves all three under the paths the real
providers use, so identity's HTTP clients run unchanged with only the endpoint URLs pointed here:

- GitHub: ``GET /login/oauth/authorize``, ``POST /login/oauth/access_token`` (form-encoded
  answer unless ``Accept: application/json``; errors as HTTP 200 ``{error, error_description,
  error_uri}``), ``GET /user`` and ``GET /user/emails`` (``401 {"message": "Bad credentials"}``;
  a request without ``User-Agent`` gets 403 as on api.github.com).
- Google: ``GET /o/oauth2/v2/auth``, ``POST /token`` (``400 {"error": "invalid_grant"}``,
  ``401 {"error": "invalid_client"}``; an RS256 ``id_token`` with iss/aud/sub/nonce),
  ``GET /v1/userinfo``, ``GET /oauth2/v3/certs``.
- WeChat: ``GET /connect/qrconnect``, ``GET /sns/oauth2/access_token`` and ``GET /sns/userinfo``,
  errors as HTTP 200 ``{"errcode": 40029, "errmsg": "invalid code, rid: ..."}``.

Authorization codes are single use and bound to client, redirect URI and PKCE challenge (S256),
and expire after ten minutes as GitHub's do (``tests/fakes/oauth_grants.py``). The test plays
the browser: :meth:`FakeOAuthProvider.authorize` opens the authorization URL "logged in" as a
:class:`ProviderUser` and returns what the provider appended to the redirect.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from tests.fakes.loopback import LoopbackServer
from tests.fakes.oauth_grants import (
    LOGIN_HEADER,
    AuthorizationServer,
    Callback,
    Grant,
    IssuedToken,
    ProviderUser,
    pkce_challenge,
)

__all__ = ["Callback", "FakeOAuthProvider", "ProviderUser", "pkce_challenge"]

GOOGLE_ISSUER = "https://accounts.google.com"
GOOGLE_KID = "fake-google-key-1"


class FakeOAuthProvider(AuthorizationServer):
    """All three providers on one loopback server; register clients and users, then :meth:`start`."""

    def __init__(self) -> None:
        super().__init__()
        self._google_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._http = LoopbackServer()
        self.base_url = ""

    # ---- setup ----

    def endpoints(self, provider: str) -> dict[str, str]:
        """Endpoint overrides for ``settings.oauth_providers[provider]``."""
        base = self.base_url
        return {
            "github": {
                "authorize_url": f"{base}/login/oauth/authorize",
                "token_url": f"{base}/login/oauth/access_token",
                "userinfo_url": f"{base}/user",
                "emails_url": f"{base}/user/emails",
            },
            "google": {
                "authorize_url": f"{base}/o/oauth2/v2/auth",
                "token_url": f"{base}/token",
                "userinfo_url": f"{base}/v1/userinfo",
            },
            "wechat": {
                "authorize_url": f"{base}/connect/qrconnect",
                "token_url": f"{base}/sns/oauth2/access_token",
                "userinfo_url": f"{base}/sns/userinfo",
            },
        }[provider]

    # ---- lifecycle ----

    async def start(self) -> str:
        self.base_url = await self._http.start(self.app(), "fake OAuth provider")
        return self.base_url

    async def stop(self) -> None:
        await self._http.stop(force=False)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[FakeOAuthProvider]:
        await self.start()
        try:
            yield self
        finally:
            await self.stop()

    # ---- the browser ----

    async def authorize(
        self, authorization_url: str, user: ProviderUser | None, *, deny: bool = False
    ) -> Callback:
        """Open the authorization URL as ``user`` and approve (or deny); returns the redirect's parameters."""
        headers = {} if user is None else {LOGIN_HEADER: user.id}
        if deny:
            headers[LOGIN_HEADER + "-deny"] = "1"
        async with httpx.AsyncClient(follow_redirects=False) as client:
            response = await client.get(authorization_url, headers=headers)
        if response.status_code != 302:
            raise AssertionError(
                f"provider refused the authorization: {response.status_code} {response.text}"
            )
        location = urlsplit(response.headers["location"])
        params = {k: v[0] for k, v in parse_qs(location.query).items()}
        target = f"{location.scheme}://{location.netloc}{location.path}"
        return Callback(target, params.get("code"), params.get("state"), params.get("error"))

    # ---- the app ----

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/login/oauth/authorize", self._authorize_github),
                Route("/login/oauth/access_token", self._github_token, methods=["POST"]),
                Route("/user", self._github_user),
                Route("/user/emails", self._github_emails),
                Route("/o/oauth2/v2/auth", self._authorize_google),
                Route("/token", self._google_token, methods=["POST"]),
                Route("/v1/userinfo", self._google_userinfo),
                Route("/oauth2/v3/certs", self._google_certs),
                Route("/connect/qrconnect", self._authorize_wechat),
                Route("/sns/oauth2/access_token", self._wechat_token),
                Route("/sns/userinfo", self._wechat_userinfo),
            ]
        )

    # ---- GitHub ----

    async def _authorize_github(self, request: Request) -> Response:
        return self._authorize("github", request, "client_id")

    async def _github_token(self, request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        self._record(request, form)
        wants_json = "application/json" in request.headers.get("accept", "")
        client = self.clients.get("github")
        if client is None or (form.get("client_id"), form.get("client_secret")) != (
            client.client_id,
            client.client_secret,
        ):
            return _github_error(
                "incorrect_client_credentials",
                "The client_id and/or client_secret passed are incorrect.",
                wants_json,
            )
        grant = self._redeem("github", form.get("code", ""), client.client_id, form.get("redirect_uri"))
        if grant == "redirect_uri_mismatch":
            return _github_error(
                "redirect_uri_mismatch",
                "The redirect_uri MUST match the registered callback URL for this application.",
                wants_json,
            )
        if isinstance(grant, str) or not self._pkce_ok(grant, form.get("code_verifier")):
            return _github_error(
                "bad_verification_code", "The code passed is incorrect or expired.", wants_json
            )
        body = {
            "access_token": self._issue("github", grant),
            "token_type": "bearer",
            "scope": grant.scope.replace(" ", ","),
        }
        if wants_json:
            return JSONResponse(body)
        return Response(urlencode(body), media_type="application/x-www-form-urlencoded")

    def _github_api_auth(self, request: Request) -> IssuedToken | Response:
        self._record(request, {})
        if not request.headers.get("user-agent"):
            return PlainTextResponse(
                "Request forbidden by administrative rules. "
                "Please make sure your request has a User-Agent header",
                status_code=403,
            )
        token = self._bearer("github", request)
        if token is None:
            return JSONResponse(
                {
                    "message": "Bad credentials",
                    "documentation_url": "https://docs.github.com/rest",
                    "status": "401",
                },
                status_code=401,
            )
        return token

    async def _github_user(self, request: Request) -> Response:
        token = self._github_api_auth(request)
        if isinstance(token, Response):
            return token
        user = token.user
        return JSONResponse(
            {
                "login": user.login,
                "id": int(user.id),
                "node_id": base64.b64encode(f"04:User{user.id}".encode()).decode(),
                "avatar_url": user.avatar_url,
                "html_url": f"https://github.com/{user.login}",
                "type": "User",
                "site_admin": False,
                "name": user.name or None,
                "company": None,
                "blog": "",
                "location": None,
                "email": user.email if user.email_verified else None,
                "bio": None,
                "public_repos": 2,
                "followers": 0,
                "following": 0,
                "created_at": "2011-01-25T18:44:36Z",
                "updated_at": "2024-01-01T00:00:00Z",
            }
        )

    async def _github_emails(self, request: Request) -> Response:
        token = self._github_api_auth(request)
        if isinstance(token, Response):
            return token
        if "user:email" not in token.scope.replace(",", " ").split():
            return JSONResponse(
                {
                    "message": "Not Found",
                    "documentation_url": "https://docs.github.com/rest",
                    "status": "404",
                },
                status_code=404,
            )
        user = token.user
        emails = [
            {
                "email": f"{user.id}+{user.login}@users.noreply.github.com",
                "primary": False,
                "verified": True,
                "visibility": None,
            }
        ]
        if user.email:
            emails.insert(
                0,
                {
                    "email": user.email,
                    "primary": True,
                    "verified": user.email_verified,
                    "visibility": "private",
                },
            )
        return JSONResponse(emails)

    # ---- Google ----

    async def _authorize_google(self, request: Request) -> Response:
        if (
            request.query_params.get("response_type") != "code"
            or "openid" not in request.query_params.get("scope", "").split()
        ):
            return PlainTextResponse("Error 400: invalid_request", status_code=400)
        return self._authorize("google", request, "client_id")

    async def _google_token(self, request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        self._record(request, form)
        client = self.clients.get("google")
        if client is None or (form.get("client_id"), form.get("client_secret")) != (
            client.client_id,
            client.client_secret,
        ):
            return JSONResponse(
                {"error": "invalid_client", "error_description": "Unauthorized"}, status_code=401
            )
        if form.get("grant_type") != "authorization_code":
            return JSONResponse(
                {
                    "error": "unsupported_grant_type",
                    "error_description": "Invalid grant_type: " + form.get("grant_type", ""),
                },
                status_code=400,
            )
        grant = self._redeem("google", form.get("code", ""), client.client_id, form.get("redirect_uri", ""))
        if grant == "redirect_uri_mismatch":
            return JSONResponse(
                {"error": "redirect_uri_mismatch", "error_description": "Bad Request"}, status_code=400
            )
        if isinstance(grant, str):
            return JSONResponse(
                {"error": "invalid_grant", "error_description": "Bad Request"}, status_code=400
            )
        if not self._pkce_ok(grant, form.get("code_verifier")):
            return JSONResponse(
                {"error": "invalid_grant", "error_description": "Invalid code verifier."}, status_code=400
            )
        access_token = self._issue("google", grant)
        return JSONResponse(
            {
                "access_token": access_token,
                "expires_in": 3599,
                "scope": grant.scope,
                "token_type": "Bearer",
                "id_token": self._id_token(grant, access_token),
            }
        )

    def _id_token(self, grant: Grant, access_token: str) -> str:
        now = int(time.time())
        digest = hashlib.sha256(access_token.encode()).digest()
        claims: dict[str, Any] = {
            "iss": GOOGLE_ISSUER,
            "azp": grant.client_id,
            "aud": grant.client_id,
            "sub": grant.user.id,
            "at_hash": base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode(),
            "iat": now,
            "exp": now + 3600,
        }
        if grant.user.email:
            claims.update(email=grant.user.email, email_verified=grant.user.email_verified)
        if grant.user.name:
            claims.update(name=grant.user.name, picture=grant.user.avatar_url)
        if grant.nonce:
            claims["nonce"] = grant.nonce
        return jwt.encode(claims, self._google_key, algorithm="RS256", headers={"kid": GOOGLE_KID})

    async def _google_userinfo(self, request: Request) -> Response:
        self._record(request, {})
        token = self._bearer("google", request)
        if token is None:
            return JSONResponse(
                {"error": "invalid_request", "error_description": "Invalid Credentials"},
                status_code=401,
                headers={
                    "WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"'
                },
            )
        user = token.user
        body: dict[str, Any] = {"sub": user.id}
        if user.name:
            body.update(name=user.name, given_name=user.name.split()[0], picture=user.avatar_url)
        if user.email:
            body.update(email=user.email, email_verified=user.email_verified)
        return JSONResponse(body)

    async def _google_certs(self, request: Request) -> Response:
        jwk = json.loads(RSAAlgorithm.to_jwk(self._google_key.public_key()))
        jwk.update(kid=GOOGLE_KID, alg="RS256", use="sig")
        return JSONResponse({"keys": [jwk]})

    # ---- WeChat ----

    async def _authorize_wechat(self, request: Request) -> Response:
        if request.query_params.get("scope") != "snsapi_login":
            return PlainTextResponse("Scope 参数错误或没有 Scope 权限", status_code=200)
        return self._authorize("wechat", request, "appid")

    async def _wechat_token(self, request: Request) -> Response:
        params = dict(request.query_params)
        self._record(request, params)
        client = self.clients.get("wechat")
        if client is None or params.get("appid") != client.client_id:
            return _wechat_error(40013, "invalid appid")
        if params.get("secret") != client.client_secret:
            return _wechat_error(40125, "invalid appsecret")
        if params.get("grant_type") != "authorization_code":
            return _wechat_error(40002, "invalid grant_type")
        grant = self._redeem("wechat", params.get("code", ""), client.client_id, None)
        if grant == "used":
            return _wechat_error(40163, "code been used")
        if isinstance(grant, str):
            return _wechat_error(40029, "invalid code")
        body: dict[str, Any] = {
            "access_token": self._issue("wechat", grant),
            "expires_in": 7200,
            "refresh_token": secrets.token_urlsafe(27),
            "openid": grant.user.id,
            "scope": grant.scope,
        }
        if grant.user.unionid:
            body["unionid"] = grant.user.unionid
        return _wechat_json(body)

    async def _wechat_userinfo(self, request: Request) -> Response:
        params = dict(request.query_params)
        self._record(request, params)
        token = self._tokens.get(params.get("access_token", ""))
        if token is None or token.provider != "wechat":
            return _wechat_error(40001, "invalid credential, access_token is invalid or not latest")
        if params.get("openid") != token.user.id:
            return _wechat_error(40003, "invalid openid")
        user = token.user
        body: dict[str, Any] = {
            "openid": user.id,
            "nickname": user.name or user.login,
            "sex": 0,
            "province": "",
            "city": "",
            "country": "CN",
            "headimgurl": user.avatar_url,
            "privilege": [],
        }
        if user.unionid:
            body["unionid"] = user.unionid
        return _wechat_json(body)


def _github_error(error: str, description: str, wants_json: bool) -> Response:
    """GitHub answers token errors with HTTP 200 and the error in the body."""
    anchor = error.replace("_", "-")
    body = {
        "error": error,
        "error_description": description,
        "error_uri": f"https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#{anchor}",
    }
    if wants_json:
        return JSONResponse(body)
    return Response(urlencode(body), media_type="application/x-www-form-urlencoded")


def _wechat_json(body: dict[str, Any]) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), media_type="text/plain")


def _wechat_error(errcode: int, errmsg: str) -> Response:
    """WeChat reports failures as HTTP 200 with ``errcode``/``errmsg`` (plus a request id)."""
    return _wechat_json(
        {"errcode": errcode, "errmsg": f"{errmsg}, rid: {secrets.token_hex(4)}-{secrets.token_hex(4)}"}
    )
