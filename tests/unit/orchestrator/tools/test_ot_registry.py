"""The registry validates arguments, limits time and turns every tool fault into an outcome."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from mesh.errors import InvalidArgument
from orchestrator.config import OrchestratorSettings
from orchestrator.tools.builtins import builtin_tools
from orchestrator.tools.errors import ToolError
from orchestrator.tools.registry import MAX_OUTPUT_CHARS, ToolEntry, ToolRegistry, make_validator

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"n": {"type": "integer", "minimum": 0}},
    "required": ["n"],
    "additionalProperties": False,
}


def _entry(name: str, run: Any, *, timeout: float | None = None) -> ToolEntry:
    return ToolEntry(name, name, f"{name} tool", SCHEMA, run, make_validator(SCHEMA), timeout=timeout)


async def _double(arguments: dict[str, Any]) -> str:
    return str(arguments["n"] * 2)


async def _hang(arguments: dict[str, Any]) -> str:
    await asyncio.sleep(60)
    return "never"


async def _refuse(arguments: dict[str, Any]) -> str:
    raise ToolError("the upstream said no")


async def _crash(arguments: dict[str, Any]) -> str:
    raise RuntimeError("secret internal detail")


async def _cite(arguments: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    return "found", [{"index": 1, "title": "Doc"}]


async def _flood(arguments: dict[str, Any]) -> str:
    return "x" * (MAX_OUTPUT_CHARS + 10)


class _TenantTools:
    async def tools(self, tenant_id: str) -> list[ToolEntry]:
        return [_entry("srv__double_t1", _double)] if tenant_id == "t1" else []


@pytest.fixture
def registry() -> ToolRegistry:
    entries = [_entry(n, f) for n, f in [("double", _double), ("refuse", _refuse), ("crash", _crash)]]
    entries += [_entry("hang", _hang, timeout=0.2), _entry("cite", _cite), _entry("flood", _flood)]
    return ToolRegistry(entries, _TenantTools())


async def test_a_valid_call_succeeds(registry: ToolRegistry) -> None:
    outcome = await registry.call("t1", "double", '{"n": 21}', timeout=5)
    assert (outcome.status, outcome.output, outcome.error) == ("succeeded", "42", "")
    assert outcome.seconds >= 0


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        ('{"n": "21"}', "is not of type 'integer'"),
        ('{"n": -1}', "minimum"),
        ("{}", "'n' is a required property"),
        ('{"n": 1, "x": 2}', "Additional properties"),
        ("{not json", "not valid JSON"),
        ("[1]", "must be a JSON object"),
    ],
)
async def test_arguments_not_matching_the_schema_are_rejected(
    registry: ToolRegistry, arguments: str, fragment: str
) -> None:
    outcome = await registry.call("t1", "double", arguments, timeout=5)
    assert outcome.status == "rejected"
    assert fragment in outcome.error
    assert outcome.output == ""


async def test_unknown_tool_is_rejected(registry: ToolRegistry) -> None:
    outcome = await registry.call("t1", "nope", "{}", timeout=5)
    assert outcome.status == "rejected"
    assert "unknown tool" in outcome.error


async def test_timeout_uses_the_smaller_limit(registry: ToolRegistry) -> None:
    outcome = await registry.call("t1", "hang", '{"n": 1}', timeout=30)
    assert outcome.status == "timed_out"
    assert "0.2 s" in outcome.error
    outcome = await registry.call("t1", "double", '{"n": 1}', timeout=30)
    assert outcome.status == "succeeded"


async def test_caller_timeout_applies(registry: ToolRegistry) -> None:
    outcome = await registry.call("t1", "hang", '{"n": 1}', timeout=0.05)
    assert outcome.status == "timed_out"


async def test_tool_errors_are_fed_back(registry: ToolRegistry) -> None:
    outcome = await registry.call("t1", "refuse", '{"n": 1}', timeout=5)
    assert (outcome.status, outcome.error) == ("failed", "the upstream said no")


async def test_unexpected_exceptions_do_not_leak_details(registry: ToolRegistry) -> None:
    outcome = await registry.call("t1", "crash", '{"n": 1}', timeout=5)
    assert outcome.status == "failed"
    assert "RuntimeError" in outcome.error
    assert "secret" not in outcome.error


async def test_citations_are_passed_through(registry: ToolRegistry) -> None:
    outcome = await registry.call("t1", "cite", '{"n": 1}', timeout=5)
    assert outcome.citations == [{"index": 1, "title": "Doc"}]


async def test_long_output_is_truncated(registry: ToolRegistry) -> None:
    outcome = await registry.call("t1", "flood", '{"n": 1}', timeout=5)
    assert len(outcome.output) < MAX_OUTPUT_CHARS + 100
    assert outcome.output.endswith("characters]")


async def test_specs_are_tenant_scoped(registry: ToolRegistry) -> None:
    specs = await registry.specs("t1", ["double", "srv__double_t1"])
    assert [s.name for s in specs] == ["double", "srv__double_t1"]
    assert specs[0].parameters == SCHEMA
    with pytest.raises(InvalidArgument) as caught:
        await registry.specs("t2", ["double", "srv__double_t1"])
    assert [v.field for v in caught.value.violations] == ["tools"]
    outcome = await registry.call("t2", "srv__double_t1", '{"n": 1}', timeout=5)
    assert outcome.status == "rejected"


async def test_builtins_are_offered() -> None:
    registry = ToolRegistry(builtin_tools(OrchestratorSettings(), None))
    names = [s.name for s in await registry.specs("t1", ["calculator", "current_time", "knowledge_search"])]
    assert names == ["calculator", "current_time", "knowledge_search"]
    with pytest.raises(InvalidArgument):
        await registry.specs("t1", ["http_fetch"])  # no allow-list configured: not offered
    outcome = await registry.call("t1", "calculator", json.dumps({"expression": "(2 + 3) * 4"}), timeout=5)
    assert outcome.output == "(2 + 3) * 4 = 20"
    outcome = await registry.call("t1", "calculator", json.dumps({"expression": "().__class__"}), timeout=5)
    assert outcome.status == "failed"
    outcome = await registry.call("t1", "knowledge_search", json.dumps({"query": "q"}), timeout=5)
    assert outcome.status == "failed"
    assert "no knowledge base" in outcome.error
    outcome = await registry.call(
        "t1", "knowledge_search", json.dumps({"query": "q", "knowledge_base_ids": ["kb1"]}), timeout=5
    )
    assert (outcome.status, outcome.error) == (
        "failed",
        "FAILED_PRECONDITION: knowledge search is not available (no knowledge service configured)",
    )
    with_fetch = builtin_tools(OrchestratorSettings(http_fetch_allowed_domains=["example.com"]), None)
    assert "http_fetch" in {t.name for t in with_fetch}
