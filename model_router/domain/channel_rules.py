"""What a valid channel is: the rules admin RPCs check before anything is written.

Violations are collected, not raised one by one, so an admin sees every bad field of a
request at once (google.rpc.BadRequest). Field names are the proto's (``channel.base_url``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from mesh.errors import FieldViolation
from model_router.domain.channels import ModelAbility

__all__ = [
    "DEFAULT_BASE_URLS",
    "KEY_SELECTIONS",
    "PROVIDER_TYPES",
    "ChannelDraft",
    "resolve_base_url",
    "validate_channel",
    "validate_keys",
]

# Provider types the adapters know; "openai" covers any OpenAI-compatible upstream.
PROVIDER_TYPES = frozenset(
    {
        "openai",
        "azure",
        "anthropic",
        "gemini",
        "deepseek",
        "qwen",
        "dashscope",
        "zhipu",
        "moonshot",
        "minimax",
        "ollama",
        "vllm",
    }
)
DEFAULT_BASE_URLS: Mapping[str, str] = {
    "openai": "https://api.openai.com/v1",
    "anthropic": "https://api.anthropic.com",
    "gemini": "https://generativelanguage.googleapis.com",
    "deepseek": "https://api.deepseek.com/v1",
    "qwen": "https://dashscope.aliyuncs.com/compatible-mode/v1",
    "dashscope": "https://dashscope.aliyuncs.com",
    "zhipu": "https://open.bigmodel.cn/api/paas/v4",
    "moonshot": "https://api.moonshot.cn/v1",
    "minimax": "https://api.minimax.chat/v1",
    "ollama": "http://127.0.0.1:11434/v1",
}
KEY_SELECTIONS = ("random", "round_robin")

MAX_NAME = 100
MAX_MODELS = 1000
MAX_GROUPS = 100
MAX_TAGS = 50
MAX_KEYS = 1000
MAX_KEY_LENGTH = 4096
MAX_WEIGHT = 100_000
MAX_PRIORITY = 1_000_000
MAX_DESCRIPTION = 2000
_MODEL_RE = re.compile(r"^[A-Za-z0-9._:/@+-]{1,200}\*?$|^\*$")
_LABEL_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


@dataclass(frozen=True)
class ChannelDraft:
    """A channel's writable fields as plain values, before they are stored."""

    name: str
    type: str
    base_url: str
    models: tuple[str, ...] = ()
    model_mapping: Mapping[str, str] = field(default_factory=dict)
    groups: tuple[str, ...] = ("default",)
    priority: int = 0
    weight: int = 1
    abilities: tuple[ModelAbility, ...] = ()
    test_model: str | None = None
    key_selection: str = "random"
    settings: Mapping[str, object] = field(default_factory=dict)
    timeout_ms: int | None = None
    rpm_limit: int = 0
    tpm_limit: int = 0
    tags: tuple[str, ...] = ()
    description: str = ""


def resolve_base_url(provider_type: str, base_url: str) -> str:
    """The given URL without a trailing slash, or the type's default when empty ("" if none)."""
    return base_url.rstrip("/") if base_url else DEFAULT_BASE_URLS.get(provider_type, "")


def _url_violation(url: str) -> str | None:
    if not url:
        return "required for this provider type"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http(s) URL with a host"
    if parts.query or parts.fragment:
        return "must not carry a query or fragment"
    return None


def _list_violations(
    prefix: str, values: Sequence[str], pattern: re.Pattern[str], limit: int
) -> list[FieldViolation]:
    if len(values) > limit:
        return [FieldViolation(prefix, f"at most {limit} entries")]
    return [
        FieldViolation(f"{prefix}[{i}]", "not a valid name")
        for i, v in enumerate(values)
        if not pattern.match(v)
    ]


