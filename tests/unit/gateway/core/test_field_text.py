"""Text values (path and query) into typed fields, with a field violation for every misfit."""

from __future__ import annotations

import math

import pytest
from chatmesh.conversation.v1 import conversations_pb2, messages_pb2
from chatmesh.identity.v1 import api_keys_pb2, users_pb2
from google.protobuf.descriptor import FieldDescriptor

from gateway.transcoding.fields import (
    FieldError,
    decode_base64,
    descriptor_of,
    find_field,
    parse_key,
    scalar_from_text,
    set_from_text,
)


def field(message: type, name: str) -> FieldDescriptor:
    found = find_field(message.DESCRIPTOR, name)  # type: ignore[attr-defined]
    assert found is not None
    return found


def test_fields_are_found_by_proto_or_json_name() -> None:
    assert field(api_keys_pb2.ApiKey, "remaining_quota").name == "remaining_quota"
    assert field(api_keys_pb2.ApiKey, "remainingQuota").name == "remaining_quota"
    assert find_field(descriptor_of(api_keys_pb2.ApiKey()), "RemainingQuota") is None


@pytest.mark.parametrize(
    ("name", "text", "value"),
    [
        ("remaining_quota", "-9223372036854775808", -(2**63)),
        ("unlimited_quota", "TRUE", True),
        ("unlimited_quota", "0", False),
        ("name", "anything at all", "anything at all"),
        ("status", "API_KEY_STATUS_ACTIVE", api_keys_pb2.API_KEY_STATUS_ACTIVE),
        ("status", "1", 1),
    ],
)
def test_scalars_convert_by_field_type(name: str, text: str, value: object) -> None:
    assert scalar_from_text(field(api_keys_pb2.ApiKey, name), text, name) == value


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("remaining_quota", "9223372036854775808"),
        ("remaining_quota", "1.0"),
        ("remaining_quota", " 1"),
        ("unlimited_quota", "yes"),
        ("status", "ACTIVE"),
        ("status", "99"),
    ],
)
def test_misfits_name_the_field_and_what_was_expected(name: str, text: str) -> None:
    with pytest.raises(FieldError) as caught:
        scalar_from_text(field(api_keys_pb2.ApiKey, name), text, name)
    assert caught.value.violation.field == name
    assert "expected" in caught.value.violation.description


def test_floats_take_the_proto3_json_spellings() -> None:
    from google.protobuf import wrappers_pb2

    double = wrappers_pb2.DoubleValue.DESCRIPTOR.fields_by_name["value"]
    single = wrappers_pb2.FloatValue.DESCRIPTOR.fields_by_name["value"]
    assert scalar_from_text(double, "1e3", "v") == 1000.0
    assert math.isnan(scalar_from_text(double, "NaN", "v"))
    assert scalar_from_text(double, "-Infinity", "v") == -math.inf
    with pytest.raises(FieldError):
        scalar_from_text(double, "inf", "v")
    with pytest.raises(FieldError):
        scalar_from_text(single, "1e39", "v")


def test_base64_accepts_standard_and_url_safe_without_padding() -> None:
    assert decode_base64("aGk") == b"hi"
    assert decode_base64("-_8") == b"\xfb\xff"
    assert decode_base64("+/8=") == b"\xfb\xff"
    assert decode_base64("***") is None


def test_keys_are_paths_with_an_optional_map_key() -> None:
    assert parse_key("a.b_c") == (["a", "b_c"], None)
    assert parse_key("labels[team x]") == (["labels"], "team x")
    for bad in ("a..b", "a[k].b", "9a", ""):
        with pytest.raises(FieldError):
            parse_key(bad)


def test_set_from_text_walks_messages_and_fills_repeated_and_maps() -> None:
    request = conversations_pb2.CreateConversationRequest()
    set_from_text(request, "conversation.tags", ["a", "b"])
    set_from_text(request, "conversation.title", ["T"])
    set_from_text(request, "requestId", ["r1"])
    assert list(request.conversation.tags) == ["a", "b"]
    assert request.conversation.title == "T"
    assert request.request_id == "r1"


def test_well_known_types_parse_from_their_json_strings() -> None:
    request = users_pb2.UpdateUserRequest()
    set_from_text(request, "update_mask", ["displayName,locale"])
    assert list(request.update_mask.paths) == ["display_name", "locale"]
    with pytest.raises(FieldError):
        set_from_text(request, "update_mask", ["a", "b"])


def test_messages_themselves_cannot_be_set_from_text() -> None:
    with pytest.raises(FieldError, match="subfields"):
        set_from_text(conversations_pb2.CreateConversationRequest(), "conversation", ["x"])
    with pytest.raises(FieldError, match="unknown field"):
        set_from_text(messages_pb2.ListMessagesRequest(), "conversation.id", ["x"])
    with pytest.raises(FieldError, match="not a message"):
        set_from_text(messages_pb2.ListMessagesRequest(), "page_size.x", ["1"])
