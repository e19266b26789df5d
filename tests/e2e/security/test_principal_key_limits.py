"""A key limited to one model reaches no other, whatever path the request takes (issue 10, items 4, 7).

The probe: a key allowed ``gpt-4o-mini`` only asked for ``gpt-4o`` by calling model_router's
ChatCompletion over gRPC, by creating (or editing) a conversation set to ``gpt-4o`` and
sending to it, by overriding the model on a send or a regenerate, through the OpenAI and
Anthropic compatible routes, and for embeddings. The limits travel in the principal and
model_router refuses every one; conversation refuses early with the same reason. A caller
that is not a mesh service cannot name a quota reservation to charge.
"""

from __future__ import annotations

import uuid

import grpc
import httpx
import pytest
from chatmesh.conversation.v1 import conversations_pb2, resources_pb2
from chatmesh.model_router.v1 import chat_pb2, inference_pb2

from tests.e2e.security.principal_support import (
    ALLOWED,
    EMBEDDING,
    OTHER,
    REPLY,
    Probe,
    bearer,
    http_reason,
    reason,
    rpc_error,
)
from tests.e2e.security.principal_support import probe as probe
from tests.e2e.security.principal_support import upstream as upstream
from tests.fakes.llm_upstream import FakeLLMUpstream

pytestmark = pytest.mark.e2e

NOT_ALLOWED = "API_KEY_MODEL_NOT_ALLOWED"


@pytest.fixture(scope="module")
def restricted(probe: Probe) -> str:
    return probe.key(allowedModels=[ALLOWED])


def _chat(model: str, **routing: object) -> inference_pb2.ChatCompletionRequest:
    return inference_pb2.ChatCompletionRequest(
        model=model,
        messages=[chat_pb2.ChatMessage(role="user", content="hello")],
        routing=chat_pb2.RoutingContext(**routing),  # type: ignore[arg-type]
    )


def _models_asked(upstream: FakeLLMUpstream) -> set[str]:
    return {str(r.body.get("model", "")) for r in upstream.requests if isinstance(r.body, dict)}


def test_direct_grpc_to_model_router_keeps_the_key_to_its_models(
    probe: Probe, restricted: str, upstream: FakeLLMUpstream
) -> None:
    with probe.channel("model_router") as channel:
        stub = probe.model_router(channel)
        denied = rpc_error(stub.ChatCompletion, _chat(OTHER), metadata=bearer(restricted))
        assert denied.code() == grpc.StatusCode.PERMISSION_DENIED and reason(denied) == NOT_ALLOWED
        answer = list(stub.ChatCompletion(_chat(ALLOWED), metadata=bearer(restricted), timeout=30))
        assert "".join(c.message.content for r in answer for c in r.choices) == REPLY.text

        embed = inference_pb2.EmbedRequest(model=EMBEDDING, input=["x"])
        denied = rpc_error(stub.Embed, embed, metadata=bearer(restricted))
        assert denied.code() == grpc.StatusCode.PERMISSION_DENIED and reason(denied) == NOT_ALLOWED

        listed = stub.ListModels(inference_pb2.ListModelsRequest(), metadata=bearer(restricted), timeout=30)
        assert [m.id for m in listed.data] == [ALLOWED]
    assert OTHER not in _models_asked(upstream) and EMBEDDING not in _models_asked(upstream)


def _conversation(http: httpx.Client, model: str) -> str:
    created = http.post("/v1/conversations", json={"title": "probe", "settings": {"model": model}})
    assert created.status_code == 200, created.text
    return str(created.json()["id"])


def _send(http: httpx.Client, conversation_id: str, **body: object) -> httpx.Response:
    return http.post(
        f"/v1/conversations/{conversation_id}/messages:send",
        json={"content": "hello", **body},
        headers={"accept": "text/event-stream"},
    )


def _refused(response: httpx.Response) -> None:
    assert response.status_code == 403, response.text
    assert http_reason(response) == NOT_ALLOWED, response.text


