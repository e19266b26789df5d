"""A service asking identity about an API key states the client's address and keeps the key's limits."""

from __future__ import annotations

import time
from typing import Any

from chatmesh.identity.v1 import api_keys_pb2, auth_pb2
from google.protobuf import timestamp_pb2

from mesh.auth import _client_ip
from mesh.auth_api_keys import RemoteApiKeyVerifier


class Identity:
    def __init__(self, expires: float) -> None:
        self.expires = expires
        self.requests: list[api_keys_pb2.AuthenticateApiKeyRequest] = []

    async def AuthenticateApiKey(self, request: Any) -> api_keys_pb2.AuthenticateApiKeyResponse:
        self.requests.append(request)
        principal = auth_pb2.Principal(
            tenant_id="t1",
            user_id="owner",
            api_key_id="key-1",
            allowed_models=["gpt-4o-mini"],
            expire_time=timestamp_pb2.Timestamp(seconds=int(self.expires)),
        )
        key = api_keys_pb2.ApiKey(allowed_cidrs=["203.0.113.0/24"], unlimited_quota=True)
        return api_keys_pb2.AuthenticateApiKeyResponse(principal=principal, api_key=key)


async def _verify(verifier: RemoteApiKeyVerifier, client_ip: str) -> Any:
    token = _client_ip.set(client_ip)
    try:
        return await verifier.verify("sk-secret")
    finally:
        _client_ip.reset(token)


async def test_the_address_is_stated_and_each_address_is_asked_about_once() -> None:
    identity = Identity(time.time() + 3600)
    verifier = RemoteApiKeyVerifier(identity)
    principal = await _verify(verifier, "203.0.113.9")
    assert [r.client_ip for r in identity.requests] == ["203.0.113.9"]
    assert principal.client_ip == "203.0.113.9" and principal.allowed_models == ("gpt-4o-mini",)
    assert principal.allowed_cidrs == ("203.0.113.0/24",) and principal.quota_remaining is None
    await _verify(verifier, "203.0.113.9")
    await _verify(verifier, "198.51.100.1")
    assert [r.client_ip for r in identity.requests] == ["203.0.113.9", "198.51.100.1"]


async def test_an_expired_key_is_asked_about_again() -> None:
    identity = Identity(time.time() - 1)
    verifier = RemoteApiKeyVerifier(identity)
    assert (await _verify(verifier, "203.0.113.9")).expired()
    await _verify(verifier, "203.0.113.9")
    assert len(identity.requests) == 2
