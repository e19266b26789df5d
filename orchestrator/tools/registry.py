"""The tool registry a turn drives: specs for the model, and validated, time-limited calls.

Every tenant sees the built-ins plus the tools of its own MCP servers (see
orchestrator.tools.mcp_catalog). A call never raises for a fault of the tool or of the
model's arguments: the outcome says ``rejected`` (unknown tool, arguments that are not
JSON or do not match the schema), ``timed_out`` or ``failed``, with an error text written
for the model to read and correct itself.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import jsonschema
from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator

from mesh.errors import FieldViolation, InvalidArgument
from orchestrator.tools.errors import ToolError

__all__ = [
    "MAX_ERROR_CHARS",
    "MAX_OUTPUT_CHARS",
    "ToolEntry",
    "ToolOutcome",
    "ToolProvider",
    "ToolRegistry",
    "ToolResult",
    "ToolSpec",
    "make_validator",
]

log = logging.getLogger(__name__)

MAX_OUTPUT_CHARS = 32_000
MAX_ERROR_CHARS = 2_000

ToolResult = str | tuple[str, list[dict[str, Any]]]
Runner = Callable[[dict[str, Any]], Awaitable[ToolResult]]


@dataclass(frozen=True)
class ToolSpec:
    """What the model is told about a tool."""

    name: str
    description: str
    parameters: dict[str, Any]


@dataclass(frozen=True)
class ToolOutcome:
    """How one call went; ``citations`` come only from knowledge search."""

    status: str  # "succeeded" | "failed" | "timed_out" | "rejected"
    output: str
    error: str
    seconds: float
    citations: list[dict[str, Any]] = field(default_factory=list)


def make_validator(schema: dict[str, Any]) -> Validator:
    """A validator for ``schema`` (its own $schema dialect, else 2020-12); SchemaError if invalid."""
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    cls.check_schema(schema)
    return cls(schema)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class ToolEntry:
    """A callable tool as the registry holds it (ListTools shows these)."""

    name: str
    display_name: str
    description: str
    parameters: dict[str, Any]
    run: Runner = field(compare=False, repr=False)
    validator: Validator = field(compare=False, repr=False)
    source: str = "builtin"  # "builtin" | "mcp"
    mcp_server_id: str = ""
    timeout: float | None = None

    @property
    def spec(self) -> ToolSpec:
        return ToolSpec(self.name, self.description, self.parameters)


class ToolProvider(Protocol):
    """Tenant-specific tools (the MCP catalog); the registry merges them with the built-ins."""

    async def tools(self, tenant_id: str) -> list[ToolEntry]: ...


def _rejection(error: jsonschema.ValidationError) -> str:
    where = "/".join(str(p) for p in error.absolute_path)
    return f"arguments do not match the tool's schema: {error.message}" + (f" (at {where})" if where else "")


class ToolRegistry:
    def __init__(self, builtins: Sequence[ToolEntry], provider: ToolProvider | None = None) -> None:
        self._builtins = {t.name: t for t in builtins}
        self._provider = provider

    @property
    def provider(self) -> ToolProvider | None:
        """Where tenant tools come from (the MCP catalog in a running service)."""
        return self._provider

    async def catalog(self, tenant_id: str) -> dict[str, ToolEntry]:
        """Every tool the tenant's turns may call, by name (built-ins win a name clash)."""
        extra = await self._provider.tools(tenant_id) if self._provider is not None else []
        merged = {t.name: t for t in extra if t.name not in self._builtins}
        return {**self._builtins, **merged}

    async def specs(self, tenant_id: str, names: Sequence[str]) -> list[ToolSpec]:
        """Specs of ``names`` in that order; InvalidArgument naming every unknown one."""
        if not names:
            return []
        catalog = await self.catalog(tenant_id)
        unknown = [n for n in names if n not in catalog]
        if unknown:
            raise InvalidArgument(
                f"unknown tool {', '.join(unknown)}",
                [FieldViolation("tools", f"no tool named {n!r} (see ListTools)") for n in unknown],
                reason="TOOL_NOT_FOUND",
            )
        return [catalog[n].spec for n in dict.fromkeys(names)]

    async def call(
        self,
        tenant_id: str,
        name: str,
        arguments_json: str,
        *,
        timeout: float,  # noqa: ASYNC109 - the interface the turn runner codes against names it so
    ) -> ToolOutcome:
        started = time.monotonic()

        def outcome(
            status: str, output: str = "", error: str = "", citations: list[dict[str, Any]] | None = None
        ) -> ToolOutcome:
            error = error if len(error) <= MAX_ERROR_CHARS else error[:MAX_ERROR_CHARS] + " [truncated]"
            return ToolOutcome(status, output, error, time.monotonic() - started, citations or [])

        try:
            entry = (await self.catalog(tenant_id)).get(name)
        except Exception:
            log.exception("listing tools for tenant %s failed", tenant_id)
            return outcome("failed", error="the tool catalogue is unavailable right now")
        if entry is None:
            return outcome("rejected", error=f"unknown tool {name!r}")
        try:
            arguments = json.loads(arguments_json or "{}")
        except json.JSONDecodeError as exc:
            return outcome("rejected", error=f"arguments are not valid JSON: {exc.msg} at position {exc.pos}")
        except RecursionError:
            return outcome("rejected", error="arguments are nested too deeply")
        if not isinstance(arguments, dict):
            return outcome("rejected", error="arguments must be a JSON object")
        error = best_match(entry.validator.iter_errors(arguments))
        if error is not None:
            return outcome("rejected", error=_rejection(error))
        limit = min(timeout, entry.timeout) if entry.timeout else timeout
        try:
            async with asyncio.timeout(limit):
                result = await entry.run(arguments)
        except TimeoutError:
            return outcome("timed_out", error=f"the tool did not finish within {limit:g} s")
        except ToolError as exc:
            return outcome("failed", error=str(exc) or "the tool failed")
        except Exception as exc:
            log.exception("tool %s failed", name)
            return outcome("failed", error=f"the tool failed unexpectedly ({type(exc).__name__})")
        text, citations = result if isinstance(result, tuple) else (result, [])
        if len(text) > MAX_OUTPUT_CHARS:
            text = text[:MAX_OUTPUT_CHARS] + f"\n[output truncated at {MAX_OUTPUT_CHARS} characters]"
        return outcome("succeeded", output=text, citations=citations)
