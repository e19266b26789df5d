"""The google.api.http path-template grammar and the router's precedence rules."""

from __future__ import annotations

import pytest

from gateway.transcoding import RouteConflict, Router, parse_template
from gateway.transcoding.router import BadPath, MethodMismatch, PathMatch
from gateway.transcoding.template import SegmentKind, TemplateError


def test_a_template_is_segments_variables_and_a_verb() -> None:
    template = parse_template("/v1/{parent=tenants/*}/users/{user.id}:disable")
    assert template.kinds == (
        SegmentKind.LITERAL,
        SegmentKind.LITERAL,
        SegmentKind.SINGLE,
        SegmentKind.LITERAL,
        SegmentKind.SINGLE,
    )
    assert template.literals[:2] == ("v1", "tenants")
    assert [(v.dotted, v.start, v.end) for v in template.variables] == [("parent", 1, 3), ("user.id", 4, 5)]
    assert template.verb == "disable"


def test_double_wildcard_variables_run_to_the_end() -> None:
    template = parse_template("/v1/models/{model_id=**}")
    assert template.variables[0].end is None
    assert template.variables[0].multi_segment
    assert template.ends_with_rest


@pytest.mark.parametrize(
    "text",
    [
        "v1/no-slash",
        "/v1/{unclosed",
        "/v1/{a={b}}",
        "/v1/**/tail",
        "/v1/{x}/{x}",
        "/v1/{1bad}",
        "/v1/:",
        "/v1/a b",
        "/v1//double",
        "/v1/x:verb/more",
    ],
)
def test_malformed_templates_are_refused(text: str) -> None:
    with pytest.raises(TemplateError):
        parse_template(text)


def make_router(*rules: tuple[str, str]) -> Router[str]:
    router: Router[str] = Router()
    for method, text in rules:
        router.add(method, parse_template(text), f"{method} {text}")
    return router


def target(router: Router[str], method: str, path: str) -> str | None:
    found = router.match(method, path)
    return found.target if isinstance(found, PathMatch) else None


def test_literal_segments_beat_variables_whatever_the_order() -> None:
    router = make_router(("GET", "/v1/users/{user_id}"), ("GET", "/v1/users/me"), ("GET", "/v1/{name=**}"))
    assert target(router, "GET", "/v1/users/me") == "GET /v1/users/me"
    assert target(router, "GET", "/v1/users/u1") == "GET /v1/users/{user_id}"
    assert target(router, "GET", "/v1/users/u1/extra") == "GET /v1/{name=**}"
    assert target(router, "GET", "/v1") == "GET /v1/{name=**}"


def test_an_earlier_literal_wins_over_a_later_one() -> None:
    router = make_router(("GET", "/v1/{a}/items"), ("GET", "/v1/shelves/{b}"))
    assert target(router, "GET", "/v1/shelves/items") == "GET /v1/shelves/{b}"


def test_verbs_are_split_from_the_last_segment_and_else_kept() -> None:
    router = make_router(
        ("POST", "/v1/users/{user_id}:disable"),
        ("GET", "/v1/models/{model_id=**}"),
        ("POST", "/v1/auth:login"),
    )
    match = router.match("POST", "/v1/users/a:b:disable")
    assert isinstance(match, PathMatch)
    assert match.bindings == {("user_id",): "a:b"}
    model = router.match("GET", "/v1/models/ft:gpt-4o:acme")
    assert isinstance(model, PathMatch)
    assert model.bindings == {("model_id",): "ft:gpt-4o:acme"}
    assert target(router, "POST", "/v1/auth:login") == "POST /v1/auth:login"
    assert target(router, "POST", "/v1/auth:logout") is None


def test_wrong_method_is_a_mismatch_listing_what_is_allowed() -> None:
    router = make_router(("GET", "/v1/x/{id}"), ("DELETE", "/v1/x/{id}"), ("GET", "/v1/x/{id}:watch"))
    found = router.match("POST", "/v1/x/1")
    assert found == MethodMismatch(("DELETE", "GET"))
    assert router.match("GET", "/v1/y") is None


def test_single_wildcards_never_match_an_empty_segment() -> None:
    router = make_router(("GET", "/v1/x/{id}"))
    assert router.match("GET", "/v1/x/") is None


def test_captures_are_decoded_as_http_proto_says() -> None:
    router = make_router(("GET", "/v1/one/{id}"), ("GET", "/v1/many/{path=**}"))
    one = router.match("GET", "/v1/one/a%2Fb%20c")
    many = router.match("GET", "/v1/many/a%2fb/c%20d")
    assert isinstance(one, PathMatch) and one.bindings == {("id",): "a/b c"}
    assert isinstance(many, PathMatch) and many.bindings == {("path",): "a%2Fb/c d"}
    with pytest.raises(BadPath):
        router.match("GET", "/v1/one/%ff")


def test_the_same_method_and_template_twice_is_a_conflict() -> None:
    with pytest.raises(RouteConflict):
        make_router(("GET", "/v1/x/{a}"), ("GET", "/v1/x/{b}"))


def test_very_long_paths_are_not_routed() -> None:
    router = make_router(("GET", "/v1/{rest=**}"))
    assert router.match("GET", "/v1" + "/a" * 500) is None
