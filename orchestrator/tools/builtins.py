"""The built-in tools every tenant gets: calculator, current_time, knowledge_search, http_fetch.

http_fetch is offered only when the operator allow-listed some domains
(``CHATMESH_ORCHESTRATOR_HTTP_FETCH_ALLOWED_DOMAINS``); a tool that could reach nothing
would only waste the model's steps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from orchestrator.config import OrchestratorSettings
from orchestrator.tools import calculator, clock, http_fetch, knowledge
from orchestrator.tools.registry import Runner, ToolEntry, make_validator

__all__ = ["builtin_tools"]


async def _current_time(arguments: dict[str, Any]) -> str:
    return clock.current_time(arguments)


def _entry(
    name: str, display_name: str, description: str, parameters: dict[str, Any], run: Runner
) -> ToolEntry:
    return ToolEntry(name, display_name, description, parameters, run, make_validator(parameters))


def builtin_tools(config: OrchestratorSettings, knowledge_stub: Callable[[], Any] | None) -> list[ToolEntry]:
    """The built-ins under this configuration; ``knowledge_stub`` returns knowledge's gRPC stub."""
    tools = [
        _entry(
            "calculator",
            "Calculator",
            "Evaluates an arithmetic expression exactly: + - * / // % **, parentheses, "
            "sqrt, abs, round, floor, ceil, log, log10, exp, sin, cos, tan, min, max, pi, e.",
            calculator.PARAMETERS,
            calculator.run,
        ),
        _entry(
            "current_time",
            "Current time",
            "Returns the current date and time in a time zone.",
            clock.PARAMETERS,
            _current_time,
        ),
        _entry(
            "knowledge_search",
            "Knowledge search",
            "Searches the knowledge bases attached to the conversation and returns numbered passages "
            "to cite as [n].",
            knowledge.PARAMETERS,
            knowledge.KnowledgeSearch(knowledge_stub).run,
        ),
    ]
    fetcher = http_fetch.HttpFetch(
        config.http_fetch_allowed_domains,
        max_bytes=config.http_fetch_max_bytes,
        timeout=config.http_fetch_timeout_seconds,
    )
    if fetcher.enabled:
        domains = ", ".join(config.http_fetch_allowed_domains)
        tools.append(
            _entry(
                "http_fetch",
                "Fetch a web page",
                f"Fetches a URL with GET and returns its text. Only these domains are reachable: {domains}.",
                http_fetch.PARAMETERS,
                fetcher.run,
            )
        )
    return tools
