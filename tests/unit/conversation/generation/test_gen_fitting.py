"""Window fitting: what stays verbatim, what the summary must cover, and when a stored summary is reused."""

from __future__ import annotations

from conversation.context.fitting import (
    PathMessage,
    StoredSummary,
    fit_branch,
    message_tokens,
    pick_summary,
)
from conversation.context.sizes import WindowSizes
from conversation.context.windows import DEFAULT_WINDOW, default_window, usable_tokens
from mesh.tokens import counter_for

COUNTER = counter_for("gpt-4")


def conversation(turns: int, *, words: int = 40, pinned: frozenset[int] = frozenset()) -> list[PathMessage]:
    messages = []
    for index in range(turns * 2):
        role = "user" if index % 2 == 0 else "assistant"
        text = f"message {index} " + " ".join(f"word{index}-{w}" for w in range(words))
        tokens = message_tokens(COUNTER, role, text)
        messages.append(PathMessage(f"m{index}", role, text, index in pinned, tokens))
    return messages


def test_a_short_history_is_sent_whole_without_summary() -> None:
    path = conversation(3)
    fit = fit_branch(path, system_tokens=20, budget=8_000, summary=None)
    assert [m.id for m in fit.kept] == [m.id for m in path]
    assert not fit.needs_summary and fit.summary is None
    assert fit.token_count <= 8_000


def test_500_turns_fit_keep_the_latest_and_ask_for_a_summary_of_the_rest() -> None:
    path = conversation(500, pinned=frozenset({3}))
    budget = usable_tokens(default_window("unknown-model"), 0)
    fit = fit_branch(path, system_tokens=50, budget=budget, summary=None)
    assert fit.token_count <= budget
    assert fit.kept[-1].id == path[-1].id and fit.kept[-2].id == path[-2].id
    assert path[3] in fit.kept
    assert fit.needs_summary
    assert fit.to_summarize[0].id == "m0"
    assert "m3" not in {m.id for m in fit.to_summarize}
    kept_ids = {m.id for m in fit.kept}
    assert not kept_ids & {m.id for m in fit.to_summarize}
    assert fit.to_summarize[-1].id == path[path.index(fit.kept[1]) - 1].id


def test_an_extension_summarises_ahead_so_the_next_turns_reuse_it() -> None:
    path = conversation(200)
    budget = 4_000
    first = fit_branch(path, system_tokens=0, budget=budget, summary=None)
    stored = StoredSummary(first.to_summarize[-1].id, "summary so far", 20)
    longer = [*path, *conversation(201)[-2:]]
    longer[-2:] = [PathMessage(f"n{i}", m.role, m.text, False, m.tokens) for i, m in enumerate(longer[-2:])]
    second = fit_branch(longer, system_tokens=0, budget=budget, summary=pick_summary(longer, [stored]))
    assert not second.needs_summary
    assert second.summary == stored
    assert second.token_count <= budget
    assert second.kept[-1].id == "n1"


def test_a_summary_of_another_branch_is_ignored() -> None:
    path = conversation(5)
    assert pick_summary(path, [StoredSummary("elsewhere", "x", 1)]) is None
    newest = pick_summary(path, [StoredSummary("m1", "a", 1), StoredSummary("m5", "b", 1)])
    assert newest is not None and newest.through_message_id == "m5"


def test_an_outgrown_summary_is_extended_from_where_it_ends() -> None:
    path = conversation(300)
    stored = StoredSummary("m9", "old", 10)
    fit = fit_branch(path, system_tokens=0, budget=4_000, summary=stored)
    assert fit.needs_summary and fit.base_summary == stored
    assert fit.to_summarize[0].id == "m10"


def test_the_newest_message_is_kept_even_when_it_alone_is_too_long() -> None:
    path = conversation(2)
    huge = PathMessage("big", "user", "x", False, 50_000)
    fit = fit_branch([*path, huge], system_tokens=0, budget=1_000, summary=None)
    assert fit.kept[-1].id == "big"


def test_family_windows() -> None:
    assert default_window("openai/gpt-4o-mini") == 128_000
    assert default_window("gpt-4") == 8_192
    assert default_window("claude-3-5-sonnet") == 200_000
    assert default_window("something-new") == DEFAULT_WINDOW
    assert usable_tokens(8_192, 0) == 8_192 - 1_024
    assert usable_tokens(8_192, 500) == 7_692


async def test_without_model_router_the_family_default_applies() -> None:
    sizes = WindowSizes(None)
    assert await sizes.size("claude-3-5-haiku") == 200_000
    assert await sizes.size("") == DEFAULT_WINDOW
