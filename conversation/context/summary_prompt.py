"""The words of a summary request: instructions, the summary so far, and the messages to fold in.

A rolling summary is extended, never rewritten from scratch: the model gets the previous
summary and only the messages after it, so each extension costs about the same however
long the conversation has grown.
"""

from __future__ import annotations

from collections.abc import Sequence

from conversation.context.fitting import PathMessage

__all__ = [
    "SUMMARY_INSTRUCTIONS",
    "TITLE_INSTRUCTIONS",
    "clean_title",
    "summary_request_text",
    "title_request_text",
    "transcript",
]

SUMMARY_INSTRUCTIONS = (
    "You maintain a running summary of a conversation between a user and an assistant. "
    "Merge the new messages into the existing summary. Keep facts, decisions, names, numbers, "
    "open questions and the user's preferences; drop pleasantries. Write compact prose in the "
    "conversation's language, at most {limit} tokens. Reply with the summary only."
)

TITLE_INSTRUCTIONS = (
    "Write a short title (at most six words) for this conversation, in its language. "
    "Reply with the title only: no quotes, no trailing punctuation."
)

_TRANSCRIPT_CHARS = 24_000
_QUOTES = "\"'\u201c\u201d\u2018\u2019\u300c\u300d"


def summary_request_text(previous: str, messages: Sequence[PathMessage]) -> str:
    """The user turn of a summary request."""
    parts = [f"Existing summary:\n{previous}" if previous else "Existing summary: (none)"]
    parts.append("New messages:\n" + transcript(messages))
    return "\n\n".join(parts)


def title_request_text(messages: Sequence[PathMessage]) -> str:
    return "Conversation:\n" + transcript(messages, limit=4_000)


def transcript(messages: Sequence[PathMessage], *, limit: int = _TRANSCRIPT_CHARS) -> str:
    """``role: text`` lines; each message is trimmed so one huge paste cannot crowd out the rest."""
    if not messages:
        return ""
    share = max(limit // len(messages), 200)
    lines = []
    for message in messages:
        text = message.text if len(message.text) <= share else message.text[:share] + " …"
        lines.append(f"{message.role}: {text}")
    return "\n".join(lines)


def clean_title(raw: str, *, max_chars: int = 80) -> str:
    """First line of the model's answer, without quotes or a trailing full stop."""
    line = raw.strip().splitlines()[0] if raw.strip() else ""
    line = line.strip().strip(_QUOTES).rstrip(".。").strip(_QUOTES).strip()
    return line[:max_chars]
