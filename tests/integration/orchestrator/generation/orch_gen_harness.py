"""orchestrator in process against the REAL model_router servicer and a fake LLM upstream.

One gRPC server hosts model_router's servicer (relay over a channel pointing at
tests/fakes/llm_upstream.py), an UNIMPLEMENTED knowledge service (knowledge is not built)
and optionally a fake conversation service; orchestrator instances (one or more, sharing
Postgres and Redis, as in a scaled deployment) reach them through mesh.clients.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import grpc
import httpx
from chatmesh.model_router.v1 import chat_pb2, model_router_pb2_grpc
from chatmesh.orchestrator.v1 import generation_pb2, orchestrator_pb2_grpc

from mesh import unbuilt
from mesh.clients import ServiceClients
from mesh.config import Settings
from mesh.db import create_engine
from mesh.discovery.static import StaticDiscovery
from mesh.redis_client import connect_redis
from mesh.server import ServiceBinding, start_server
from model_router.api import SERVICE_NAME as MODEL_ROUTER_SERVICE
from model_router.api import ModelRouterServicer
from model_router.deps import ModelRouterDeps
from model_router.relay import Relay, RetryPolicy
from orchestrator import api
from orchestrator.assembly import close_deps, open_deps
from orchestrator.config import OrchestratorSettings
from orchestrator.deps import OrchestratorDeps
from tests.fakes.llm_upstream import FakeLLMUpstream, FakeReply, FakeToolCall
from tests.integration.model_router.relay.relay_support import StaticChannels, channel_for

MODEL = "gpt-4o-mini"
POLICY = RetryPolicy(max_attempts=1, base_delay=0.001, max_delay=0.01, timeout_seconds=30.0)


@dataclass(frozen=True)
class FakeOutcome:
    status: str
    output: str
    error: str = ""
    seconds: float = 0.001
    citations: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class FakeSpec:
    name: str
    description: str
    parameters: dict[str, Any]


CALCULATOR_SCHEMA = {
    "type": "object",
    "properties": {"expression": {"type": "string"}},
    "required": ["expression"],
}


@dataclass
class FakeTools:
    """A stand-in ToolRegistry: a calculator that multiplies ``a*b`` and records its calls."""

    calls: list[tuple[str, str, str]] = field(default_factory=list)

    async def specs(self, tenant_id: str, names: Sequence[str]) -> list[FakeSpec]:
        return [FakeSpec(name, f"the {name} tool", CALCULATOR_SCHEMA) for name in names]

    async def call(self, tenant_id: str, name: str, arguments_json: str, *, timeout: float) -> FakeOutcome:  # noqa: ASYNC109
        self.calls.append((tenant_id, name, arguments_json))
        expression = json.loads(arguments_json)["expression"]
        left, _, right = expression.partition("*")
        return FakeOutcome("succeeded", json.dumps({"result": int(left) * int(right)}))


def calculator_script(expression: str = "6*7") -> Callable[[dict[str, Any]], FakeReply]:
    """A model that asks for the calculator, then answers with the tool's result."""

    def reply(body: dict[str, Any]) -> FakeReply:
        results = [m for m in body.get("messages", []) if m.get("role") == "tool"]
        if not results:
            call = FakeToolCall("call_calc_1", "calculator", json.dumps({"expression": expression}))
            return FakeReply(pieces=(), tool_calls=(call,))
        value = re.findall(r"-?\d+", results[-1]["content"])[-1]
        return FakeReply(pieces=("The answer", " is ", f"{value}", "."))

    return reply


def always_calls_tool(body: dict[str, Any]) -> FakeReply:
    """A model that never stops asking for the calculator."""
    turn = sum(1 for m in body.get("messages", []) if m.get("role") == "tool")
    call = FakeToolCall(f"call_{turn}", "calculator", json.dumps({"expression": f"{turn}*2"}))
    return FakeReply(pieces=(), tool_calls=(call,))


