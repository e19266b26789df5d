"""The chat path as a web client uses it: HTTP + SSE through the whole running mesh.

gateway → conversation → orchestrator → model_router → a fake OpenAI-compatible upstream
(the seed channel points at it). A user registers, creates a conversation, sends a message
and watches the answer stream in, reads the stored history, edits a message into a new
branch, stops a generation midway and finds the partial answer stored, and reconnects with
``Last-Event-ID`` to receive the rest of a generation still running.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.fakes.llm_upstream import FakeLLMUpstream, FakeReply
from tests.fakes.threaded import serving
from tests.support.mesh_process import Mesh, MeshRun, make_mesh

pytestmark = pytest.mark.e2e

MODEL = "gpt-4o-mini"
SHORT = FakeReply(pieces=("Hello", " there", ", human", "."))
LONG = FakeReply(pieces=tuple(f"w{i} " for i in range(60)))


@dataclass(frozen=True)
class Event:
    id: str
    name: str
    data: dict[str, Any]


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeLLMUpstream]:
    fake = FakeLLMUpstream(reply=SHORT)
    with serving(fake):
        yield fake


@pytest.fixture(scope="module")
def chat_mesh(tmp_path_factory: pytest.TempPathFactory, upstream: FakeLLMUpstream) -> Iterator[Mesh]:
    mesh = make_mesh(
        tmp_path_factory.mktemp("chatmesh"),
        {
            "CHATMESH_SEED_CHANNEL_BASE_URL": f"{upstream.base_url}/v1",
            "CHATMESH_SEED_CHANNEL_API_KEY": "sk-e2e-upstream",
            "CHATMESH_SEED_CHANNEL_MODELS": json.dumps([MODEL]),
        },
    )
    run: MeshRun = mesh.start()
    try:
        run.wait_ready()
        yield mesh
    finally:
        if run.process.poll() is None:
            run.stop()


@pytest.fixture(scope="module")
def client(chat_mesh: Mesh) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=chat_mesh.gateway, timeout=30.0) as http:
        email = f"chat-{uuid.uuid4().hex[:8]}@example.com"
        registered = http.post("/v1/auth:register", json={"email": email, "password": "e2e-Passw0rd!"})
        assert registered.status_code == 200, registered.text
        http.headers["authorization"] = f"Bearer {registered.json()['accessToken']}"
        yield http


def _events(response: httpx.Response) -> Iterator[Event]:
    """Parse SSE frames as they arrive (comments and heartbeats skipped)."""
    event_id, name, data = "", "message", []
    for line in response.iter_lines():
        if line == "":
            if data:
                yield Event(event_id, name, json.loads("\n".join(data)))
            event_id, name, data = "", "message", []
        elif line.startswith(":"):
            continue
        else:
            key, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if key == "id":
                event_id = value
            elif key == "event":
                name = value
            elif key == "data":
                data.append(value)


def _text(events: list[Event]) -> str:
    return "".join(e.data.get("delta", {}).get("text", "") for e in events if e.name == "message")


def _create(client: httpx.Client) -> str:
    created = client.post("/v1/conversations", json={"title": "e2e chat", "settings": {"model": MODEL}})
    assert created.status_code == 200, created.text
    return str(created.json()["id"])


def _messages(client: httpx.Client, conversation_id: str) -> list[dict[str, Any]]:
    listed = client.get(f"/v1/conversations/{conversation_id}/messages")
    assert listed.status_code == 200, listed.text
    return list(listed.json().get("messages", []))


def _content(message: dict[str, Any]) -> str:
    return "".join(part.get("text", "") for part in message.get("parts", []))


def _send_all(client: httpx.Client, conversation_id: str, content: str) -> list[Event]:
    with client.stream(
        "POST",
        f"/v1/conversations/{conversation_id}/messages:send",
        json={"content": content},
        headers={"accept": "text/event-stream"},
    ) as response:
        assert response.status_code == 200, response.read().decode()
        return list(_events(response))


def test_send_streams_deltas_and_stores_the_history(client: httpx.Client, upstream: FakeLLMUpstream) -> None:
    upstream.reply, upstream.chunk_delay = SHORT, 0.0
    conversation_id = _create(client)
    events = _send_all(client, conversation_id, "Say hello")

    started = events[0].data["started"]
    assert started["conversationId"] == conversation_id and started["userMessageId"]
    assert _text(events) == SHORT.text
    assert any("done" in e.data for e in events), [e.data for e in events]
    assert all(e.id for e in events if e.name == "message")

    path = _messages(client, conversation_id)
    assert [m["role"] for m in path] == ["MESSAGE_ROLE_USER", "MESSAGE_ROLE_ASSISTANT"]
    assert _content(path[0]) == "Say hello"
    assert _content(path[1]) == SHORT.text
    assert path[1]["id"] == started["assistantMessageId"]
    assert path[1]["status"] == "MESSAGE_STATUS_COMPLETE"
    sent = upstream.requests[-1].body["messages"]
    assert sent[-1]["content"] in ("Say hello", [{"type": "text", "text": "Say hello"}])


def test_editing_a_message_makes_a_new_branch(client: httpx.Client, upstream: FakeLLMUpstream) -> None:
    upstream.reply, upstream.chunk_delay = SHORT, 0.0
    conversation_id = _create(client)
    _send_all(client, conversation_id, "First wording")
    first_user = _messages(client, conversation_id)[0]

    edited = client.post(
        f"/v1/conversations/{conversation_id}/messages/{first_user['id']}:edit",
        json={"content": "Second wording"},
    )
    assert edited.status_code == 200, edited.text
    sibling = edited.json()
    assert sibling["id"] != first_user["id"]
    assert sibling.get("parentId", "") == first_user.get("parentId", "")

    path = _messages(client, conversation_id)
    assert [_content(m) for m in path] == ["Second wording"]
    every = client.get(
        f"/v1/conversations/{conversation_id}/messages", params={"view": "MESSAGE_VIEW_ALL"}
    ).json()["messages"]
    assert {_content(m) for m in every} >= {"First wording", "Second wording", SHORT.text}


def test_stop_mid_stream_stores_the_partial_answer(client: httpx.Client, upstream: FakeLLMUpstream) -> None:
    upstream.reply, upstream.chunk_delay = LONG, 0.1
    conversation_id = _create(client)
    received: list[Event] = []
    with client.stream(
        "POST",
        f"/v1/conversations/{conversation_id}/messages:send",
        json={"content": "Talk for a while"},
        headers={"accept": "text/event-stream"},
    ) as response:
        for event in _events(response):
            received.append(event)
            if sum(1 for e in received if "delta" in e.data) == 3:
                generation_id = received[0].data["generationId"]
                stopped = client.post(
                    f"/v1/conversations/{conversation_id}/generations/{generation_id}:stop", json={}
                )
                assert stopped.status_code == 200, stopped.text
    shown = _text(received)
    assert shown and shown != LONG.text

    answer = _messages(client, conversation_id)[-1]
    assert answer["status"] == "MESSAGE_STATUS_INCOMPLETE"
    assert _content(answer).startswith(shown)
    assert len(_content(answer)) < len(LONG.text)


def test_reconnecting_with_last_event_id_receives_the_rest(
    client: httpx.Client, upstream: FakeLLMUpstream
) -> None:
    upstream.reply, upstream.chunk_delay = LONG, 0.05
    conversation_id = _create(client)
    first: list[Event] = []
    with client.stream(
        "POST",
        f"/v1/conversations/{conversation_id}/messages:send",
        json={"content": "Tell me a long story"},
        headers={"accept": "text/event-stream"},
    ) as response:
        for event in _events(response):
            first.append(event)
            if sum(1 for e in first if "delta" in e.data) == 5:
                break
    generation_id = first[0].data["generationId"]
    last_id = first[-1].id

    with client.stream(
        "GET",
        f"/v1/conversations/{conversation_id}/generations/{generation_id}:resume",
        headers={"accept": "text/event-stream", "last-event-id": last_id},
    ) as response:
        assert response.status_code == 200, response.read().decode()
        rest = list(_events(response))

    assert _text(first) + _text(rest) == LONG.text
    assert any("done" in e.data for e in rest)
    answer = _messages(client, conversation_id)[-1]
    assert _content(answer) == LONG.text and answer["status"] == "MESSAGE_STATUS_COMPLETE"
