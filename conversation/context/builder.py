"""Building the history for a turn: read the branch, fit it, and extend the rolling summary when needed.

The summary itself is written by a :class:`Summarizer` (the generation package's
orchestrator-backed one, at BACKGROUND priority). Writing it is part of the turn that finds
the history too long, and the result is stored, so the turns after it reuse it; if the
model call fails, the turn goes ahead with the older summary rather than not at all.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from chatmesh.conversation.v1 import resources_pb2
from google.protobuf import json_format
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from conversation.context.fitting import (
    Fit,
    PathMessage,
    StoredSummary,
    fit_branch,
    message_tokens,
    pick_summary,
    summary_limit,
)
from conversation.context.sizes import WindowSizes
from conversation.context.windows import usable_tokens
from conversation.store import generations as generation_store
from conversation.store.access import owned_conversation
from conversation.store.messages import path_to
from conversation.store.rows import ConversationRow, MessageRow
from conversation.store.tables import conversations
from mesh.tokens import TOKENS_PER_MESSAGE, Counter, counter_for

__all__ = ["ContextBuilder", "Plan", "Summarizer", "Window", "conversation_settings", "path_messages"]

log = logging.getLogger(__name__)

_ROLES = ("user", "assistant", "system")


class Summarizer(Protocol):
    async def summarize(
        self,
        *,
        tenant_id: str,
        owner_id: str,
        conversation_id: str,
        model: str,
        previous: str,
        messages: Sequence[PathMessage],
        limit: int,
    ) -> str | None: ...


@dataclass(frozen=True)
class Window:
    """The history of one turn: ``messages`` are the rows kept verbatim, oldest first."""

    conversation: ConversationRow
    settings: resources_pb2.ConversationSettings
    model: str
    system_prompt: str
    summary: str
    messages: list[MessageRow]
    token_count: int


@dataclass(frozen=True)
class Plan:
    """A fitted branch before any summary is written: what :meth:`ContextBuilder.complete` needs."""

    conversation: ConversationRow
    settings: resources_pb2.ConversationSettings
    model: str
    counter: Counter
    budget: int
    messages: list[PathMessage]
    fit: Fit
    kept: list[MessageRow]


def conversation_settings(row: ConversationRow) -> resources_pb2.ConversationSettings:
    return json_format.ParseDict(
        row.settings or {}, resources_pb2.ConversationSettings(), ignore_unknown_fields=True
    )


_CACHED_CHARS = 4_096


@functools.lru_cache(maxsize=16_384)
def _counted_short(counter: Counter, role: str, text: str) -> int:
    return message_tokens(counter, role, text)


def _counted(counter: Counter, role: str, text: str) -> int:
    """Token count of one message; short texts (most of a history) are remembered across turns,
    long ones are counted again rather than kept in memory."""
    if len(text) > _CACHED_CHARS:
        return message_tokens(counter, role, text)
    return _counted_short(counter, role, text)


def _on_path(rows: Sequence[MessageRow], counter: Counter) -> list[tuple[PathMessage, MessageRow]]:
    """Messages worth sending: user, assistant and system ones with text (empty ones add nothing)."""
    found = []
    for row in rows:
        text = row.text
        if row.role not in _ROLES or not text:
            continue
        found.append(
            (PathMessage(str(row.id), row.role, text, row.pinned, _counted(counter, row.role, text)), row)
        )
    return found


def path_messages(rows: Sequence[MessageRow], model: str) -> list[PathMessage]:
    """The rows worth sending to ``model``, counted with its tokenizer."""
    return [message for message, _ in _on_path(rows, counter_for(model))]


class ContextBuilder:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        sizes: WindowSizes,
        summarizer: Summarizer | None,
    ) -> None:
        self._sessions = sessions
        self._sizes = sizes
        self._summarizer = summarizer

    async def build(
        self,
        *,
        tenant_id: str,
        owner_id: str,
        conversation_id: uuid.UUID,
        leaf_id: uuid.UUID | None,
        model: str = "",
        reserve_tokens: int = 0,
        summarize: bool = True,
    ) -> Window:
        async with self._sessions() as session:
            conversation = await owned_conversation(
                session, tenant_id=tenant_id, owner_id=owner_id, conversation_id=conversation_id
            )
            plan = await self.plan(session, conversation, leaf_id, model=model, reserve_tokens=reserve_tokens)
        return await self.complete(plan, summarize=summarize)

    async def plan(
        self,
        session: AsyncSession,
        conversation: ConversationRow,
        leaf_id: uuid.UUID | None,
        *,
        model: str = "",
        reserve_tokens: int = 0,
        extra: MessageRow | None = None,
    ) -> Plan:
        """Read the branch ending at ``leaf_id`` (None: the active leaf) and fit it, in the caller's
        session; ``extra`` is a message not stored yet that follows the leaf (a turn's new question)."""
        rows = await path_to(
            session, tenant_id=conversation.tenant_id, conversation_id=conversation.id, leaf_id=leaf_id
        )
        if extra is not None:
            rows = [*rows, extra]
        settings = conversation_settings(conversation)
        model = model or settings.model
        counter = counter_for(model)
        reserve = reserve_tokens or (settings.max_tokens if settings.HasField("max_tokens") else 0)
        budget = usable_tokens(await self._sizes.size(model), reserve)
        path = _on_path(rows, counter)
        messages = [message for message, _ in path]
        system_tokens = _counted(counter, "system", settings.system_prompt) if settings.system_prompt else 0
        fit = fit_branch(messages, system_tokens=system_tokens, budget=budget, summary=None)
        if len(fit.kept) < len(messages):
            stored = await generation_store.summaries_for(
                session, conversation.tenant_id, str(conversation.id)
            )
            summaries = [StoredSummary(s.through_message_id, s.content, s.token_count) for s in stored]
            summary = pick_summary(messages, summaries)
            fit = fit_branch(messages, system_tokens=system_tokens, budget=budget, summary=summary)
        by_id = {str(row.id): row for _, row in path}
        return Plan(
            conversation, settings, model, counter, budget, messages, fit, [by_id[m.id] for m in fit.kept]
        )

    async def complete(self, plan: Plan, *, summarize: bool = True) -> Window:
        """The window of ``plan``, extending the summary first when the plan needs it (a model call)."""
        fit = plan.fit
        summary, count = fit.summary, fit.token_count
        if fit.needs_summary and summarize:
            extended = await self._extend(
                plan.conversation, plan.model, fit, plan.messages, plan.budget, plan.counter
            )
            if extended is not None:
                base = fit.base_summary.token_count + TOKENS_PER_MESSAGE if fit.base_summary else 0
                summary, count = extended, count - base + extended.token_count + TOKENS_PER_MESSAGE
        elif fit.needs_summary:
            summary = fit.base_summary
        return Window(
            conversation=plan.conversation,
            settings=plan.settings,
            model=plan.model,
            system_prompt=plan.settings.system_prompt,
            summary=summary.content if summary else "",
            messages=plan.kept,
            token_count=count,
        )

    async def summarize_through(
        self, *, tenant_id: str, owner_id: str, conversation_id: uuid.UUID, leaf_id: uuid.UUID | None
    ) -> tuple[StoredSummary, int] | None:
        """Summarise the whole branch through its leaf (Summarize RPC); None when the model failed.

        Returns the stored summary and how many messages it covers.
        """
        async with self._sessions() as session:
            conversation = await owned_conversation(
                session, tenant_id=tenant_id, owner_id=owner_id, conversation_id=conversation_id
            )
            rows = await path_to(
                session, tenant_id=tenant_id, conversation_id=conversation_id, leaf_id=leaf_id
            )
            stored = await generation_store.summaries_for(session, tenant_id, str(conversation_id))
        settings = conversation_settings(conversation)
        counter = counter_for(settings.model)
        messages = [message for message, _ in _on_path(rows, counter)]
        if not messages:
            return StoredSummary("", "", 0), 0
        budget = usable_tokens(await self._sizes.size(settings.model), 0)
        summaries = [StoredSummary(s.through_message_id, s.content, s.token_count) for s in stored]
        base = pick_summary(messages, summaries)
        covered = next((i for i, m in enumerate(messages) if base and m.id == base.through_message_id), -1)
        if base is not None and covered == len(messages) - 1:
            return base, len(messages)
        fit = Fit((), None, base, tuple(m for m in messages[covered + 1 :] if not m.pinned), 0)
        extended = await self._extend(conversation, settings.model, fit, messages, budget, counter)
        return (extended, len(messages)) if extended is not None else None

    async def _extend(
        self,
        conversation: ConversationRow,
        model: str,
        fit: Fit,
        messages: Sequence[PathMessage],
        budget: int,
        counter: Counter,
    ) -> StoredSummary | None:
        if self._summarizer is None:
            return None
        limit = summary_limit(budget)
        text = await self._summarizer.summarize(
            tenant_id=conversation.tenant_id,
            owner_id=conversation.owner_id,
            conversation_id=str(conversation.id),
            model=model,
            previous=fit.base_summary.content if fit.base_summary else "",
            messages=fit.to_summarize,
            limit=limit,
        )
        if not text:
            log.warning(
                "summary not extended; the turn uses the previous one",
                extra={"conversation_id": str(conversation.id)},
            )
            return None
        through = fit.to_summarize[-1].id
        covered = next(i for i, m in enumerate(messages) if m.id == through) + 1
        summary = StoredSummary(through, text, counter.text(text))
        row = generation_store.SummaryRow(through, text, summary.token_count, covered)
        async with self._sessions.begin() as session:
            await generation_store.save_summary(session, conversation.tenant_id, str(conversation.id), row)
            await session.execute(
                update(conversations).where(conversations.c.id == conversation.id).values(summary=text)
            )
        return summary
