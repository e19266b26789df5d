"""Validation of conversation fields and generation settings."""

from __future__ import annotations

import math

import pytest

from conversation.config import ConversationConfig
from conversation.domain.fields import (
    SettingsValues,
    check_folder,
    check_settings,
    check_title,
    normalize_tags,
)

CONFIG = ConversationConfig(max_system_prompt_chars=10, max_tags=3, max_title_chars=5)


def _fields(values: SettingsValues) -> set[str]:
    return {v.field for v in check_settings(values, CONFIG, "s")}


def test_valid_settings_have_no_violations() -> None:
    values = SettingsValues(
        model="gpt-4o-mini", temperature=0.0, top_p=1.0, max_tokens=1, tools=["calculator"]
    )
    assert _fields(values) == set()
    assert _fields(SettingsValues(temperature=2.0)) == set()


@pytest.mark.parametrize(
    ("values", "field"),
    [
        (SettingsValues(temperature=-0.1), "s.temperature"),
        (SettingsValues(temperature=2.01), "s.temperature"),
        (SettingsValues(temperature=math.nan), "s.temperature"),
        (SettingsValues(top_p=0.0), "s.top_p"),
        (SettingsValues(top_p=1.5), "s.top_p"),
        (SettingsValues(max_tokens=0), "s.max_tokens"),
        (SettingsValues(max_tokens=-5), "s.max_tokens"),
        (SettingsValues(system_prompt="x" * 11), "s.system_prompt"),
        (SettingsValues(tools=["a", "a"]), "s.tools"),
        (SettingsValues(tools=["no spaces"]), "s.tools"),
        (SettingsValues(knowledge_base_ids=[""]), "s.knowledge_base_ids"),
        (SettingsValues(model="bad model"), "s.model"),
    ],
)
def test_each_bad_setting_is_named(values: SettingsValues, field: str) -> None:
    assert _fields(values) == {field}


def test_tags_are_normalised_and_limited() -> None:
    tags, problems = normalize_tags([" Work ", "work", "Home"], CONFIG, "tags")
    assert tags == ["work", "home"] and problems == []
    _, too_many = normalize_tags(["a", "b", "c", "d"], CONFIG, "tags")
    _, empty = normalize_tags(["  "], CONFIG, "tags")
    assert too_many and empty


def test_folder_and_title_rules() -> None:
    assert check_folder("work/clients", CONFIG, "f") == []
    assert check_folder("", CONFIG, "f") == []
    assert check_folder("work//clients", CONFIG, "f") and check_folder("/work", CONFIG, "f")
    assert check_folder("work/ x", CONFIG, "f")
    assert check_title("short", CONFIG, "t") == [] and check_title("too long", CONFIG, "t")
