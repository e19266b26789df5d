"""Which messages of a branch go to the model, and what the rolling summary must cover.

Pure functions over token counts; no I/O. The rules, in order:

1. The system prompt and pinned messages are always kept.
2. If the whole branch fits, it is sent as is and no summary is used.
3. Otherwise the newest messages are kept, walking back while they fit what is left after
   the system prompt, the pinned messages and room for the summary. The newest message (the
   one being answered) is kept even when it alone is too large: refusing the turn is the
   model's call, not ours.
4. Everything older is represented by the summary. A stored summary that already covers it
   is reused as is (and the cut may move forward to where it ends, so nothing is sent
   twice). When the older messages run past the stored summary, the summary is extended
   with the uncovered ones. To avoid extending it on every turn, an extension summarises
   further ahead: the kept tail is refilled only to :data:`REFILL` of its room, so the next
   few turns fit again without another model call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mesh.tokens import REPLY_PRIMING, TOKENS_PER_MESSAGE, Counter

__all__ = [
    "REFILL",
    "Fit",
    "PathMessage",
    "StoredSummary",
    "fit_branch",
    "message_tokens",
    "pick_summary",
    "summary_limit",
]

REFILL = 0.6
SUMMARY_MAX_TOKENS = 1_024
SUMMARY_MIN_TOKENS = 64


@dataclass(frozen=True)
class PathMessage:
    """One message on the branch, oldest first; ``tokens`` includes the per-message overhead."""

    id: str
    role: str
    text: str
    pinned: bool
    tokens: int


@dataclass(frozen=True)
class StoredSummary:
    """A summary of the branch from its root through ``through_message_id``."""

    through_message_id: str
    content: str
    token_count: int


@dataclass(frozen=True)
class Fit:
    """The plan for one window.

    ``kept``: messages sent verbatim (pinned ones plus the recent tail), oldest first.
    ``summary``: the stored summary to send as is (None when nothing was left out, or when
    it must be extended first). ``base_summary`` and ``to_summarize``: when the summary must
    be extended, the summary to extend (may be None) and the left-out messages it does not
    cover yet; the new summary then covers through ``to_summarize[-1]``.
    ``token_count``: the prompt's tokens with the summary as it stands (an extension adds
    its own count once written).
    """

    kept: tuple[PathMessage, ...]
    summary: StoredSummary | None
    base_summary: StoredSummary | None
    to_summarize: tuple[PathMessage, ...]
    token_count: int

    @property
    def needs_summary(self) -> bool:
        return bool(self.to_summarize)


def message_tokens(counter: Counter, role: str, text: str) -> int:
    return TOKENS_PER_MESSAGE + counter.text(role) + counter.text(text)


def summary_limit(budget: int) -> int:
    """Room kept for the summary: an eighth of the budget, between 64 and 1,024 tokens."""
    return max(SUMMARY_MIN_TOKENS, min(SUMMARY_MAX_TOKENS, budget // 8))


def pick_summary(path: Sequence[PathMessage], summaries: Sequence[StoredSummary]) -> StoredSummary | None:
    """The stored summary reaching furthest along this branch (summaries of other branches don't apply)."""
    position = {message.id: index for index, message in enumerate(path)}
    on_path = [s for s in summaries if s.through_message_id in position]
    return max(on_path, key=lambda s: position[s.through_message_id], default=None)


def fit_branch(
    path: Sequence[PathMessage],
    *,
    system_tokens: int,
    budget: int,
    summary: StoredSummary | None,
) -> Fit:
    """Plan the window for ``path`` within ``budget`` tokens (see the module docstring)."""
    pinned_tokens = sum(m.tokens for m in path if m.pinned)
    fixed = system_tokens + pinned_tokens + REPLY_PRIMING
    if fixed + sum(m.tokens for m in path if not m.pinned) <= budget:
        return Fit(tuple(path), None, None, (), fixed + sum(m.tokens for m in path if not m.pinned))
    summary_room = summary_limit(budget)
    room = budget - fixed - summary_room
    cut = _tail_start(path, room)
    covered = _index_of(path, summary.through_message_id) if summary else -1
    if covered >= cut - 1 and summary is not None:
        cut = max(cut, covered + 1)
        kept = _kept(path, cut)
        count = fixed + summary.token_count + _recent_tokens(path, cut) + TOKENS_PER_MESSAGE
        return Fit(kept, summary, None, (), count)
    cut = max(cut, _tail_start(path, int(room * REFILL)))
    pending = tuple(m for m in path[covered + 1 : cut] if not m.pinned)
    kept = _kept(path, cut)
    base = summary.token_count + TOKENS_PER_MESSAGE if summary else 0
    return Fit(kept, None, summary, pending, fixed + base + _recent_tokens(path, cut))


def _tail_start(path: Sequence[PathMessage], room: int) -> int:
    """Index of the oldest message of the longest unpinned tail that fits ``room`` (the last always fits)."""
    used = 0
    start = len(path)
    for index in range(len(path) - 1, -1, -1):
        message = path[index]
        if message.pinned:
            start = index
            continue
        if used + message.tokens > room and start < len(path):
            break
        used += message.tokens
        start = index
    return start


def _kept(path: Sequence[PathMessage], cut: int) -> tuple[PathMessage, ...]:
    return tuple(m for m in path[:cut] if m.pinned) + tuple(path[cut:])


def _recent_tokens(path: Sequence[PathMessage], cut: int) -> int:
    return sum(m.tokens for m in path[cut:] if not m.pinned)


def _index_of(path: Sequence[PathMessage], message_id: str) -> int:
    for index, message in enumerate(path):
        if message.id == message_id:
            return index
    return -1
