"""A client that cancels a server stream mid-flight (an SSE disconnect at the gateway).

grpc leaves the handler's generator suspended at a ``yield`` and the event loop's finaliser
closes it later from a task of its own; the trace context must still be detached cleanly
and the access line still written with the call's request id and CANCELLED.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import grpc
from chatmesh.conversation.v1 import conversation_pb2_grpc, messages_pb2

from mesh.config import load_settings
from mesh.server import ServiceBinding, start_server
from mesh.stubs import unimplemented

SERVICE = "chatmesh.conversation.v1.ConversationService"


class Flood(unimplemented(conversation_pb2_grpc.ConversationServiceServicer, "test")):  # type: ignore[misc]
    async def SendMessage(self, request: Any, context: Any) -> Any:
        for index in range(100_000):
            event = messages_pb2.GenerationEvent(event_id=f"g.{index}", generation_id="g")
            yield messages_pb2.SendMessageResponse(event=event)


def _access_lines(caplog: Any) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "mesh.rpc" and "SendMessage" in r.getMessage()]


async def test_cancelled_streams_detach_their_trace_context(caplog: Any) -> None:
    settings = load_settings(_env_file=None)
    add = conversation_pb2_grpc.add_ConversationServiceServicer_to_server
    binding = ServiceBinding(SERVICE, add, Flood())
    running = await start_server("conversation", [binding], settings, port=0, metrics_port=-1)
    try:
        with caplog.at_level(logging.INFO):
            async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
                stub = conversation_pb2_grpc.ConversationServiceStub(channel)
                for index in range(5):
                    request = messages_pb2.SendMessageRequest(conversation_id="c", content="x")
                    call = stub.SendMessage(request, metadata=(("x-request-id", f"req-{index}"),))
                    await call.read()
                    await call.read()
                    call.cancel()
                for _ in range(20):
                    await asyncio.sleep(0.1)
                    if len(_access_lines(caplog)) >= 5:
                        break
    finally:
        await running.stop(0)
    failures = [r for r in caplog.records if "detach" in r.getMessage().lower()]
    assert not failures, failures[0].getMessage()
    lines = _access_lines(caplog)
    assert sorted(r.request_id for r in lines) == [f"req-{i}" for i in range(5)]  # type: ignore[attr-defined]
    assert {r.code for r in lines} == {"CANCELLED"}  # type: ignore[attr-defined]
