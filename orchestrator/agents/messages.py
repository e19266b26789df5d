"""Mapping agents between rows and protos, and applying an update mask to a draft.

A draft is the dict of the columns a caller may set; create builds one from the
request, update starts from the stored row and overwrites the masked fields.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from chatmesh.orchestrator.v1 import agents_pb2, generation_pb2
from google.protobuf import json_format

from mesh.errors import FieldViolation, InvalidArgument

__all__ = [
    "UPDATABLE",
    "VISIBILITY_FROM_PROTO",
    "agent_message",
    "apply_update",
    "draft_from_message",
    "draft_from_row",
    "etag_of",
    "update_paths",
]

VISIBILITY_FROM_PROTO = {
    agents_pb2.AGENT_VISIBILITY_UNSPECIFIED: "",
    agents_pb2.AGENT_VISIBILITY_PRIVATE: "private",
    agents_pb2.AGENT_VISIBILITY_TENANT: "tenant",
}
_VISIBILITY_TO_PROTO = {
    "private": agents_pb2.AGENT_VISIBILITY_PRIVATE,
    "tenant": agents_pb2.AGENT_VISIBILITY_TENANT,
}
_PARAMETER_FIELDS = frozenset(f.name for f in generation_pb2.ModelParameters.DESCRIPTOR.fields)
UPDATABLE = (
    "name",
    "description",
    "system_prompt_template",
    "template_variables",
    "model",
    "parameters",
    "tools",
    "knowledge_base_ids",
    "max_tool_steps",
    "visibility",
)


def etag_of(row: Mapping[str, Any]) -> str:
    return hashlib.sha256(f"{row['id']}:{row['version']}".encode()).hexdigest()[:20]


def _parameters_dict(parameters: generation_pb2.ModelParameters) -> dict[str, Any]:
    return json_format.MessageToDict(parameters, preserving_proto_field_name=True)


def agent_message(row: Mapping[str, Any]) -> agents_pb2.Agent:
    agent = agents_pb2.Agent(
        id=str(row["id"]),
        tenant_id=row["tenant_id"],
        owner_user_id=row["owner_user_id"],
        name=row["name"],
        description=row["description"],
        system_prompt_template=row["system_prompt_template"],
        template_variables=row["template_variables"],
        model=row["model"],
        parameters=json_format.ParseDict(row["parameters"], generation_pb2.ModelParameters()),
        tools=row["tools"],
        knowledge_base_ids=row["knowledge_base_ids"],
        visibility=_VISIBILITY_TO_PROTO[row["visibility"]],
        etag=etag_of(row),
    )
    if row["max_tool_steps"] is not None:
        agent.max_tool_steps = row["max_tool_steps"]
    agent.create_time.FromDatetime(row["create_time"])
    agent.update_time.FromDatetime(row["update_time"])
    return agent


def draft_from_message(agent: agents_pb2.Agent) -> dict[str, Any]:
    return {
        "name": agent.name.strip(),
        "description": agent.description,
        "system_prompt_template": agent.system_prompt_template,
        "template_variables": dict(agent.template_variables),
        "model": agent.model.strip(),
        "parameters": _parameters_dict(agent.parameters),
        "tools": list(agent.tools),
        "knowledge_base_ids": list(agent.knowledge_base_ids),
        "max_tool_steps": agent.max_tool_steps if agent.HasField("max_tool_steps") else None,
        "visibility": VISIBILITY_FROM_PROTO.get(agent.visibility, "?") or "private",
    }


def draft_from_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {name: row[name] for name in UPDATABLE}


def _is_set(agent: agents_pb2.Agent, name: str) -> bool:
    if name in ("parameters", "max_tool_steps"):
        return agent.HasField(name)
    value = getattr(agent, name)
    return bool(len(value)) if name in ("template_variables", "tools", "knowledge_base_ids") else bool(value)


def update_paths(agent: agents_pb2.Agent, mask: Sequence[str]) -> list[str]:
    """The paths to change: the mask's (checked), or every field set in ``agent`` when it is empty."""
    if not mask:
        return [name for name in UPDATABLE if _is_set(agent, name)]
    bad = []
    for path in mask:
        head, _, rest = path.partition(".")
        if head not in UPDATABLE or (rest and (head != "parameters" or rest not in _PARAMETER_FIELDS)):
            bad.append(FieldViolation("update_mask", f"{path!r} cannot be updated"))
    if bad:
        raise InvalidArgument("bad update_mask", bad)
    return list(dict.fromkeys(mask))


def apply_update(draft: dict[str, Any], agent: agents_pb2.Agent, paths: Sequence[str]) -> dict[str, Any]:
    """``draft`` with the masked fields taken from ``agent`` (unset ones cleared)."""
    fresh = draft_from_message(agent)
    updated = dict(draft)
    parameters = dict(draft["parameters"])
    for path in paths:
        head, _, rest = path.partition(".")
        if head == "parameters" and rest:
            if rest in fresh["parameters"]:
                parameters[rest] = fresh["parameters"][rest]
            else:
                parameters.pop(rest, None)
        elif head == "parameters":
            parameters = dict(fresh["parameters"])
        else:
            updated[head] = fresh[head]
    updated["parameters"] = parameters
    return updated
