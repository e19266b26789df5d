"""Prompt templates and assembly; settings merged over an agent's."""

from __future__ import annotations

import datetime as dt

import pytest
from chatmesh.model_router.v1 import chat_pb2
from chatmesh.orchestrator.v1 import agents_pb2, generation_pb2

from mesh.errors import InvalidArgument
from orchestrator.config import OrchestratorSettings
from orchestrator.generation.prompt import (
    assemble_messages,
    builtin_variables,
    last_user_text,
    render_template,
)
from orchestrator.generation.turn_settings import merge_settings

NOW = dt.datetime(2026, 11, 25, 19, 5, 7, 123, tzinfo=dt.UTC)


def test_template_fills_builtins_and_variables_and_leaves_unknown_placeholders() -> None:
    variables = builtin_variables(NOW, "Ada", "zh-CN") | {"team": "ops"}
    text = render_template(
        "Hi {{ user_name }} ({{locale}}), {{date}} {{now}} {{team}} {{unknown}}", variables
    )
    assert text == "Hi Ada (zh-CN), 2026-11-25 2026-11-25T19:05:07Z ops {{unknown}}"


def test_messages_are_system_summary_sources_then_history() -> None:
    citation = generation_pb2.Citation(
        index=1, title="Manual", snippet="Press the red button.", source_uri="kb://m"
    )
    history = [chat_pb2.ChatMessage(role="user", content="How do I stop it?")]
    messages = assemble_messages("Be brief.", "They talked about machines.", [citation], history)
    assert [m.role for m in messages] == ["system", "system", "system", "user"]
    assert messages[1].content.endswith("They talked about machines.")
    assert "[1] Manual (kb://m)\nPress the red button." in messages[2].content
    assert assemble_messages("", "", [], history) == history
    assert last_user_text(history) == "How do I stop it?"


def test_conversation_settings_win_over_the_agents_field_by_field() -> None:
    agent = agents_pb2.Agent(
        system_prompt_template="I am {{role}}",
        template_variables={"role": "a tutor", "level": "1"},
        model="claude-sonnet-4",
        parameters=generation_pb2.ModelParameters(temperature=0.2, max_tokens=500),
        tools=["calculator"],
        knowledge_base_ids=["kb-agent"],
        max_tool_steps=4,
    )
    own = generation_pb2.GenerationSettings(
        parameters=generation_pb2.ModelParameters(temperature=0.9),
        template_variables={"level": "2"},
        agent_id="agent-1",
    )
    merged = merge_settings(own, agent, OrchestratorSettings())
    assert merged.model == "claude-sonnet-4"
    assert (merged.parameters.temperature, merged.parameters.max_tokens) == (0.9, 500)
    assert merged.template_variables == {"role": "a tutor", "level": "2"}
    assert (merged.tools, merged.knowledge_base_ids, merged.max_tool_steps) == (
        ("calculator",),
        ("kb-agent",),
        4,
    )
    plain = merge_settings(
        generation_pb2.GenerationSettings(), None, OrchestratorSettings(default_model="m0")
    )
    assert (plain.model, plain.max_tool_steps, plain.retrieval_top_k) == ("m0", 8, 5)
    with pytest.raises(InvalidArgument):
        merge_settings(generation_pb2.GenerationSettings(max_tool_steps=0), None, OrchestratorSettings())
