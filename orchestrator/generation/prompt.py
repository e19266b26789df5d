"""Prompt assembly: the system prompt template, the history summary, retrieved sources, the history.

Template placeholders are ``{{name}}`` (spaces inside the braces allowed). Values come from the
built-ins ``now`` (UTC, ISO 8601), ``date`` (UTC, YYYY-MM-DD), ``user_name`` and ``locale``,
overridden by the turn's template variables. An unknown placeholder is left in the text as
written: prompts legitimately contain braces (code samples, other template languages), and a
turn must not fail because an agent's template names a variable this conversation does not set.

The messages the model sees, in order: the rendered system prompt, the summary of turns left
out of the window, the numbered sources (when knowledge bases are attached), then the history
window ending with the user's message.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence

from chatmesh.model_router.v1 import chat_pb2
from chatmesh.orchestrator.v1 import generation_pb2

__all__ = ["assemble_messages", "builtin_variables", "last_user_text", "render_template", "sources_message"]

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}")

SUMMARY_PREFIX = "Summary of the earlier part of this conversation:\n"
SOURCES_PREAMBLE = (
    "Answer using the numbered sources below when they are relevant. Cite a source as [n] right "
    "after the statement it supports. If the sources do not contain the answer, say so."
)


def builtin_variables(now: dt.datetime, user_name: str, locale: str) -> dict[str, str]:
    moment = now.astimezone(dt.UTC).replace(microsecond=0)
    return {
        "now": moment.isoformat().replace("+00:00", "Z"),
        "date": moment.date().isoformat(),
        "user_name": user_name,
        "locale": locale,
    }


def render_template(template: str, variables: Mapping[str, str]) -> str:
    """Fills known placeholders; unknown ones stay as written (see module docstring)."""

    def fill(match: re.Match[str]) -> str:
        value = variables.get(match.group(1))
        return match.group(0) if value is None else value

    return _PLACEHOLDER.sub(fill, template)


def sources_message(citations: Sequence[generation_pb2.Citation]) -> chat_pb2.ChatMessage:
    """The retrieved chunks as one system message, each under its citation number."""
    blocks = [SOURCES_PREAMBLE]
    for citation in citations:
        heading = f"[{citation.index}] {citation.title}".rstrip()
        if citation.heading:
            heading += f" \u2014 {citation.heading}"
        if citation.page:
            heading += f", page {citation.page}"
        if citation.source_uri:
            heading += f" ({citation.source_uri})"
        blocks.append(f"{heading}\n{citation.snippet}")
    return chat_pb2.ChatMessage(role="system", content="\n\n".join(blocks))


def assemble_messages(
    system_prompt: str,
    summary: str,
    citations: Sequence[generation_pb2.Citation],
    history: Sequence[chat_pb2.ChatMessage],
) -> list[chat_pb2.ChatMessage]:
    messages: list[chat_pb2.ChatMessage] = []
    if system_prompt.strip():
        messages.append(chat_pb2.ChatMessage(role="system", content=system_prompt))
    if summary.strip():
        messages.append(chat_pb2.ChatMessage(role="system", content=SUMMARY_PREFIX + summary))
    if citations:
        messages.append(sources_message(citations))
    messages.extend(history)
    return messages


def last_user_text(history: Sequence[chat_pb2.ChatMessage]) -> str:
    """The text of the latest user message: the query knowledge search runs with."""
    for message in reversed(history):
        if message.role == "user":
            parts = [part.text for part in message.content_parts if part.WhichOneof("part") == "text"]
            return "\n".join(filter(None, [message.content, *parts]))
    return ""
