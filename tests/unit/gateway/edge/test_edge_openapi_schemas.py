"""Message descriptors as JSON Schemas that follow the proto3 JSON mapping."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import jsonschema
from edge_protos import EVERYTHING, PACKAGE
from google.protobuf import json_format, message_factory, struct_pb2, wrappers_pb2

from gateway.openapi.schemas import SchemaBuilder, ref

NAME = f"{PACKAGE}.Everything"


def _schema() -> tuple[SchemaBuilder, dict]:  # type: ignore[type-arg]
    builder = SchemaBuilder()
    assert builder.message(EVERYTHING) == ref(NAME)
    return builder, builder.components[NAME]


def _properties() -> dict:  # type: ignore[type-arg]
    return _schema()[1]["properties"]


def test_fields_are_named_in_lower_camel_case() -> None:
    properties = _properties()
    assert {"aDouble", "anInt64", "someBytes", "createdAt", "updateMask", "userId"} <= set(properties)
    assert "an_int64" not in properties


def test_64_bit_integers_are_strings_and_32_bit_ones_integers() -> None:
    properties = _properties()
    for name in ("anInt64", "aUint64", "aSint64", "aFixed64"):
        assert properties[name]["type"] == "string", name
        assert "pattern" in properties[name]
    assert properties["anInt32"]["type"] == "integer"
    assert properties["anInt32"]["maximum"] == 2**31 - 1
    assert properties["aUint32"]["minimum"] == 0


def test_scalars_map_to_their_json_types() -> None:
    properties = _properties()
    assert properties["aDouble"]["type"] == "number"
    assert properties["aFloat"]["format"] == "float"
    assert properties["aBool"] == {"type": "boolean"}
    assert properties["aString"] == {"type": "string"}
    assert properties["someBytes"]["format"] == "byte"


def test_enums_are_string_enums_by_value_name() -> None:
    builder, schema = _schema()
    assert schema["properties"]["color"] == ref(f"{PACKAGE}.Color")
    assert builder.components[f"{PACKAGE}.Color"] == {
        "type": "string",
        "enum": ["COLOR_UNSPECIFIED", "COLOR_RED", "COLOR_BLUE"],
    }


def test_well_known_types_use_their_json_forms() -> None:
    properties = _properties()
    assert properties["createdAt"] == {"type": "string", "format": "date-time"}
    assert properties["ttl"]["type"] == "string"
    assert properties["ttl"]["pattern"].endswith("s$")
    assert properties["updateMask"]["type"] == "string"
    assert properties["attributes"] == {"type": "object", "additionalProperties": True}
    assert properties["nickname"] == {"type": ["string", "null"]}
    assert properties["budget"]["type"] == ["string", "null"]
    assert "type" not in properties["anything"]


def test_repeated_fields_are_arrays_and_maps_objects() -> None:
    properties = _properties()
    assert properties["tags"] == {"type": "array", "items": {"type": "string"}}
    assert properties["children"] == {"type": "array", "items": ref(NAME)}
    assert properties["labels"]["type"] == "object"
    assert properties["labels"]["additionalProperties"]["type"] == "string"


def test_a_oneof_allows_one_member_only() -> None:
    _, schema = _schema()
    assert {"not": {"required": ["userId", "groupId"]}} in schema["allOf"]


def test_messages_are_closed_objects() -> None:
    _, schema = _schema()
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False


def _validator(builder: SchemaBuilder) -> jsonschema.Draft202012Validator:
    document = {"components": {"schemas": builder.components}, **ref(NAME)}
    return jsonschema.Draft202012Validator(document)


def test_what_json_format_writes_validates_against_the_schema() -> None:
    """The real check: a fully populated message, serialised by json_format, fits its schema."""
    builder, _ = _schema()
    cls: Any = message_factory.GetMessageClass(EVERYTHING)
    value = cls(
        a_double=1.5, a_float=2.5, an_int32=-3, an_int64=2**60, a_uint32=7, a_uint64=2**63, a_sint64=-(2**40),
        a_fixed64=9, a_bool=True, a_string="s", some_bytes=b"\x00\xff", color=2, tags=["a", "b"],
        nickname=wrappers_pb2.StringValue(value="n"), budget=wrappers_pb2.Int64Value(value=5),
        anything=struct_pb2.Value(string_value="x"), user_id="u1",
    )  # fmt: skip
    value.created_at.FromDatetime(datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC))
    value.ttl.FromSeconds(90)
    value.update_mask.paths.extend(["a_string", "tags"])
    value.attributes.update({"k": [1, "two", None]})
    value.labels["x"] = 2**40
    value.children.add(a_string="child", group_id="g")
    value.nested.depth = 3
    value.nested.colors.extend([1, 2])
    written = json_format.MessageToDict(value)
    assert written["anInt64"] == str(2**60)
    _validator(builder).validate(written)


def test_the_schema_refuses_what_proto3_json_refuses() -> None:
    builder, _ = _schema()
    validator = _validator(builder)
    for bad in (
        {"userId": "a", "groupId": "b"},
        {"color": "PURPLE"},
        {"unknownField": 1},
        {"anInt32": 2**31},
    ):
        assert not validator.is_valid(bad), bad
