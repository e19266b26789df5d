"""The README's quickstart routes end to end through the transcoder, against test servicers.

identity, conversation and model_router are stood in for by small implementations of their
real generated servicers (one gRPC server hosts the three); the gateway is built exactly as
``python -m gateway`` builds it, from every contract in gen/.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import httpx
import pytest
from chatmesh.conversation.v1 import (
    conversation_pb2_grpc,
    conversations_pb2,
    messages_pb2,
    resources_pb2,
)
from chatmesh.identity.v1 import api_keys_pb2, auth_pb2, identity_pb2_grpc, users_pb2
from chatmesh.model_router.v1 import channels_pb2, model_router_pb2_grpc
from gwcore_sse import read_sse
from gwcore_support import running

from gateway.app import create_app
from mesh.clients import ServiceClients
from mesh.config import SERVICES, load_settings
from mesh.discovery import make_discovery
from mesh.stubs import unimplemented

USER = users_pb2.User(id="u-1", tenant_id="t-1", email="ada@example.com", username="ada")


class Identity(unimplemented(identity_pb2_grpc.IdentityServiceServicer, "test")):  # type: ignore[misc]
    def __init__(self) -> None:
        self.seen: dict[str, Any] = {}

    def _tokens(self, cls: Any) -> Any:
        return cls(user=USER, access_token="at-1", refresh_token="rt-1", expires_in=900, token_type="Bearer")

    async def Register(self, request: Any, context: Any) -> Any:
        self.seen["Register"] = request
        return self._tokens(auth_pb2.RegisterResponse)

    async def Login(self, request: Any, context: Any) -> Any:
        self.seen["Login"] = request
        return self._tokens(auth_pb2.LoginResponse)

    async def Refresh(self, request: Any, context: Any) -> Any:
        self.seen["Refresh"] = request
        return auth_pb2.RefreshResponse(access_token="at-2", refresh_token="rt-2", expires_in=900)

    async def Logout(self, request: Any, context: Any) -> Any:
        self.seen["Logout"] = (request, dict(context.invocation_metadata()))
        return auth_pb2.LogoutResponse()

    async def GetUser(self, request: Any, context: Any) -> Any:
        self.seen["GetUser"] = request
        return users_pb2.GetUserResponse(user=USER)

    async def CreateApiKey(self, request: Any, context: Any) -> Any:
        self.seen["CreateApiKey"] = request
        key = api_keys_pb2.ApiKey(
            id="k-1", name=request.api_key.name, prefix="sk-AbC1", remaining_quota=10**12
        )
        return api_keys_pb2.CreateApiKeyResponse(api_key=key, secret="sk-AbC1secret")


class Router(unimplemented(model_router_pb2_grpc.ModelRouterServiceServicer, "test")):  # type: ignore[misc]
    async def CreateChannel(self, request: Any, context: Any) -> Any:
        channel = channels_pb2.Channel()
        channel.CopyFrom(request.channel)
        channel.id = "ch-1"
        del channel.keys[:]
        return channels_pb2.CreateChannelResponse(channel=channel)


class Conversations(unimplemented(conversation_pb2_grpc.ConversationServiceServicer, "test")):  # type: ignore[misc]
    async def CreateConversation(self, request: Any, context: Any) -> Any:
        conversation = resources_pb2.Conversation(id="c-1", title=request.conversation.title or "New chat")
        return conversations_pb2.CreateConversationResponse(conversation=conversation)

    async def SendMessage(self, request: Any, context: Any) -> Any:
        started = messages_pb2.GenerationStarted(
            conversation_id=request.conversation_id, user_message_id="m-1"
        )
        yield messages_pb2.SendMessageResponse(
            event=messages_pb2.GenerationEvent(event_id="g1.1", generation_id="g1", started=started)
        )
        for index, word in enumerate(request.content.split(), start=2):
            delta = messages_pb2.ContentDelta(text=word.upper())
            yield messages_pb2.SendMessageResponse(
                event=messages_pb2.GenerationEvent(event_id=f"g1.{index}", generation_id="g1", delta=delta)
            )

    async def ListMessages(self, request: Any, context: Any) -> Any:
        text = resources_pb2.ContentPart(text="hello")
        message = resources_pb2.Message(id="m-1", conversation_id=request.conversation_id, parts=[text])
        return messages_pb2.ListMessagesResponse(messages=[message])


@pytest.fixture
async def quickstart() -> AsyncIterator[tuple[httpx.AsyncClient, Identity]]:
    server = grpc.aio.server()
    identity = Identity()
    identity_pb2_grpc.add_IdentityServiceServicer_to_server(identity, server)
    model_router_pb2_grpc.add_ModelRouterServiceServicer_to_server(Router(), server)
    conversation_pb2_grpc.add_ConversationServiceServicer_to_server(Conversations(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    address = f"127.0.0.1:{port}"
    settings = load_settings(_env_file=None, static_addresses=dict.fromkeys(SERVICES, address))
    discovery = make_discovery(settings)
    clients = ServiceClients(settings, discovery)
    app = create_app(settings, clients)
    async with running(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
        yield http, identity
    await clients.close()
    await discovery.close()
    await server.stop(None)


async def test_register_login_refresh_logout(quickstart: tuple[httpx.AsyncClient, Identity]) -> None:
    http, identity = quickstart
    body = {"email": "ada@example.com", "password": "correct horse", "username": "ada"}
    registered = await http.post("/v1/auth:register", json=body)
    assert registered.status_code == 200, registered.text
    tokens = registered.json()
    assert {"user", "accessToken", "refreshToken", "expiresIn"} <= set(tokens)
    assert tokens["user"]["email"] == "ada@example.com"
    assert tokens["expiresIn"] == 900
    assert identity.seen["Register"].username == "ada"
    login = await http.post("/v1/auth:login", json={"email": "ada@example.com", "password": "correct horse"})
    assert login.json()["accessToken"] == "at-1"
    refreshed = await http.post("/v1/auth:refresh", json={"refreshToken": "rt-1"})
    assert refreshed.json()["refreshToken"] == "rt-2"
    auth = {"authorization": "Bearer at-1"}
    logout = await http.post("/v1/auth:logout", json={"refreshToken": "rt-1"}, headers=auth)
    assert logout.status_code == 200
    assert logout.json() == {}
    request, metadata = identity.seen["Logout"]
    assert request.refresh_token == "rt-1"
    assert metadata["authorization"] == "Bearer at-1"


async def test_me_and_api_keys(quickstart: tuple[httpx.AsyncClient, Identity]) -> None:
    http, identity = quickstart
    me = await http.get("/v1/users/me", headers={"authorization": "Bearer at-1"})
    assert me.status_code == 200
    assert me.json()["id"] == "u-1"
    assert identity.seen["GetUser"].user_id == "me"
    created = await http.post(
        "/v1/api-keys", json={"name": "laptop"}, headers={"authorization": "Bearer at-1"}
    )
    assert created.status_code == 200, created.text
    assert created.json()["secret"].startswith("sk-")
    assert created.json()["apiKey"]["name"] == "laptop"
    assert created.json()["apiKey"]["remainingQuota"] == "1000000000000"


async def test_admin_creates_a_channel(quickstart: tuple[httpx.AsyncClient, Identity]) -> None:
    http, _ = quickstart
    body = {
        "name": "main",
        "type": "openai",
        "baseUrl": "http://127.0.0.1:9/v1",
        "keys": ["k"],
        "models": ["gpt-4o"],
    }
    response = await http.post("/v1/admin/channels", json=body, headers={"authorization": "Bearer at-1"})
    assert response.status_code == 200, response.text
    channel = response.json()["channel"]
    assert channel["id"] == "ch-1"
    assert channel["baseUrl"] == "http://127.0.0.1:9/v1"
    assert channel["keys"] == []


async def test_a_conversation_streams_a_turn_as_server_sent_events(
    quickstart: tuple[httpx.AsyncClient, Identity],
) -> None:
    http, _ = quickstart
    auth = {"authorization": "Bearer at-1"}
    created = await http.post("/v1/conversations", json={"title": "Hi"}, headers=auth)
    assert created.json()["id"] == "c-1"
    async with http.stream(
        "POST", "/v1/conversations/c-1/messages:send", json={"content": "hello there"}, headers=auth
    ) as response:
        assert response.headers["content-type"] == "text/event-stream"
        stream = await read_sse(response.aiter_lines())
    assert [e.id for e in stream.events] == ["g1.1", "g1.2", "g1.3", None]
    assert stream.events[0].json()["started"]["conversationId"] == "c-1"
    assert [e.json()["delta"]["text"] for e in stream.events[1:3]] == ["HELLO", "THERE"]
    assert stream.events[-1].name == "done"
    listed = await http.get("/v1/conversations/c-1/messages", headers=auth)
    assert listed.json()["messages"][0]["parts"] == [{"text": "hello"}]


async def test_an_rpc_not_built_yet_says_so_with_501(quickstart: tuple[httpx.AsyncClient, Identity]) -> None:
    http, _ = quickstart
    response = await http.get("/v1/tenants/t-1", headers={"authorization": "Bearer at-1"})
    assert response.status_code == 501
    body = response.json()
    assert body["code"] == 12
    assert body["details"][0]["reason"] == "NOT_BUILT_YET"
