"""SMS through HTTP providers (Twilio, Alibaba Cloud), tried in order until one accepts.

Each provider speaks its real API: Twilio's ``POST /2010-04-01/Accounts/{sid}/Messages.json``
(form body, HTTP Basic with the Account SID and Auth Token), Alibaba Cloud's ``SendSms`` RPC
call (signed query, see notification.domain.signatures). A provider that fails (down, rate
limited, refusing our credentials) hands the message to the next one; only when every one
failed does the attempt fail, transient if any of them might succeed later.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Protocol

import httpx

from notification.delivery.errors import DeliveryFailed, ProviderGate, retry_after
from notification.domain.signatures import aliyun_signature

__all__ = ["AliyunSms", "FailoverSms", "SmsProvider", "SmsSender", "TwilioSms"]


class SmsProvider(Protocol):
    name: str

    async def send(self, to: str, body: str) -> str:
        """Returns the provider's message id; raises DeliveryFailed."""
        ...


class SmsSender(Protocol):
    async def send(self, notification_id: str, to: str, body: str) -> tuple[str, str]:
        """(provider name, provider message id)."""
        ...


def _transient_status(status: int) -> bool:
    return status == 429 or status >= 500


class TwilioSms:
    name = "twilio"

    def __init__(
        self, http: httpx.AsyncClient, base_url: str, account_sid: str, auth_token: str, sender: str
    ):
        self._http = http
        self._url = f"{base_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self._auth = (account_sid, auth_token)
        self._from = sender

    async def send(self, to: str, body: str) -> str:
        try:
            response = await self._http.post(
                self._url, data={"To": to, "From": self._from, "Body": body}, auth=self._auth
            )
        except httpx.HTTPError as exc:
            raise DeliveryFailed(
                f"unreachable: {type(exc).__name__}", transient=True, provider=self.name
            ) from exc
        if response.status_code in (200, 201):
            return str(response.json().get("sid", ""))
        try:
            error = response.json()
            detail = f"{error.get('code')}: {error.get('message')}"
        except ValueError:
            detail = response.text[:200]
        raise DeliveryFailed(
            f"HTTP {response.status_code} {detail}",
            transient=_transient_status(response.status_code),
            provider=self.name,
            backoff=retry_after(response.headers.get("retry-after")) if response.status_code == 429 else 0.0,
        )


_ALIYUN_TRANSIENT = ("Throttling", "isv.BUSINESS_LIMIT_CONTROL", "ServiceUnavailable", "InternalError")


class AliyunSms:
    name = "aliyun"

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        access_key_id: str,
        access_key_secret: str,
        sign_name: str,
        template_code: str,
    ):
        self._http = http
        self._url = base_url.rstrip("/") + "/"
        self._key_id = access_key_id
        self._secret = access_key_secret
        self._sign_name = sign_name
        self._template = template_code

    def signed_params(self, to: str, body: str) -> dict[str, str]:
        params = {
            "AccessKeyId": self._key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": to.removeprefix("+86") if to.startswith("+86") else to.lstrip("+"),
            "RegionId": "cn-hangzhou",
            "SignName": self._sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": str(uuid.uuid4()),
            "SignatureVersion": "1.0",
            "TemplateCode": self._template,
            "TemplateParam": json.dumps({"content": body}, ensure_ascii=False),
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }
        params["Signature"] = aliyun_signature(self._secret, "POST", params)
        return params

    async def send(self, to: str, body: str) -> str:
        try:
            response = await self._http.post(self._url, data=self.signed_params(to, body))
        except httpx.HTTPError as exc:
            raise DeliveryFailed(
                f"unreachable: {type(exc).__name__}", transient=True, provider=self.name
            ) from exc
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        code = str(answer.get("Code", ""))
        if response.status_code == 200 and code == "OK":
            return str(answer.get("BizId", ""))
        transient = _transient_status(response.status_code) or code.startswith(_ALIYUN_TRANSIENT)
        limited = response.status_code == 429 or code.startswith(("Throttling", "isv.BUSINESS_LIMIT_CONTROL"))
        raise DeliveryFailed(
            f"HTTP {response.status_code} {code}: {answer.get('Message', '')}",
            transient=transient,
            provider=self.name,
            backoff=retry_after(response.headers.get("retry-after")) if limited else 0.0,
        )


class FailoverSms:
    def __init__(self, providers: Sequence[SmsProvider], gate: ProviderGate | None = None) -> None:
        if not providers:
            raise ValueError("at least one SMS provider is needed")
        self.providers = list(providers)
        self.gate = gate or ProviderGate()

    async def send(self, notification_id: str, to: str, body: str) -> tuple[str, str]:
        failures: list[DeliveryFailed] = []
        for provider in self.providers:
            try:
                self.gate.check(provider.name)
                return provider.name, await provider.send(to, body)
            except DeliveryFailed as exc:
                self.gate.observe(exc)
                failures.append(exc)
        reason = "; ".join(f"{f.provider}: {f.reason}" for f in failures)
        raise DeliveryFailed(reason, transient=any(f.transient for f in failures))