@dataclass
class Instance:
    deps: OrchestratorDeps
    stub: orchestrator_pb2_grpc.OrchestratorServiceStub


@dataclass
class OrchestratorMesh:
    upstream: FakeLLMUpstream
    instances: list[Instance]
    tools: FakeTools

    @property
    def stub(self) -> orchestrator_pb2_grpc.OrchestratorServiceStub:
        return self.instances[0].stub


def request(
    generation_id: str,
    text: str = "What is 6 times 7?",
    *,
    tenant_id: str = "tenant-a",
    **settings: Any,
) -> generation_pb2.GenerateRequest:
    return generation_pb2.GenerateRequest(
        generation_id=generation_id,
        tenant_id=tenant_id,
        user_id="user-1",
        conversation_id="conv-1",
        message_id="msg-1",
        messages=[chat_pb2.ChatMessage(role="user", content=text)],
        settings=generation_pb2.GenerationSettings(model=MODEL, **settings),
        user_name="Ada",
        locale="en",
    )


@contextlib.asynccontextmanager
async def _model_router_server(
    settings: Settings, upstream: FakeLLMUpstream, extra: Sequence[ServiceBinding]
) -> AsyncIterator[str]:
    async with httpx.AsyncClient() as http:
        channels = StaticChannels.of([channel_for(upstream, "fake")])
        deps = ModelRouterDeps(
            settings=settings,
            engine=cast(Any, None),
            sessions=cast(Any, None),
            redis=None,
            secrets=cast(Any, None),
            channels=cast(Any, channels),
            relay=Relay(channels, http, policy=POLICY, rng=random.Random(1)),
        )
        router = ServiceBinding(
            MODEL_ROUTER_SERVICE,
            model_router_pb2_grpc.add_ModelRouterServiceServicer_to_server,
            ModelRouterServicer(deps),
        )
        bindings = [router, *extra]
        knowledge = unbuilt.binding("knowledge", "KnowledgeService", issue="issue 7")
        if knowledge.name not in {binding.name for binding in extra}:
            bindings.append(knowledge)  # knowledge is not built: its Search is UNIMPLEMENTED
        running = await start_server("model_router", bindings, settings, port=0, metrics_port=-1)
        try:
            yield f"127.0.0.1:{running.port}"
        finally:
            await running.stop(0)


@contextlib.asynccontextmanager
async def orchestrator_mesh(
    settings: Settings,
    *,
    instances: int = 1,
    config: OrchestratorSettings | None = None,
    extra: Sequence[ServiceBinding] = (),
    real_tools: bool = False,
) -> AsyncIterator[OrchestratorMesh]:
    """``real_tools`` keeps the registry assembly builds (orch-tools' built-ins); else FakeTools."""
    upstream = FakeLLMUpstream()
    tools = FakeTools()
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(upstream.running())
        address = await stack.enter_async_context(_model_router_server(settings, upstream, extra))
        peers = settings.model_copy(
            update={
                "static_addresses": {name: address for name in ("model_router", "knowledge", "conversation")}
            }
        )
        clients = ServiceClients(peers, StaticDiscovery(peers))
        stack.push_async_callback(clients.close)
        engine = create_engine(settings, "orchestrator")
        stack.push_async_callback(engine.dispose)
        redis = connect_redis(settings)
        stack.push_async_callback(redis.aclose)
        started: list[Instance] = []
        for _ in range(instances):
            deps = await open_deps(settings, engine, redis, clients, config=config)
            stack.push_async_callback(close_deps, deps)
            if not real_tools:
                deps.tools = tools
            running = await start_server(
                "orchestrator", [api.binding(deps)], settings, port=0, metrics_port=-1
            )
            stack.push_async_callback(running.stop, 0)
            channel = grpc.aio.insecure_channel(f"127.0.0.1:{running.port}")
            stack.push_async_callback(channel.close, None)
            started.append(Instance(deps, orchestrator_pb2_grpc.OrchestratorServiceStub(channel)))
        yield OrchestratorMesh(upstream, started, tools)