def test_conversations_cannot_carry_a_restricted_key_to_another_model(
    probe: Probe, restricted: str, upstream: FakeLLMUpstream
) -> None:
    asked_before = len(upstream.requests)
    with probe.http(restricted) as key, probe.http(probe.admin_token) as owner:
        _refused(key.post("/v1/conversations", json={"title": "x", "settings": {"model": OTHER}}))
        mine = _conversation(key, ALLOWED)
        _refused(key.patch(f"/v1/conversations/{mine}", json={"settings": {"model": OTHER}}))
        _refused(_send(key, mine, model=OTHER))

        sent = _send(key, mine)
        assert sent.status_code == 200 and REPLY.text.split()[0] in sent.text, sent.text
        first = key.get(f"/v1/conversations/{mine}/messages").json()["messages"][0]["id"]
        _refused(key.post(f"/v1/conversations/{mine}/messages/{first}:regenerate", json={"model": OTHER}))

        # The key's owner set another conversation to the other model with a login: the key
        # still cannot use it there.
        theirs = _conversation(owner, OTHER)
        _refused(_send(key, theirs))
        # Nor can the key import a copy of it (a stored choice of the other model).
        exported = owner.get(f"/v1/conversations/{theirs}:export", params={"format": "EXPORT_FORMAT_JSON"})
        assert exported.status_code == 200, exported.text
        _refused(key.post("/v1/conversations:import", json={"content": exported.json()["content"]}))
    assert OTHER not in {str(r.body.get("model")) for r in upstream.requests[asked_before:]}


def test_an_agent_is_a_stored_model_choice_too(probe: Probe, restricted: str) -> None:
    with probe.http(restricted) as key:
        _refused(key.post("/v1/agents", json={"name": f"probe-{uuid.uuid4().hex[:6]}", "model": OTHER}))
        allowed = key.post("/v1/agents", json={"name": f"probe-{uuid.uuid4().hex[:6]}", "model": ALLOWED})
        assert allowed.status_code == 200, allowed.text


def test_conversation_over_grpc_refuses_the_model_early(probe: Probe, restricted: str) -> None:
    request = conversations_pb2.CreateConversationRequest(
        conversation=resources_pb2.Conversation(
            title="direct", settings=resources_pb2.ConversationSettings(model=OTHER)
        )
    )
    with probe.channel("conversation") as channel:
        denied = rpc_error(
            probe.conversation(channel).CreateConversation, request, metadata=bearer(restricted)
        )
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED and reason(denied) == NOT_ALLOWED


@pytest.mark.parametrize(
    ("path", "body", "headers"),
    [
        ("/v1/chat/completions", {"model": OTHER, "messages": [{"role": "user", "content": "hi"}]}, {}),
        ("/v1/embeddings", {"model": EMBEDDING, "input": "hi"}, {}),
        (
            "/v1/messages",
            {"model": OTHER, "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]},
            {"anthropic-version": "2023-06-01"},
        ),
    ],
)
def test_compatible_routes_keep_the_key_to_its_models(
    probe: Probe, restricted: str, path: str, body: dict[str, object], headers: dict[str, str]
) -> None:
    with probe.http(restricted, **headers) as http:
        response = http.post(path, json=body)
    assert response.status_code == 403, response.text


def test_the_model_list_shows_a_restricted_key_its_models_only(probe: Probe, restricted: str) -> None:
    with probe.http(restricted) as http:
        listed = http.get("/v1/models")
        assert listed.status_code == 200, listed.text
        assert [m["id"] for m in listed.json()["data"]] == [ALLOWED]
        # The edge refuses it for the key (403); model_router would not know it (404).
        assert http.get(f"/v1/models/{OTHER}").status_code in (403, 404)
    with probe.http(probe.admin_token) as http:
        assert {ALLOWED, OTHER} <= {m["id"] for m in http.get("/v1/models").json()["data"]}


def test_a_keys_quota_from_identity_is_enforced_by_model_router(probe: Probe) -> None:
    """A key created with 250 units on a model priced 100 a request: two answers, then 429."""
    with probe.http(probe.admin_token) as admin:
        priced = admin.post("/v1/admin/modelPrices", json={"model": OTHER, "requestPrice": 100})
        assert priced.status_code == 200, priced.text
    created = probe.key_record(remainingQuota=250)
    chat = {"model": OTHER, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 8}
    with probe.http(str(created["secret"])) as key:
        answers = [key.post("/v1/chat/completions", json=chat) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429], answers[-1].text
        assert "quota" in answers[-1].text.lower(), answers[-1].text
        account = key.get(f"/v1/quotaAccounts/api_key.{created['apiKey']['id']}")
    assert account.status_code == 200, account.text
    assert int(account.json()["account"]["balance"]) == 50


def test_only_mesh_services_may_charge_a_named_reservation(probe: Probe, restricted: str) -> None:
    forged = _chat(ALLOWED, billing=chat_pb2.BillingHint(reservation_id=str(uuid.uuid4())))
    with probe.channel("model_router") as channel:
        stub = probe.model_router(channel)
        for credential in (restricted, probe.admin_token):
            denied = rpc_error(stub.ChatCompletion, forged, metadata=bearer(credential))
            assert denied.code() == grpc.StatusCode.PERMISSION_DENIED, denied
            assert reason(denied) == "RESERVATION_ID_NOT_ALLOWED"
