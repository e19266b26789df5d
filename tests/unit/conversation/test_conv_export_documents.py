"""Export documents and import validation, without a database."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from conversation.api.import_document import parse_import
from conversation.config import ConversationConfig
from conversation.domain.export import ExportedMessage, filename_for, json_document, markdown_document
from mesh.errors import InvalidArgument

CONFIG = ConversationConfig()


def _message(mid: str, parent: str, role: str, text: str, **kw: object) -> ExportedMessage:
    fields: dict[str, object] = {
        "attachments": [],
        "status": "complete",
        "model": "",
        "finish_reason": "",
        "usage": {},
        "tool_calls": [],
        "citations": [],
        "token_count": 0,
        "pinned": False,
        "generation_id": "",
        "create_time": "2026-01-01T00:00:00+00:00",
    }
    fields.update(kw)
    return ExportedMessage(id=mid, parent_id=parent, role=role, parts=[{"text": text}], **fields)  # type: ignore[arg-type]


def test_filenames_are_slugs() -> None:
    assert filename_for("My Chat: Plans!", "md") == "my-chat-plans.md"
    assert filename_for("", "json") == "conversation.json"


def test_markdown_lists_roles_tool_calls_and_citations() -> None:
    messages = [
        _message("1", "", "user", "What is 2+2?"),
        _message(
            "2",
            "1",
            "assistant",
            "4 [1]",
            tool_calls=[{"name": "calculator", "arguments_json": '{"e":"2+2"}'}],
            citations=[{"index": 1, "title": "Math", "uri": "https://example.com"}],
        ),
    ]
    text = markdown_document("Sums", messages, all_branches=False)
    assert text.startswith("# Sums\n") and "## User\n\nWhat is 2+2?" in text
    assert "Tool call `calculator`" in text and "[1] Math https://example.com" in text
    assert "2. Assistant (reply to 1)" in markdown_document("Sums", messages, all_branches=True)


def _document(messages: list[ExportedMessage]) -> str:
    return json_document({"title": "t", "active_leaf_id": "2"}, messages, datetime.now(UTC))


def test_import_maps_ids_and_keeps_parents() -> None:
    plan = parse_import(
        _document([_message("1", "", "user", "q"), _message("2", "1", "assistant", "a")]), "", CONFIG
    )
    first, second = plan.messages
    assert second.parent_id == first.id and first.parent_id is None and plan.active_leaf == second.id
    assert plan.title == "t"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["messages"][1].update(parent_id="9"), "content.messages[1].parent_id"),
        (lambda d: d["messages"][1].update(id="1"), "content.messages[1].id"),
        (lambda d: d["messages"][0].update(role="robot"), "content.messages[0].role"),
        (lambda d: d["messages"][0].update(parts=[{"image": {"url": 5}}]), "content.messages[0].parts[0]"),
        (
            lambda d: d["conversation"].update(settings={"temperature": 9}),
            "content.conversation.settings.temperature",
        ),
    ],
)
def test_import_reports_the_bad_field(change: object, field: str) -> None:
    document = json.loads(_document([_message("1", "", "user", "q"), _message("2", "1", "assistant", "a")]))
    change(document)  # type: ignore[operator]
    with pytest.raises(InvalidArgument) as error:
        parse_import(json.dumps(document), "", CONFIG)
    assert field in {v.field for v in error.value.violations}


def test_import_refuses_what_is_not_an_export() -> None:
    for content in ("[]", "nope", json.dumps({"format": "chatmesh.conversation", "version": 2})):
        with pytest.raises(InvalidArgument):
            parse_import(content, "", CONFIG)
    with pytest.raises(InvalidArgument):
        parse_import("x" * 100, "", ConversationConfig(max_import_bytes=10))
