"""Chat-turn limits and lost-turn recovery through the whole running mesh, default configuration.

A user may run four turns at once: the fifth is answered 429 with Retry-After before
anything of it is stored. Twenty users of the ``default`` tenant (where every self-registered
user lands) each run a turn, all at the same time. And when the conversation process is
killed under streaming turns, the restarted mesh closes each of them within 30 s with an
error event and its partial answer stored; nothing stays in progress.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.e2e.test_chat_path_e2e import Event, _content, _create, _events, _messages, _text
from tests.fakes.llm_upstream import FakeLLMUpstream, FakeReply
from tests.fakes.threaded import serving
from tests.support.mesh_process import Mesh, MeshRun, make_mesh

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

MODEL = "gpt-4o-mini"
LONG = FakeReply(pieces=tuple(f"w{i} " for i in range(200)))  # 60 s at 0.3 s a piece
USERS = 20
RECOVERY_SECONDS = 30.0


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeLLMUpstream]:
    fake = FakeLLMUpstream(reply=LONG, chunk_delay=0.3)
    with serving(fake):
        yield fake


@pytest.fixture(scope="module")
def running(
    tmp_path_factory: pytest.TempPathFactory, upstream: FakeLLMUpstream
) -> Iterator[tuple[Mesh, MeshRun]]:
    mesh = make_mesh(
        tmp_path_factory.mktemp("turnlimits"),
        {
            "CHATMESH_SEED_CHANNEL_BASE_URL": f"{upstream.base_url}/v1",
            "CHATMESH_SEED_CHANNEL_API_KEY": "sk-e2e-upstream",
            "CHATMESH_SEED_CHANNEL_MODELS": json.dumps([MODEL]),
        },
    )
    run = mesh.start()
    try:
        run.wait_ready()
        yield mesh, run
    finally:
        if run.process.poll() is None:
            run.stop()


def _user(mesh: Mesh) -> httpx.Client:
    http = httpx.Client(base_url=mesh.gateway, timeout=60.0)
    email = f"limits-{uuid.uuid4().hex[:8]}@example.com"
    registered = http.post("/v1/auth:register", json={"email": email, "password": "e2e-Passw0rd!"})
    assert registered.status_code == 200, registered.text
    http.headers["authorization"] = f"Bearer {registered.json()['accessToken']}"
    return http


def _send(client: httpx.Client, conversation_id: str, content: str) -> Any:
    return client.stream(
        "POST",
        f"/v1/conversations/{conversation_id}/messages:send",
        json={"content": content},
        headers={"accept": "text/event-stream"},
    )


def _stop(client: httpx.Client, conversation_id: str, generation_id: str) -> None:
    stopped = client.post(f"/v1/conversations/{conversation_id}/generations/{generation_id}:stop", json={})
    assert stopped.status_code == 200, stopped.text


def test_a_users_fifth_concurrent_turn_is_refused_with_retry_after(running: tuple[Mesh, MeshRun]) -> None:
    mesh, _ = running
    with contextlib.closing(_user(mesh)) as client, contextlib.ExitStack() as streams:
        conversations = [_create(client) for _ in range(5)]
        turns = []
        for conversation_id in conversations[:4]:
            response = streams.enter_context(_send(client, conversation_id, "Talk for a while"))
            assert response.status_code == 200, response.read().decode()
            turns.append((conversation_id, next(_events(response)).data["generationId"]))

        with _send(client, conversations[4], "One more") as refused:
            body = refused.read().decode()
            assert refused.status_code == 429, body
            assert int(refused.headers["retry-after"]) >= 1
            assert "CONCURRENT_TURNS_EXCEEDED" in body and "user:concurrent_turns" in body
        # Refused before anything was stored: the conversation has no message.
        assert _messages(client, conversations[4]) == []

        for conversation_id, generation_id in turns:
            _stop(client, conversation_id, generation_id)
        for _ in range(50):  # the stopped turns give their places back (asynchronously)
            with _send(client, conversations[4], "Now it fits") as again:
                if again.status_code != 429:
                    assert again.status_code == 200, again.read().decode()
                    generation_id = next(_events(again)).data["generationId"]
                    break
            time.sleep(0.2)
        else:
            pytest.fail("the user's places were never given back")
        _stop(client, conversations[4], generation_id)


def test_twenty_users_of_the_default_tenant_run_turns_at_the_same_time(running: tuple[Mesh, MeshRun]) -> None:
    mesh, _ = running
    clients = [_user(mesh) for _ in range(USERS)]
    everyone_streaming = threading.Barrier(USERS, timeout=45)

    def turn(client: httpx.Client) -> str:
        conversation_id = _create(client)
        with _send(client, conversation_id, "Hello") as response:
            assert response.status_code == 200, response.read().decode()
            events = _events(response)
            generation_id = next(events).data["generationId"]
            assert any("delta" in event.data for event in events)
            # Every user's answer is streaming at once: none waits for another's to end
            # (each answer takes 60 s; a tenant limit would hold the rest back that long).
            everyone_streaming.wait()
        _stop(client, conversation_id, generation_id)
        return generation_id

    try:
        with ThreadPoolExecutor(USERS) as pool:
            generations = list(pool.map(turn, clients))
        assert len(set(generations)) == USERS
    finally:
        for client in clients:
            client.close()


def test_turns_lost_with_a_killed_conversation_process_are_closed(running: tuple[Mesh, MeshRun]) -> None:
    mesh, run = running
    with contextlib.closing(_user(mesh)) as client:
        conversations = [_create(client) for _ in range(3)]
        seen: dict[str, list[Event]] = {}
        with contextlib.ExitStack() as streams:
            readers = []
            for conversation_id in conversations:
                response = streams.enter_context(_send(client, conversation_id, "Talk for a while"))
                assert response.status_code == 200
                readers.append((conversation_id, _events(response)))
            for conversation_id, events in readers:  # each has streamed for a few seconds
                received = seen.setdefault(conversation_id, [])
                while sum(1 for e in received if "delta" in e.data) < 10:
                    received.append(next(events))
            os.kill(run.service_pid("conversation"), signal.SIGKILL)
            killed = time.monotonic()
            with contextlib.suppress(httpx.HTTPError):
                streams.close()

        for conversation_id, received in seen.items():
            generation_id = received[0].data["generationId"]
            rest = _resume_until_closed(client, conversation_id, generation_id, received[-1].id, killed)
            assert "error" in rest[-1].data, [e.data for e in rest]
            shown = _text(received) + _text(rest)
            answer = _messages(client, conversation_id)[-1]
            assert answer["status"] == "MESSAGE_STATUS_INCOMPLETE", answer
            stored = _content(answer)
            assert stored and shown.startswith(stored), (stored, shown)
        for conversation_id in conversations:
            statuses = [m.get("status") for m in _messages(client, conversation_id)]
            assert "MESSAGE_STATUS_IN_PROGRESS" not in statuses


def _resume_until_closed(
    client: httpx.Client, conversation_id: str, generation_id: str, last_id: str, killed: float
) -> list[Event]:
    """The rest of the turn from the restarted mesh, retried while conversation comes back up."""
    rest: list[Event] = []
    while time.monotonic() - killed < RECOVERY_SECONDS:
        try:
            with client.stream(
                "GET",
                f"/v1/conversations/{conversation_id}/generations/{generation_id}:resume",
                headers={"accept": "text/event-stream", "last-event-id": last_id},
                timeout=RECOVERY_SECONDS,
            ) as response:
                if response.status_code != 200:
                    response.read()
                    time.sleep(0.5)
                    continue
                for event in _events(response):
                    rest.append(event)
                    last_id = event.id or last_id
                    if "error" in event.data or "done" in event.data:
                        return rest
        except httpx.HTTPError:
            time.sleep(0.5)
    pytest.fail(f"turn {generation_id} was not closed within {RECOVERY_SECONDS} s of the kill")