def validate_channel(draft: ChannelDraft, prefix: str = "channel") -> list[FieldViolation]:
    """Every rule a stored channel must satisfy; an empty list means valid."""
    bad: list[FieldViolation] = []
    if not draft.name.strip() or len(draft.name) > MAX_NAME:
        bad.append(FieldViolation(f"{prefix}.name", f"required, at most {MAX_NAME} characters"))
    if draft.type not in PROVIDER_TYPES:
        bad.append(FieldViolation(f"{prefix}.type", f"must be one of {', '.join(sorted(PROVIDER_TYPES))}"))
    elif (problem := _url_violation(draft.base_url)) is not None:
        bad.append(FieldViolation(f"{prefix}.base_url", problem))
    if not draft.models and not draft.model_mapping:
        bad.append(
            FieldViolation(f"{prefix}.models", "at least one model or model_mapping entry is required")
        )
    bad += _list_violations(f"{prefix}.models", draft.models, _MODEL_RE, MAX_MODELS)
    for alias, target in draft.model_mapping.items():
        if (
            not _MODEL_RE.match(alias)
            or alias.endswith("*")
            or not _MODEL_RE.match(target)
            or target.endswith("*")
        ):
            bad.append(
                FieldViolation(
                    f"{prefix}.model_mapping[{alias[:64]}]", "alias and target must be model names"
                )
            )
    bad += _list_violations(f"{prefix}.groups", draft.groups, _LABEL_RE, MAX_GROUPS)
    bad += _list_violations(f"{prefix}.tags", draft.tags, _LABEL_RE, MAX_TAGS)
    if not 0 <= draft.weight <= MAX_WEIGHT:
        bad.append(FieldViolation(f"{prefix}.weight", f"must be between 0 and {MAX_WEIGHT}"))
    if not -MAX_PRIORITY <= draft.priority <= MAX_PRIORITY:
        bad.append(
            FieldViolation(f"{prefix}.priority", f"must be between -{MAX_PRIORITY} and {MAX_PRIORITY}")
        )
    for i, ability in enumerate(draft.abilities):
        if not _MODEL_RE.match(ability.pattern):
            bad.append(FieldViolation(f"{prefix}.abilities[{i}].model", "not a model name or pattern"))
        for limit in ("max_context_tokens", "max_output_tokens"):
            value = getattr(ability, limit)
            if value is not None and value <= 0:
                bad.append(FieldViolation(f"{prefix}.abilities[{i}].{limit}", "must be positive"))
    if draft.test_model is not None and (
        not _MODEL_RE.match(draft.test_model) or draft.test_model.endswith("*")
    ):
        bad.append(FieldViolation(f"{prefix}.test_model", "not a model name"))
    if draft.key_selection not in KEY_SELECTIONS:
        bad.append(FieldViolation(f"{prefix}.key_selection", "unknown key selection"))
    if draft.timeout_ms is not None and not 0 < draft.timeout_ms <= 3_600_000:
        bad.append(FieldViolation(f"{prefix}.timeout", "must be between 1 ms and 1 hour"))
    if draft.rpm_limit < 0:
        bad.append(FieldViolation(f"{prefix}.rpm_limit", "must not be negative"))
    if draft.tpm_limit < 0:
        bad.append(FieldViolation(f"{prefix}.tpm_limit", "must not be negative"))
    if len(draft.description) > MAX_DESCRIPTION:
        bad.append(FieldViolation(f"{prefix}.description", f"at most {MAX_DESCRIPTION} characters"))
    return bad


def validate_keys(keys: Sequence[str], field_name: str) -> list[FieldViolation]:
    """Keys are opaque, but must be present, single-line and of sane length."""
    if len(keys) > MAX_KEYS:
        return [FieldViolation(field_name, f"at most {MAX_KEYS} keys")]
    return [
        FieldViolation(f"{field_name}[{i}]", "must be 1 to 4096 characters without whitespace")
        for i, key in enumerate(keys)
        if not key or len(key) > MAX_KEY_LENGTH or any(ch.isspace() for ch in key)
    ]
