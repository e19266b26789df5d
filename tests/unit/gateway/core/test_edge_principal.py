"""What the edge hands the services: a key's limits in the principal, the client address sealed."""

from __future__ import annotations

import time
from typing import Any

from chatmesh.identity.v1 import api_keys_pb2, auth_pb2
from google.protobuf import timestamp_pb2

from gateway.edge_auth import EdgeAuthenticator, PassThroughAuthenticator
from mesh.client_ip import CLIENT_IP_HEADER, ClientIpSeal
from tests.unit.gateway.core.test_edge_authenticator import GOOD_JWT, Clock, StandInVerifier, request

SEAL = ClientIpSeal(lambda: "edge-test-secret")


class LimitedKeyIdentity:
    """identity answering for a key limited to one model and one network, expiring at ``expires``."""

    def __init__(self, expires: float) -> None:
        self.expires = expires
        self.asked = 0

    def stub(self, service: str) -> LimitedKeyIdentity:
        return self

    async def AuthenticateApiKey(
        self, request: Any, **options: Any
    ) -> api_keys_pb2.AuthenticateApiKeyResponse:
        self.asked += 1
        expire = timestamp_pb2.Timestamp(seconds=int(self.expires))
        principal = auth_pb2.Principal(
            kind=auth_pb2.PRINCIPAL_KIND_API_KEY,
            tenant_id="t1",
            user_id="owner",
            api_key_id="key-1",
            allowed_models=["gpt-4o-mini"],
            expire_time=expire,
        )
        key = api_keys_pb2.ApiKey(id="key-1", allowed_cidrs=["198.51.100.0/24"], remaining_quota=500)
        return api_keys_pb2.AuthenticateApiKeyResponse(principal=principal, api_key=key)


async def test_a_keys_limits_and_the_client_address_reach_the_services() -> None:
    identity = LimitedKeyIdentity(expires=time.time() + 3600)
    authenticator = EdgeAuthenticator(StandInVerifier(), identity, client_ips=SEAL)
    caller = await authenticator.authenticate(request({"authorization": "Bearer sk-limited"}))
    principal = caller.principal
    assert principal.allowed_models == ("gpt-4o-mini",) and principal.allowed_cidrs == ("198.51.100.0/24",)
    assert principal.quota_remaining == 500 and principal.expires_at == int(identity.expires)
    assert principal.client_ip == "198.51.100.4"
    assert caller.metadata == (
        ("authorization", "Bearer sk-limited"),
        SEAL.seal("198.51.100.4", "sk-limited"),
    )
    jwt = await authenticator.authenticate(request({"authorization": f"Bearer {GOOD_JWT}"}))
    assert dict(jwt.metadata)[CLIENT_IP_HEADER] == SEAL.seal("198.51.100.4", GOOD_JWT)[1]


async def test_anonymous_public_calls_carry_only_the_address() -> None:
    for authenticator in (
        EdgeAuthenticator(StandInVerifier(), LimitedKeyIdentity(0), client_ips=SEAL),
        PassThroughAuthenticator(SEAL),
    ):
        public = await authenticator.authenticate(request(), public=True)
        assert public.metadata == (SEAL.seal("198.51.100.4"),)
    private = await PassThroughAuthenticator(SEAL).authenticate(request())
    assert private.metadata == ()


async def test_a_cached_key_is_not_used_past_its_expiry() -> None:
    clock = Clock()
    identity = LimitedKeyIdentity(expires=time.time() + 3600)
    authenticator = EdgeAuthenticator(StandInVerifier(), identity, cache_seconds=30, clock=clock)
    key = request({"authorization": "Bearer sk-limited"})
    await authenticator.authenticate(key)
    await authenticator.authenticate(key)
    assert identity.asked == 1
    identity.expires = time.time() - 1
    authenticator.forget()
    await authenticator.authenticate(key)
    await authenticator.authenticate(key)
    assert identity.asked == 3, "an answer for an expired key is not served from the cache"
