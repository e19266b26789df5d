"""google.api.http path templates rendered as OpenAPI paths."""

from __future__ import annotations

import re

import pytest

from gateway.openapi.templates import PathVariable, parse_template


def test_plain_variables_become_single_segment_parameters() -> None:
    template = parse_template("/v1/conversations/{conversation_id}/messages/{message_id}")
    assert template.path == "/v1/conversations/{conversation_id}/messages/{message_id}"
    assert template.variables == (
        PathVariable("conversation_id", "^[^/]+$", False),
        PathVariable("message_id", "^[^/]+$", False),
    )


def test_a_verb_stays_on_the_last_segment() -> None:
    template = parse_template("/v1/conversations/{conversation_id}/messages:send")
    assert template.path == "/v1/conversations/{conversation_id}/messages:send"
    assert parse_template("/v1/oauth/{provider_id}:start").path == "/v1/oauth/{provider_id}:start"


def test_a_variable_with_a_pattern_is_constrained_by_it() -> None:
    template = parse_template("/v1/{name=tenants/*/users/*}:disable")
    assert template.path == "/v1/{name}:disable"
    (variable,) = template.variables
    assert variable.field_path == "name"
    assert re.fullmatch(variable.pattern.strip("^$"), "tenants/t1/users/u1")
    assert not re.fullmatch(variable.pattern.strip("^$"), "tenants/t1/users")
    assert not variable.multi_segment


def test_a_double_wildcard_may_span_segments() -> None:
    (variable,) = parse_template("/v1/models/{model_id=**}").variables
    assert variable.multi_segment
    assert re.fullmatch(variable.pattern.strip("^$"), "org/model/v2")


def test_nested_field_paths_are_kept() -> None:
    template = parse_template("/v1/{message.name=messages/*}")
    assert template.path == "/v1/{message.name}"
    assert template.variables[0].field_path == "message.name"


@pytest.mark.parametrize("bad", ["v1/x", "/v1/*/x", "/v1/{id", "/v1/id}", "/v1/a:b:c", "/v1/{=x}"])
def test_templates_openapi_cannot_express_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_template(bad)
