"""Round trips through the transcoder for every mapping rule, against a service the gateway never saw."""

from __future__ import annotations

from typing import Any

from gwcore_support import Served


def echo_of(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return dict(response.json()["echo"])


def violations(response: Any) -> dict[str, str]:
    body = response.json()
    found: dict[str, str] = {}
    for detail in body["details"]:
        if detail["@type"] == "type.googleapis.com/google.rpc.BadRequest":
            found.update({v["field"]: v["description"] for v in detail["fieldViolations"]})
    return found


async def test_an_rpc_the_gateway_never_saw_is_served_from_its_annotation(served: Served) -> None:
    response = await served.http.get("/v1/echo/hello")
    assert response.headers["content-type"] == "application/json"
    assert echo_of(response)["name"] == "hello"


async def test_a_literal_segment_beats_a_variable(served: Served) -> None:
    special = echo_of(await served.http.get("/v1/echo/special"))
    assert special["name"] == ""
    other = echo_of(await served.http.get("/v1/echo/specials"))
    assert other["name"] == "specials"


async def test_a_multi_segment_variable_captures_its_resource_name(served: Served) -> None:
    assert echo_of(await served.http.get("/v1/tenants/t1/users/u2"))["name"] == "tenants/t1/users/u2"
    assert echo_of(await served.http.get("/v2/tenants/t1/users/u2/profile"))["name"] == "tenants/t1/users/u2"
    short = await served.http.get("/v1/tenants/t1/users")
    assert short.status_code == 404
    assert short.json()["code"] == 5


async def test_double_wildcard_takes_the_rest_and_keeps_encoded_slashes(served: Served) -> None:
    assert echo_of(await served.http.get("/v1/files/a/b/c.txt"))["name"] == "a/b/c.txt"
    assert echo_of(await served.http.get("/v1/files/a%2Fb/c%20d"))["name"] == "a%2Fb/c d"
    assert echo_of(await served.http.get("/v1/files/ft:model:x"))["name"] == "ft:model:x"


async def test_a_single_segment_variable_is_fully_decoded(served: Served) -> None:
    assert echo_of(await served.http.get("/v1/echo/h%C3%A9llo%2Fx%3Ay"))["name"] == "héllo/x:y"


async def test_verbs_route_to_their_own_rpc(served: Served) -> None:
    acted = await served.http.post("/v1/echo/n1:act", json={"i32": 7})
    assert echo_of(acted) == echo_of(acted) and echo_of(acted)["name"] == "n1"
    assert echo_of(acted)["i32"] == 7
    colon_in_name = await served.http.post("/v1/echo/a:b:act", json={})
    assert echo_of(colon_in_name)["name"] == "a:b"


async def test_nested_and_typed_path_variables(served: Served) -> None:
    echo = echo_of(await served.http.get("/v1/inner/i-1/items/9007199254740993"))
    assert echo["inner"]["id"] == "i-1"
    assert echo["i64"] == "9007199254740993"
    bad = await served.http.get("/v1/inner/i-1/items/many")
    assert bad.status_code == 400
    assert "i64" in violations(bad)


async def test_query_parameters_fill_every_kind_of_field(served: Served) -> None:
    query = (
        "i32=-5&i64=9007199254740993&u32=7&u64=18446744073709551615&flag=true&dbl=1.5&flt=2"
        "&color=COLOR_RED&tags=a&tags=b&ids=1&ids=2&colors=COLOR_GREEN&colors=1"
        "&inner.count=3&inner.tags=x&inner.deeper.id=d&labels[k]=v&counts[c]=4"
        "&when=2024-01-31T12:00:00Z&wait=1.5s&mask=displayName,inner.count&maybe=5&raw=aGk"
        "&display_name=dn&alpha=A&afterEventId=e1"
    )
    echo = echo_of(await served.http.get(f"/v1/echo/q?{query}"))
    assert echo["i32"] == -5
    assert echo["i64"] == "9007199254740993"
    assert echo["u32"] == 7
    assert echo["u64"] == "18446744073709551615"
    assert echo["flag"] is True
    assert echo["dbl"] == 1.5
    assert echo["flt"] == 2.0
    assert echo["color"] == "COLOR_RED"
    assert echo["tags"] == ["a", "b"]
    assert echo["ids"] == ["1", "2"]
    assert echo["colors"] == ["COLOR_GREEN", "COLOR_RED"]
    assert echo["inner"] == {
        "id": "",
        "count": 3,
        "tags": ["x"],
        "deeper": {"id": "d", "count": 0, "tags": []},
    }
    assert echo["labels"] == {"k": "v"}
    assert echo["counts"] == {"c": 4}
    assert echo["when"] == "2024-01-31T12:00:00Z"
    assert echo["wait"] == "1.500s"
    assert echo["mask"] == "displayName,inner.count"
    assert echo["maybe"] == "5"
    assert echo["raw"] == "aGk="
    assert echo["displayName"] == "dn"
    assert echo["alpha"] == "A"
    assert echo["afterEventId"] == "e1"


async def test_bad_query_values_are_400_with_a_violation_per_field(served: Served) -> None:
    response = await served.http.get(
        "/v1/echo/q?i32=ten&flag=maybe&color=PURPLE&nope=1&u32=-1&when=yesterday"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 3
    found = violations(response)
    assert set(found) == {"i32", "flag", "color", "nope", "u32", "when"}
    assert "integer" in found["i32"]
    assert "COLOR_RED" in found["color"]
    assert found["nope"] == "unknown field"
    assert "RFC 3339" in found["when"]


async def test_query_rules_singular_oneof_path_bound_and_messages(served: Served) -> None:
    twice = await served.http.get("/v1/echo/q?i32=1&i32=2")
    assert "i32" in violations(twice)
    both = await served.http.get("/v1/echo/q?alpha=a&beta.id=b")
    assert "beta.id" in violations(both)
    path_bound = await served.http.get("/v1/echo/q?name=other")
    assert "bound by the path" in violations(path_bound)["name"]
    whole_message = await served.http.get("/v1/echo/q?inner=x")
    assert "subfields" in violations(whole_message)["inner"]
    bad_key = await served.http.get("/v1/echo/q?labels=x")
    assert "name[key]" in violations(bad_key)["labels"]


async def test_body_star_takes_camel_and_snake_names_and_well_known_types(served: Served) -> None:
    body = {
        "name": "n",
        "display_name": "snake",
        "i64": 9007199254740993,
        "u64": "12",
        "inner": {"tags": ["t"], "deeper": {"count": 2}},
        "extra": {"a": [1, "x", None, True], "b": {"c": 1.5}},
        "when": "2024-01-31T12:00:00.5+01:00",
        "wait": "-3s",
        "colors": ["COLOR_RED", 2],
        "labels": {"k": "v"},
        "beta": {"id": "b"},
        "raw": "aGk=",
    }
    echo = echo_of(await served.http.post("/v1/echo", json=body))
    assert echo["displayName"] == "snake"
    assert echo["i64"] == "9007199254740993"
    assert echo["u64"] == "12"
    assert echo["inner"]["deeper"]["count"] == 2
    assert echo["extra"] == {"a": [1, "x", None, True], "b": {"c": 1.5}}
    assert echo["when"] == "2024-01-31T11:00:00.500Z"
    assert echo["wait"] == "-3s"
    assert echo["colors"] == ["COLOR_RED", "COLOR_GREEN"]
    assert echo["beta"]["id"] == "b"
    assert "alpha" not in echo


async def test_unpopulated_fields_are_emitted_with_their_defaults(served: Served) -> None:
    echo = echo_of(await served.http.get("/v1/echo/x"))
    assert echo["i32"] == 0
    assert echo["i64"] == "0"
    assert echo["flag"] is False
    assert echo["tags"] == []
    assert echo["labels"] == {}
    assert echo["color"] == "COLOR_UNSPECIFIED"
    assert "inner" not in echo
    assert "when" not in echo


async def test_an_empty_body_is_an_empty_message(served: Served) -> None:
    assert echo_of(await served.http.post("/v1/echo"))["name"] == ""
    assert echo_of(await served.http.post("/v1/echo", content=b"  \n"))["name"] == ""


async def test_a_named_body_fills_its_field_and_the_query_the_rest(served: Served) -> None:
    response = await served.http.patch("/v1/echo/n?i32=4&flag=1", json={"id": "x", "count": 2})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name"] == "n"
    assert body["i32"] == 4
    assert body["flag"] is True
    assert body["inner"]["id"] == "x"
    assert "echo" not in body
    into_body = await served.http.patch("/v1/echo/n?inner.count=3", json={})
    assert "read from the request body" in violations(into_body)["inner.count"]


async def test_additional_bindings_have_their_own_body_rule(served: Served) -> None:
    put = echo_of(await served.http.put("/v1/acts/a1", json={"id": "inner-id"}))
    assert put["name"] == "a1"
    assert put["inner"]["id"] == "inner-id"


async def test_response_body_can_be_a_repeated_field(served: Served) -> None:
    response = await served.http.get("/v1/metadata", headers={"grpc-metadata-colour": "blue"})
    assert response.status_code == 200
    assert "colour=blue" in response.json()


async def test_body_star_refuses_query_parameters(served: Served) -> None:
    response = await served.http.post("/v1/echo?i32=1", json={})
    assert "from the request body" in violations(response)["i32"]


async def test_unknown_and_mistyped_body_fields_name_the_field(served: Served) -> None:
    cases = {
        '{"nope": 1}': ("nope", "unknown field"),
        '{"inner": {"nope": 1}}': ("inner.nope", "unknown field"),
        '{"i32": "abc"}': ("i32", "integer"),
        '{"i32": 1.5}': ("i32", "integer"),
        '{"i32": 4294967296}': ("i32", "integer"),
        '{"inner": "x"}': ("inner", "JSON object"),
        '{"tags": "x"}': ("tags", "JSON array"),
        '{"color": "PURPLE"}': ("color", "COLOR_RED"),
        '{"flag": "yes"}': ("flag", "true or false"),
        '{"when": "noon"}': ("when", "RFC 3339"),
        '{"raw": "***"}': ("raw", "base64"),
        '{"labels": []}': ("labels", "map"),
    }
    for body, (field, words) in cases.items():
        response = await served.http.post(
            "/v1/echo", content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == 400, body
        found = violations(response)
        assert field in found, (body, found)
        assert words in found[field], (body, found)


async def test_malformed_bodies_are_clean_400s(served: Served) -> None:
    bodies = [
        b"{",
        b"{'single': 1}",
        b"[1, 2]",
        b'"text"',
        b"\xff\xfe\x00",
        b"null",
        b'{"extra": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
        b'{"i64": ' + b"9" * 5000 + b"}",
        b'{"dbl": NaN}',
    ]
    for body in bodies:
        response = await served.http.post(
            "/v1/echo", content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == 400, (body[:40], response.status_code, response.text)
        assert response.json()["code"] == 3


async def test_nan_is_a_number_for_doubles_in_proto3_json(served: Served) -> None:
    echo = echo_of(await served.http.post("/v1/echo", content=b'{"dbl": "NaN", "flt": "-Infinity"}'))
    assert echo["dbl"] == "NaN"
    assert echo["flt"] == "-Infinity"


async def test_unknown_routes_and_wrong_methods_are_json(served: Served) -> None:
    missing = await served.http.get("/v1/nothing")
    assert missing.status_code == 404
    assert missing.json()["code"] == 5
    wrong = await served.http.delete("/v1/echo/x")
    assert wrong.status_code == 405
    assert wrong.json()["code"] == 12
    assert wrong.headers["allow"] == "GET, PATCH"
    bad_path = await served.http.get("/v1/echo/%ff%fe")
    assert bad_path.status_code == 400
    assert bad_path.json()["code"] == 3
