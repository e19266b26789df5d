"""Everything a turn needs before its first model call, checked before anything is generated.

Failures here (an unknown agent or tool, knowledge that cannot be searched, no history) are
the Generate RPC's status, and the turn is recorded as failed without having produced output.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from chatmesh.model_router.v1 import chat_pb2
from chatmesh.orchestrator.v1 import agents_pb2, generation_pb2
from google.protobuf import struct_pb2

from mesh.errors import FailedPrecondition
from orchestrator.deps import OrchestratorDeps
from orchestrator.generation.history import fetch_window
from orchestrator.generation.prompt import (
    assemble_messages,
    builtin_variables,
    last_user_text,
    render_template,
)
from orchestrator.generation.retrieval import retrieve
from orchestrator.generation.turn_settings import TurnSettings, merge_settings

__all__ = ["PreparedTurn", "prepare_turn"]


@dataclass
class PreparedTurn:
    settings: TurnSettings
    messages: list[chat_pb2.ChatMessage]
    tools: list[chat_pb2.Tool] = field(default_factory=list)
    citations: list[generation_pb2.Citation] = field(default_factory=list)


async def _agent(deps: OrchestratorDeps, tenant_id: str, agent_id: str) -> agents_pb2.Agent | None:
    if not agent_id:
        return None
    if deps.agents is None:
        raise FailedPrecondition("agents are not available on this orchestrator", reason="AGENTS_UNAVAILABLE")
    return await deps.agents.get(tenant_id, agent_id)


async def _tools(deps: OrchestratorDeps, tenant_id: str, names: tuple[str, ...]) -> list[chat_pb2.Tool]:
    if not names:
        return []
    if deps.tools is None:
        raise FailedPrecondition("tools are not available on this orchestrator", reason="TOOLS_UNAVAILABLE")
    tools = []
    for spec in await deps.tools.specs(tenant_id, names):
        parameters = struct_pb2.Struct()
        parameters.update(spec.parameters or {"type": "object", "properties": {}})
        tools.append(
            chat_pb2.Tool(
                type="function",
                function=chat_pb2.FunctionDefinition(
                    name=spec.name, description=spec.description, parameters=parameters
                ),
            )
        )
    return tools


async def prepare_turn(
    deps: OrchestratorDeps, request: generation_pb2.GenerateRequest, tenant_id: str
) -> PreparedTurn:
    agent = await _agent(deps, tenant_id, request.settings.agent_id)
    settings = merge_settings(request.settings, agent, deps.config)
    tools = await _tools(deps, tenant_id, settings.tools)
    history = list(request.messages)
    system_template, summary = settings.system_prompt, request.history_summary
    if not history:
        window = await fetch_window(deps.clients, request.conversation_id, request.message_id, settings.model)
        history = window.messages
        system_template = system_template or window.system_prompt
        summary = summary or window.summary
    variables = builtin_variables(
        dt.datetime.now(dt.UTC), request.user_name, request.locale or deps.config.default_locale
    )
    variables.update(settings.template_variables)
    citations: list[generation_pb2.Citation] = []
    if settings.knowledge_base_ids:
        citations = await retrieve(
            deps.clients, last_user_text(history), settings.knowledge_base_ids, settings.retrieval_top_k
        )
    messages = assemble_messages(render_template(system_template, variables), summary, citations, history)
    return PreparedTurn(settings=settings, messages=messages, tools=tools, citations=citations)
