"""Twilio's and Alibaba Cloud's SMS APIs as loopback fakes that check what the real ones check.

- Twilio: ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``, form-encoded To/From/Body,
  HTTP Basic with the Account SID and Auth Token (401 + code 20003 otherwise), E.164 ``To``
  (400 + code 21211 otherwise); answers 201 with the Message resource (``sid`` "SM…").
- Alibaba Cloud ``SendSms`` (RPC style, version 2017-05-25): the common parameters, a fresh
  SignatureNonce, a UTC ISO 8601 Timestamp, and ``Signature`` = base64 HMAC-SHA1 over
  ``POST&%2F&`` + the percent-encoded canonical query, keyed with ``secret + "&"``; computed
  here independently of the client's code. Answers ``{"Code": "OK", "BizId": …}``, or
  ``SignatureDoesNotMatch`` / ``InvalidAccessKeyId.NotFound`` / ``SignatureNonceUsed``.

``fail_with`` makes the next N requests answer with an HTTP status (500, 429) instead.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

__all__ = ["FakeAliyunSms", "FakeTwilio"]

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


@dataclass
class _Failures:
    status: int = 0
    count: int = 0

    def next(self) -> int:
        if self.count > 0:
            self.count -= 1
            return self.status
        return 0


@dataclass
class FakeTwilio:
    account_sid: str = "AC" + "0" * 32
    auth_token: str = "twilio-token"
    sent: list[dict[str, str]] = field(default_factory=list)
    failures: _Failures = field(default_factory=_Failures)
    requests: int = 0

    def fail_with(self, status: int, count: int) -> None:
        self.failures = _Failures(status, count)

    def app(self) -> Starlette:
        return Starlette(
            routes=[Route("/2010-04-01/Accounts/{sid}/Messages.json", self._create, methods=["POST"])]
        )

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if not header.startswith("Basic "):
            return False
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        sid_ok = (
            hmac.compare_digest(user, self.account_sid) and request.path_params["sid"] == self.account_sid
        )
        return sid_ok and hmac.compare_digest(password, self.auth_token)

    async def _create(self, request: Request) -> JSONResponse:
        self.requests += 1
        status = self.failures.next()
        if status == 429:
            body = {"code": 20429, "message": "Too Many Requests", "status": 429}
            return JSONResponse(body, status_code=429, headers={"Retry-After": "60"})
        if status:
            return JSONResponse(
                {"code": 20500, "message": "fake failure", "status": status}, status_code=status
            )
        if not self._authorized(request):
            return JSONResponse({"code": 20003, "message": "Authenticate", "status": 401}, status_code=401)
        form = {k: str(v) for k, v in (await request.form()).items()}
        if not _E164.match(form.get("To", "")):
            message = f"The 'To' number {form.get('To')} is not a valid phone number."
            return JSONResponse({"code": 21211, "message": message, "status": 400}, status_code=400)
        if not form.get("Body") or not form.get("From"):
            return JSONResponse({"code": 21602, "message": "Message body is required.", "status": 400}, 400)
        sid = "SM" + secrets.token_hex(16)
        self.sent.append(form | {"sid": sid})
        resource = {
            "sid": sid,
            "status": "queued",
            "to": form["To"],
            "from": form["From"],
            "body": form["Body"],
        }
        return JSONResponse(resource | {"account_sid": self.account_sid, "api_version": "2010-04-01"}, 201)


def _pop_encode(text: str) -> str:
    """Alibaba Cloud's POP encoding: URL-encode, then '+'→%20, '*'→%2A, %7E→'~'."""
    return quote(text, safe="").replace("+", "%20").replace("*", "%2A").replace("%7E", "~")


_REQUIRED = (
    "AccessKeyId",
    "Action",
    "Format",
    "PhoneNumbers",
    "SignName",
    "SignatureMethod",
    "SignatureNonce",
    "SignatureVersion",
    "TemplateCode",
    "Timestamp",
    "Version",
)


@dataclass
class FakeAliyunSms:
    access_key_id: str = "LTAI-fake"
    access_key_secret: str = "aliyun-secret"
    sent: list[dict[str, str]] = field(default_factory=list)
    nonces: set[str] = field(default_factory=set)
    failures: _Failures = field(default_factory=_Failures)

    def fail_with(self, status: int, count: int) -> None:
        self.failures = _Failures(status, count)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/", self._rpc, methods=["GET", "POST"])])

    def _expected_signature(self, method: str, params: dict[str, str]) -> str:
        canonical = "&".join(f"{_pop_encode(k)}={_pop_encode(v)}" for k, v in sorted(params.items()))
        to_sign = f"{method}&{_pop_encode('/')}&{_pop_encode(canonical)}"
        key = (self.access_key_secret + "&").encode()
        return base64.b64encode(hmac.new(key, to_sign.encode(), hashlib.sha1).digest()).decode()

    def _error(self, code: str, message: str, status: int = 400) -> JSONResponse:
        return JSONResponse({"Code": code, "Message": message, "RequestId": secrets.token_hex(8)}, status)

    async def _rpc(self, request: Request) -> JSONResponse:
        status = self.failures.next()
        if status:
            return self._error("ServiceUnavailable", "fake failure", status)
        params: dict[str, Any] = dict(request.query_params)
        if request.method == "POST":
            params |= {k: str(v) for k, v in (await request.form()).items()}
        missing = [name for name in _REQUIRED if not params.get(name)]
        if missing:
            return self._error("MissingParameter", f"missing {missing}")
        signature = params.pop("Signature", "")
        if params["AccessKeyId"] != self.access_key_id:
            return self._error("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404)
        if not re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", params["Timestamp"]):
            return self._error("InvalidTimeStamp.Format", "Specified time stamp is not valid.")
        if not hmac.compare_digest(signature, self._expected_signature(request.method, params)):
            return self._error(
                "SignatureDoesNotMatch", "Specified signature is not matched with our calculation."
            )
        if params["SignatureNonce"] in self.nonces:
            return self._error("SignatureNonceUsed", "Specified signature nonce was used already.")
        self.nonces.add(params["SignatureNonce"])
        if params["Action"] != "SendSms" or params["Version"] != "2017-05-25":
            return self._error("InvalidAction.NotFound", "Specified api is not found.", 404)
        biz_id = secrets.token_hex(10)
        self.sent.append(params | {"BizId": biz_id})
        return JSONResponse(
            {"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": secrets.token_hex(8)}
        )
