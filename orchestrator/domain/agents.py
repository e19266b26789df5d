"""Checks on an agent draft before it is stored; every problem is reported at once.

Tool names are checked against the tenant's registry by the API (they depend on the
tenant's MCP servers); everything else is checked here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from mesh.errors import FieldViolation

__all__ = ["MAX_NAME_CHARS", "validate_agent"]

MAX_NAME_CHARS = 100
MAX_DESCRIPTION_CHARS = 2_000
MAX_PROMPT_CHARS = 50_000
MAX_VARIABLES = 50
MAX_VARIABLE_CHARS = 10_000
MAX_TOOLS = 64
MAX_KNOWLEDGE_BASES = 20
MAX_STOP_SEQUENCES = 4
REASONING_EFFORTS = ("", "minimal", "low", "medium", "high")

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MODEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/@+-]{0,199}$")
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
_RANGES: dict[str, tuple[float, float, bool]] = {
    "temperature": (0.0, 2.0, True),
    "top_p": (0.0, 1.0, False),
    "presence_penalty": (-2.0, 2.0, True),
    "frequency_penalty": (-2.0, 2.0, True),
}


def _name(name: str) -> list[FieldViolation]:
    if not name:
        return [FieldViolation("agent.name", "required")]
    if len(name) > MAX_NAME_CHARS or _CONTROL.search(name):
        return [FieldViolation("agent.name", f"at most {MAX_NAME_CHARS} characters, no control characters")]
    return []


def _parameters(parameters: dict[str, Any]) -> list[FieldViolation]:
    bad = []
    for field, (low, high, low_inclusive) in _RANGES.items():
        if field in parameters:
            value = float(parameters[field])
            if not (low <= value if low_inclusive else low < value) or value > high:
                bound = "[" if low_inclusive else "("
                bad.append(
                    FieldViolation(f"agent.parameters.{field}", f"must be in {bound}{low:g}, {high:g}]")
                )
    if "max_tokens" in parameters and not 1 <= int(parameters["max_tokens"]) <= 1_000_000:
        bad.append(FieldViolation("agent.parameters.max_tokens", "must be between 1 and 1000000"))
    stop = parameters.get("stop", [])
    if len(stop) > MAX_STOP_SEQUENCES or any(not s or len(s) > 200 for s in stop):
        bad.append(
            FieldViolation(
                "agent.parameters.stop", f"at most {MAX_STOP_SEQUENCES} non-empty sequences ≤ 200 chars"
            )
        )
    if parameters.get("reasoning_effort", "") not in REASONING_EFFORTS:
        bad.append(FieldViolation("agent.parameters.reasoning_effort", "minimal, low, medium or high"))
    return bad


def _list(values: Sequence[str], field: str, limit: int, pattern: re.Pattern[str]) -> list[FieldViolation]:
    bad = []
    if len(values) > limit:
        bad.append(FieldViolation(field, f"at most {limit}"))
    if len(set(values)) != len(values):
        bad.append(FieldViolation(field, "duplicates are not allowed"))
    bad += [
        FieldViolation(f"{field}[{i}]", "malformed") for i, v in enumerate(values) if not pattern.match(v)
    ]
    return bad


def validate_agent(draft: dict[str, Any], *, max_tool_steps_limit: int) -> list[FieldViolation]:
    bad = _name(draft["name"])
    if len(draft["description"]) > MAX_DESCRIPTION_CHARS:
        bad.append(FieldViolation("agent.description", f"at most {MAX_DESCRIPTION_CHARS} characters"))
    if len(draft["system_prompt_template"]) > MAX_PROMPT_CHARS:
        bad.append(FieldViolation("agent.system_prompt_template", f"at most {MAX_PROMPT_CHARS} characters"))
    variables: dict[str, str] = draft["template_variables"]
    if len(variables) > MAX_VARIABLES:
        bad.append(FieldViolation("agent.template_variables", f"at most {MAX_VARIABLES} variables"))
    for key, value in variables.items():
        if not _VARIABLE.match(key) or len(value) > MAX_VARIABLE_CHARS:
            bad.append(
                FieldViolation(
                    f"agent.template_variables[{key}]", "name [A-Za-z_][A-Za-z0-9_]*, value ≤ 10000"
                )
            )
    if draft["model"] and not _MODEL.match(draft["model"]):
        bad.append(FieldViolation("agent.model", "not a model name"))
    bad += _parameters(draft["parameters"])
    bad += _list(draft["tools"], "agent.tools", MAX_TOOLS, re.compile(r"^[A-Za-z0-9_-]{1,64}$"))
    bad += _list(draft["knowledge_base_ids"], "agent.knowledge_base_ids", MAX_KNOWLEDGE_BASES, _ID)
    steps = draft["max_tool_steps"]
    if steps is not None and not 1 <= steps <= max_tool_steps_limit:
        bad.append(FieldViolation("agent.max_tool_steps", f"must be between 1 and {max_tool_steps_limit}"))
    if draft["visibility"] not in ("private", "tenant"):
        bad.append(FieldViolation("agent.visibility", "PRIVATE or TENANT"))
    return bad
