"""SSE through the gateway for conversation turns: ``id:`` lines carry the event ids, and a
reconnect with ``Last-Event-ID`` (on the resume route, or on the send route itself) gets
exactly the events after it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import uvicorn
from chatmesh.orchestrator.v1 import generation_pb2
from starlette.applications import Starlette

from gateway.app import create_app
from mesh.clients import ServiceClients
from mesh.config import Settings, load_settings
from mesh.discovery import make_discovery
from mesh.infra import Infra
from mesh.migrate import migrate
from tests.fakes.orchestrator_fake import Script
from tests.integration.conversation.generation.gen_harness import Chat, close_chat, open_chat

WORDS = [f"w{i} " for i in range(12)]
AUTH = {"authorization": "Bearer alice"}


@dataclass
class SseEvent:
    name: str = "message"
    id: str = ""
    data: list[str] = field(default_factory=list)

    def json(self) -> Any:
        return json.loads("\n".join(self.data))


async def sse_events(
    response: httpx.Response, stop: Callable[[list[SseEvent]], bool] | None = None
) -> list[SseEvent]:
    """Parse the stream as an EventSource does, until ``done`` or until ``stop`` says enough."""
    events: list[SseEvent] = []
    current = SseEvent()
    async for line in response.aiter_lines():
        if line == "":
            if current.data:
                events.append(current)
                if current.name == "done" or (stop is not None and stop(events)):
                    return events
            current = SseEvent()
        elif not line.startswith(":"):
            key, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if key == "event":
                current.name = value
            elif key == "id":
                current.id = value
            elif key == "data":
                current.data.append(value)
    return events


def deltas(events: list[SseEvent]) -> str:
    return "".join(e.json().get("delta", {}).get("text", "") for e in events if e.name == "message")


@pytest.fixture(scope="module")
def gw_conv_database(infra: Infra) -> Iterator[str]:
    assert infra.postgres is not None
    name = f"test_gwconv_{uuid.uuid4().hex[:10]}"
    infra.postgres.psql(f'CREATE DATABASE "{name}"', database="postgres")
    yield infra.postgres.url_for(name)
    infra.postgres.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', database="postgres")


@pytest_asyncio.fixture(scope="module")
async def gw_conv_settings(
    gw_conv_database: str,
    infra: Infra,
    tmp_path_factory: pytest.TempPathFactory,
    settings_factory: Callable[[Path, str, str], Settings],
) -> Settings:
    settings = settings_factory(tmp_path_factory.mktemp("gwconv") / "data", gw_conv_database, infra.redis_url)
    await migrate(settings, ["conversation"])
    return settings


@contextlib.asynccontextmanager
async def serving(app: Starlette) -> AsyncIterator[str]:
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


@pytest_asyncio.fixture
async def edge(gw_conv_settings: Settings) -> AsyncIterator[tuple[Chat, httpx.AsyncClient]]:
    chat = await open_chat(gw_conv_settings)
    settings = load_settings(
        _env_file=None, static_addresses={"conversation": chat.address}, gateway_sse_heartbeat_seconds=0.5
    )
    discovery = make_discovery(settings)
    clients = ServiceClients(settings, discovery)
    app = create_app(settings, clients)
    try:
        async with serving(app) as base_url, httpx.AsyncClient(base_url=base_url, timeout=30.0) as http:
            yield chat, http
    finally:
        await clients.close()
        await discovery.close()
        await close_chat(chat)


def interactive(chat: Chat) -> list[generation_pb2.GenerateRequest]:
    return [r for r in chat.fake.requests if r.priority == generation_pb2.GENERATION_PRIORITY_INTERACTIVE]


async def test_sse_ids_are_event_ids_and_last_event_id_resumes(edge: tuple[Chat, httpx.AsyncClient]) -> None:
    chat, http = edge
    chat.fake.scripts.append(Script(deltas=WORDS, delay=0.05))
    created = await http.post("/v1/conversations", json={}, headers=AUTH)
    assert created.status_code == 200, created.text
    conversation_id = created.json()["id"]
    send_path = f"/v1/conversations/{conversation_id}/messages:send"

    async with http.stream("POST", send_path, json={"content": "hello"}, headers=AUTH) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        first = await sse_events(response, stop=lambda seen: deltas(seen).count("w") >= 3)
    started = first[0].json()
    generation_id = started["generationId"]
    assert started["started"]["assistantMessageId"]
    assert [e.id for e in first] == [f"{generation_id}:{n}" for n in range(1, len(first) + 1)]
    assert all(e.id == e.json()["eventId"] for e in first)

    resume_path = f"/v1/conversations/{conversation_id}/generations/{generation_id}:resume"
    headers = {**AUTH, "last-event-id": first[-1].id}
    async with http.stream("GET", resume_path, headers=headers) as response:
        assert response.status_code == 200
        rest = await sse_events(response)
    assert rest[-1].name == "done"
    data = [e for e in rest if e.name == "message"]
    assert [e.id for e in data] == [
        f"{generation_id}:{n}" for n in range(len(first) + 1, len(first) + 1 + len(data))
    ]
    assert deltas(first) + deltas(rest) == "".join(WORDS)
    assert data[-1].json()["done"]["message"]["status"] == "MESSAGE_STATUS_COMPLETE"

    again_headers = {**AUTH, "last-event-id": first[-2].id}
    async with http.stream("POST", send_path, json={"content": "hello"}, headers=again_headers) as response:
        replay = await sse_events(response)
    assert next(e.id for e in replay if e.name == "message") == first[-1].id
    assert deltas(replay) == "".join(WORDS)[len(deltas(first[:-1])) :]
    assert len(interactive(chat)) == 1
