"""Rules for what a user may store on a conversation: title, tags, folder and generation settings.

Each check returns field violations (named as in the request, e.g.
``conversation.settings.temperature``) so one INVALID_ARGUMENT lists every problem.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from conversation.config import ConversationConfig
from mesh.errors import FieldViolation, InvalidArgument

__all__ = [
    "SettingsValues",
    "check_folder",
    "check_settings",
    "check_title",
    "normalize_tags",
    "raise_if_any",
]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/@+-]{0,127}$")
_TOOL = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
MAX_COMPLETION_TOKENS = 1_000_000
MAX_LIST_ITEMS = 64


@dataclass(frozen=True)
class SettingsValues:
    model: str = ""
    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    system_prompt: str = ""
    knowledge_base_ids: Sequence[str] = ()
    tools: Sequence[str] = ()
    agent_id: str = ""


def raise_if_any(violations: list[FieldViolation], message: str = "invalid conversation") -> None:
    if violations:
        raise InvalidArgument(message, violations)


def check_title(title: str, config: ConversationConfig, field: str) -> list[FieldViolation]:
    if len(title) > config.max_title_chars:
        return [FieldViolation(field, f"must be at most {config.max_title_chars} characters")]
    return []


def normalize_tags(
    tags: Sequence[str], config: ConversationConfig, field: str
) -> tuple[list[str], list[FieldViolation]]:
    """Lower-cased, trimmed, deduplicated in order; empty or over-long tags are violations."""
    normalized = list(dict.fromkeys(t.strip().lower() for t in tags))
    problems: list[FieldViolation] = []
    if any(not t for t in normalized):
        problems.append(FieldViolation(field, "tags must not be empty"))
    if any(len(t) > config.max_tag_chars for t in normalized):
        problems.append(FieldViolation(field, f"a tag must be at most {config.max_tag_chars} characters"))
    if len(normalized) > config.max_tags:
        problems.append(FieldViolation(field, f"at most {config.max_tags} tags"))
    return normalized, problems


def check_folder(folder: str, config: ConversationConfig, field: str) -> list[FieldViolation]:
    if not folder:
        return []
    if len(folder) > config.max_folder_chars:
        return [FieldViolation(field, f"must be at most {config.max_folder_chars} characters")]
    segments = folder.split("/")
    if any(not s.strip() or s != s.strip() for s in segments):
        return [FieldViolation(field, "a slash-separated path without empty segments or edge spaces")]
    return []


def _check_list(
    values: Sequence[str], pattern: re.Pattern[str], field: str, what: str
) -> list[FieldViolation]:
    problems: list[FieldViolation] = []
    if len(values) > MAX_LIST_ITEMS:
        problems.append(FieldViolation(field, f"at most {MAX_LIST_ITEMS} {what}"))
    if len(set(values)) != len(values):
        problems.append(FieldViolation(field, f"{what} must be unique"))
    bad = [v for v in values if not pattern.match(v)]
    if bad:
        problems.append(FieldViolation(field, f"not valid {what}: {', '.join(repr(b) for b in bad[:5])}"))
    return problems


def check_settings(values: SettingsValues, config: ConversationConfig, prefix: str) -> list[FieldViolation]:
    problems: list[FieldViolation] = []
    if values.model and not _NAME.match(values.model):
        problems.append(FieldViolation(f"{prefix}.model", "not a model name"))
    t = values.temperature
    if t is not None and (not math.isfinite(t) or not 0.0 <= t <= 2.0):
        problems.append(FieldViolation(f"{prefix}.temperature", "must be between 0 and 2"))
    p = values.top_p
    if p is not None and (not math.isfinite(p) or not 0.0 < p <= 1.0):
        problems.append(FieldViolation(f"{prefix}.top_p", "must be greater than 0 and at most 1"))
    m = values.max_tokens
    if m is not None and not 0 < m <= MAX_COMPLETION_TOKENS:
        problems.append(
            FieldViolation(f"{prefix}.max_tokens", f"must be between 1 and {MAX_COMPLETION_TOKENS}")
        )
    if len(values.system_prompt) > config.max_system_prompt_chars:
        problems.append(
            FieldViolation(
                f"{prefix}.system_prompt", f"must be at most {config.max_system_prompt_chars} characters"
            )
        )
    problems += _check_list(
        values.knowledge_base_ids, _ID, f"{prefix}.knowledge_base_ids", "knowledge base ids"
    )
    problems += _check_list(values.tools, _TOOL, f"{prefix}.tools", "tool names")
    if values.agent_id and not _ID.match(values.agent_id):
        problems.append(FieldViolation(f"{prefix}.agent_id", "not an agent id"))
    return problems
