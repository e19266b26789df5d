"""The settings one turn runs with: the conversation's own over its agent's, over the service defaults.

A field the conversation leaves unset (empty string, empty list, absent optional) takes the
agent's value; sampling parameters merge field by field, so a conversation can change the
temperature of an agent without restating its other parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chatmesh.orchestrator.v1 import agents_pb2, generation_pb2

from mesh.errors import FieldViolation, InvalidArgument
from orchestrator.config import OrchestratorSettings

__all__ = ["TurnSettings", "merge_settings"]

_PARAMETER_FIELDS = ("temperature", "top_p", "max_tokens", "presence_penalty", "frequency_penalty")


@dataclass(frozen=True)
class TurnSettings:
    model: str
    parameters: generation_pb2.ModelParameters
    system_prompt: str
    template_variables: dict[str, str] = field(default_factory=dict)
    knowledge_base_ids: tuple[str, ...] = ()
    tools: tuple[str, ...] = ()
    max_tool_steps: int = 8
    retrieval_top_k: int = 5
    agent_id: str = ""


def _merge_parameters(
    own: generation_pb2.ModelParameters, agent: generation_pb2.ModelParameters
) -> generation_pb2.ModelParameters:
    merged = generation_pb2.ModelParameters()
    merged.CopyFrom(agent)
    for name in _PARAMETER_FIELDS:
        if own.HasField(name):
            setattr(merged, name, getattr(own, name))
    if own.stop:
        del merged.stop[:]
        merged.stop.extend(own.stop)
    if own.reasoning_effort:
        merged.reasoning_effort = own.reasoning_effort
    return merged


def merge_settings(
    own: generation_pb2.GenerationSettings,
    agent: agents_pb2.Agent | None,
    config: OrchestratorSettings,
) -> TurnSettings:
    """The effective settings; InvalidArgument for step or retrieval limits out of range."""
    base = agent or agents_pb2.Agent()
    variables = dict(base.template_variables)
    variables.update(own.template_variables)
    if own.HasField("max_tool_steps"):
        steps = own.max_tool_steps
    elif base.HasField("max_tool_steps"):
        steps = base.max_tool_steps
    else:
        steps = config.default_max_tool_steps
    top_k = own.retrieval_top_k if own.HasField("retrieval_top_k") else config.default_retrieval_top_k
    violations = []
    if not 1 <= steps <= config.max_tool_steps_limit:
        violations.append(
            FieldViolation("settings.max_tool_steps", f"must be between 1 and {config.max_tool_steps_limit}")
        )
    if not 1 <= top_k <= 50:
        violations.append(FieldViolation("settings.retrieval_top_k", "must be between 1 and 50"))
    if violations:
        raise InvalidArgument("The generation settings are out of range.", violations)
    return TurnSettings(
        model=own.model or base.model or config.default_model,
        parameters=_merge_parameters(own.parameters, base.parameters),
        system_prompt=own.system_prompt or base.system_prompt_template,
        template_variables=variables,
        knowledge_base_ids=tuple(own.knowledge_base_ids or base.knowledge_base_ids),
        tools=tuple(own.tools or base.tools),
        max_tool_steps=steps,
        retrieval_top_k=top_k,
        agent_id=own.agent_id,
    )
