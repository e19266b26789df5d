"""The client's address: decided at the edge, believed from our proxies only, the same on every hop.

Issue 10, items 5 and 6. A key limited to a network works from it through the whole chain
(gateway → conversation → orchestrator → model_router, each re-checking the key with the
address the edge sealed) and from nowhere else; a direct gRPC caller is judged by its own
socket address and cannot claim another. ``X-Forwarded-For`` counts only when our proxy
(127.0.0.2 here) sent it, so a client can neither dodge the per-address login limit nor
lock out someone else's address, and sessions record the real address.
"""

from __future__ import annotations

import uuid

import grpc
import httpx
import pytest
from chatmesh.model_router.v1 import chat_pb2, inference_pb2

from tests.e2e.security.principal_support import (
    ALLOWED,
    LOGIN_FAILURES,
    REPLY,
    Probe,
    bearer,
    reason,
    rpc_error,
)
from tests.e2e.security.principal_support import probe as probe
from tests.e2e.security.principal_support import upstream as upstream

pytestmark = pytest.mark.e2e

NETWORK = "203.0.113.0/24"
INSIDE = "203.0.113.9"
IP_NOT_ALLOWED = "API_KEY_IP_NOT_ALLOWED"
CHAT = {"model": ALLOWED, "messages": [{"role": "user", "content": "hi"}]}


def _text(response: httpx.Response) -> str:
    return "".join(c["message"]["content"] for c in response.json()["choices"])


def _chat(model: str = ALLOWED) -> inference_pb2.ChatCompletionRequest:
    return inference_pb2.ChatCompletionRequest(
        model=model, messages=[chat_pb2.ChatMessage(role="user", content="hello")]
    )


def test_a_network_limited_key_works_from_its_network_through_every_hop(probe: Probe) -> None:
    key = probe.key(allowedCidrs=[NETWORK])
    with probe.http(key, via_proxy=True, **{"x-forwarded-for": f"198.51.100.1, {INSIDE}"}) as http:
        answered = http.post("/v1/chat/completions", json=CHAT)
        assert answered.status_code == 200, answered.text
        assert _text(answered) == REPLY.text
        created = http.post("/v1/conversations", json={"title": "cidr", "settings": {"model": ALLOWED}})
        assert created.status_code == 200, created.text
        sent = http.post(
            f"/v1/conversations/{created.json()['id']}/messages:send",
            json={"content": "hello"},
            headers={"accept": "text/event-stream"},
        )
        assert sent.status_code == 200, sent.text
        assert '"done"' in sent.text and "error" not in sent.text, sent.text


def test_a_network_limited_key_is_refused_from_elsewhere(probe: Probe) -> None:
    key = probe.key(allowedCidrs=[NETWORK])
    # Straight from the internet, and claiming the network in a header nobody vouches for.
    for headers in ({}, {"x-forwarded-for": INSIDE}):
        with probe.http(key, **headers) as http:
            refused = http.post("/v1/chat/completions", json=CHAT)
        assert refused.status_code == 403, refused.text
    # Through our proxy, from outside the network.
    with probe.http(key, via_proxy=True, **{"x-forwarded-for": f"{INSIDE}, 198.51.100.1"}) as http:
        refused = http.post("/v1/chat/completions", json=CHAT)
    assert refused.status_code == 403 and "not allowed from this address" in refused.text, refused.text


def test_direct_grpc_callers_are_judged_by_their_socket_address(probe: Probe) -> None:
    outside = probe.key(allowedCidrs=[NETWORK])
    local = probe.key(allowedCidrs=["127.0.0.0/8"])
    forged = ("x-chatmesh-client-ip", f"{INSIDE} AAAAAAAAAAAAAAAAAAAAAA")
    with probe.channel("model_router") as channel:
        stub = probe.model_router(channel)
        for metadata in (
            bearer(outside),
            bearer(outside, forged),
            bearer(outside, ("x-forwarded-for", INSIDE)),
        ):
            denied = rpc_error(stub.ChatCompletion, _chat(), metadata=metadata)
            assert denied.code() == grpc.StatusCode.PERMISSION_DENIED and reason(denied) == IP_NOT_ALLOWED
        answer = list(stub.ChatCompletion(_chat(), metadata=bearer(local), timeout=30))
        assert "".join(c.message.content for r in answer for c in r.choices) == REPLY.text


def _login(http: httpx.Client, email: str, password: str) -> httpx.Response:
    return http.post("/v1/auth:login", json={"email": email, "password": password})


def test_forwarded_for_neither_dodges_nor_aims_the_login_limit(probe: Probe) -> None:
    attacker, victim = "203.0.113.50", "203.0.113.51"
    admin_password = _admin_password(probe)
    # Behind our proxy the attacker rotates what it writes on the left of X-Forwarded-For and
    # names the victim there too; the proxy's own entry (its real address) is what counts.
    for n in range(LOGIN_FAILURES):
        spoof = {"x-forwarded-for": f"{victim}, 198.51.100.{n + 1}, {attacker}"}
        with probe.http(via_proxy=True, **spoof) as http:
            failed = _login(http, f"nobody-{uuid.uuid4().hex[:8]}@example.com", "Wr0ng-pass!")
        assert failed.status_code == 401, failed.text
    with probe.http(via_proxy=True, **{"x-forwarded-for": f"198.51.100.99, {attacker}"}) as http:
        locked = _login(http, probe.admin_email, admin_password)
    assert locked.status_code == 429, locked.text
    with probe.http(via_proxy=True, **{"x-forwarded-for": victim}) as http:
        assert _login(http, probe.admin_email, admin_password).status_code == 200
    # A client that is not our proxy claiming the locked address is judged by its own address.
    with probe.http(**{"x-forwarded-for": attacker}) as http:
        assert _login(http, probe.admin_email, admin_password).status_code == 200


def test_sessions_record_the_verified_address(probe: Probe) -> None:
    password = _admin_password(probe)
    with probe.http(via_proxy=True, **{"x-forwarded-for": "198.51.100.1, 203.0.113.60"}) as http:
        behind_proxy = _login(http, probe.admin_email, password).json()["accessToken"]
    with probe.http(**{"x-forwarded-for": "203.0.113.61"}) as http:
        direct = _login(http, probe.admin_email, password).json()["accessToken"]
    with probe.http(probe.admin_token) as http:
        listed = http.get("/v1/users/me/sessions", params={"pageSize": 100})
    assert listed.status_code == 200, listed.text
    addresses = {s.get("ipAddress") for s in listed.json().get("sessions", [])}
    assert "203.0.113.60" in addresses and "127.0.0.1" in addresses, addresses
    assert not addresses & {"198.51.100.1", "203.0.113.61"}, addresses
    assert behind_proxy and direct


def _admin_password(probe: Probe) -> str:
    return probe.mesh.admin_credentials()["password"]
