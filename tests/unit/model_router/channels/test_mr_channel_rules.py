"""Channel validation, the catalog of listable models, and update masks."""

from __future__ import annotations

import pytest
from chatmesh.model_router.v1 import channels_pb2
from google.protobuf import json_format

from mesh.errors import InvalidArgument
from mesh.paging import decode_offset, encode_offset
from model_router.api.channel_messages import apply_update, draft_from_message, update_paths
from model_router.domain.catalog import list_catalog
from model_router.domain.channel_rules import ChannelDraft, validate_channel, validate_keys
from model_router.domain.channels import ModelAbility, RoutableChannel
from model_router.domain.selection import ChannelIndex


def _fields(draft: ChannelDraft) -> set[str]:
    return {v.field for v in validate_channel(draft)}


def test_a_complete_channel_is_valid() -> None:
    assert (
        validate_channel(ChannelDraft("a", "openai", "https://api.example/v1", models=("gpt-4o", "gpt-4*")))
        == []
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": " "}, "channel.name"),
        ({"type": "mystery"}, "channel.type"),
        ({"base_url": "ftp://x"}, "channel.base_url"),
        ({"base_url": "https://x/v1?key=1"}, "channel.base_url"),
        ({"models": ()}, "channel.models"),
        ({"models": ("a*b",)}, "channel.models[0]"),
        ({"model_mapping": {"alias": "tar*"}}, "channel.model_mapping[alias]"),
        ({"weight": -1}, "channel.weight"),
        ({"groups": ("has space",)}, "channel.groups[0]"),
        (
            {"abilities": (ModelAbility("gpt-4o", max_context_tokens=0),)},
            "channel.abilities[0].max_context_tokens",
        ),
        ({"key_selection": "lottery"}, "channel.key_selection"),
        ({"timeout_ms": 0}, "channel.timeout"),
        ({"rpm_limit": -1}, "channel.rpm_limit"),
        ({"test_model": "gpt-*"}, "channel.test_model"),
    ],
)
def test_each_rule_names_its_field(changes: dict[str, object], field: str) -> None:
    draft = ChannelDraft("a", "openai", "https://api.example/v1", models=("gpt-4o",))
    values = {**draft.__dict__, **changes}
    assert field in _fields(ChannelDraft(**values))  # type: ignore[arg-type]


def test_keys_must_be_single_tokens() -> None:
    assert validate_keys(["sk-ok"], "keys") == []
    assert [v.field for v in validate_keys(["", "a b", "x" * 5000], "keys")] == [
        "keys[0]",
        "keys[1]",
        "keys[2]",
    ]


def test_create_defaults_groups_weight_and_base_url() -> None:
    draft = draft_from_message(channels_pb2.Channel(name=" n ", type="deepseek", models=["deepseek-chat"]))
    assert (draft.name, draft.groups, draft.weight) == ("n", ("default",), 1)
    assert draft.base_url == "https://api.deepseek.com/v1"


def test_update_mask_rules() -> None:
    message = json_format.ParseDict({"weight": 0, "priority": 4, "description": "d"}, channels_pb2.Channel())
    assert update_paths(message, []) == ["description", "priority"]  # zero weight is unset in proto3
    assert update_paths(message, ["weight"]) == ["weight"]
    with pytest.raises(InvalidArgument):
        update_paths(message, ["etag"])
    with pytest.raises(InvalidArgument):
        update_paths(channels_pb2.Channel(), [])
    current = ChannelDraft("a", "openai", "https://x/v1", models=("m",), weight=5)
    updated = apply_update(current, message, ["weight"])
    assert (updated.weight, updated.priority) == (0, 0)


def test_page_tokens_round_trip_and_reject_garbage() -> None:
    assert decode_offset(encode_offset(40)) == 40
    assert decode_offset("") == 0
    with pytest.raises(InvalidArgument):
        decode_offset("not-a-token")


def test_catalog_lists_concrete_names_of_the_group_with_unioned_abilities() -> None:
    def ch(cid: str, **kw: object) -> RoutableChannel:
        return RoutableChannel(id=cid, name=cid, type="openai", base_url="http://x", created=100, **kw)  # type: ignore[arg-type]

    index = ChannelIndex(
        [
            ch("a", models=("gpt-4o", "gpt-*"), abilities=(ModelAbility("gpt-4o", vision=False),)),
            ch(
                "b",
                models=("gpt-4o",),
                abilities=(ModelAbility("gpt-4o", vision=True, max_output_tokens=99),),
            ),
            ch("c", models=("embed",), abilities=(ModelAbility("embed", streaming=False),)),
            ch("v", models=("vip",), groups=frozenset({"vip"})),
        ]
    )
    models = {m.id: m for m in list_catalog(index, "default")}
    assert sorted(models) == ["embed", "gpt-4o"]
    assert models["gpt-4o"].abilities.vision is True and models["gpt-4o"].abilities.max_output_tokens == 99
    assert [m.id for m in list_catalog(index, "default", "streaming")] == ["gpt-4o"]
    assert [m.id for m in list_catalog(index, "vip")] == ["vip"]
