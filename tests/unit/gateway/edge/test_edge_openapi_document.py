"""The OpenAPI document built from descriptors and google.api.http rules."""

from __future__ import annotations

import logging

import pytest
from edge_protos import PACKAGE, SERVICE
from openapi_spec_validator import validate
from starlette.routing import Route

from gateway.errors import HTTP_STATUS
from gateway.openapi import build_document, shadowed_by
from gateway.openapi.document import mesh_services

Doc = dict  # type: ignore[type-arg]


@pytest.fixture(scope="module")
def doc() -> Doc:
    return build_document([SERVICE])


@pytest.fixture(scope="module")
def mesh_doc() -> Doc:
    return build_document()


def test_the_test_contract_gives_a_valid_openapi_3_1_document(doc: Doc) -> None:
    assert doc["openapi"].startswith("3.1")
    validate(doc)


def test_the_mesh_contracts_give_a_valid_document(mesh_doc: Doc) -> None:
    validate(mesh_doc)
    operations = [op for item in mesh_doc["paths"].values() for op in item.values()]
    ids = [op["operationId"] for op in operations]
    assert len(ids) == len(set(ids))
    assert "ConversationService_SendMessage" in ids
    assert "IdentityService_Login" in ids
    assert "IdentityService_VerifyToken" not in ids, "RPCs without an http rule are not on the HTTP API"


def test_every_annotated_rpc_of_the_mesh_is_in_the_document(mesh_doc: Doc) -> None:
    from google.api import annotations_pb2

    ids = {op["operationId"] for item in mesh_doc["paths"].values() for op in item.values()}
    for service in mesh_services():
        for method in service.methods:
            if method.GetOptions().HasExtension(annotations_pb2.http):
                assert f"{service.name}_{method.name}" in ids


def test_operation_ids_name_service_and_method_and_extra_bindings_are_numbered(doc: Doc) -> None:
    assert doc["paths"]["/v1/things/{thing_id}"]["get"]["operationId"] == "ThingService_GetThing"
    assert doc["paths"]["/v1/legacy/things/{thing_id}"]["get"]["operationId"] == "ThingService_GetThing_2"


def test_path_parameters_are_required_single_segments(doc: Doc) -> None:
    (param, *_) = doc["paths"]["/v1/things/{thing_id}"]["get"]["parameters"]
    assert param == {
        "name": "thing_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": "^[^/]+$"},
    }


def test_a_patterned_variable_keeps_its_pattern(doc: Doc) -> None:
    op = doc["paths"]["/v1/{name}"]["patch"]
    name = next(p for p in op["parameters"] if p["in"] == "path")
    assert name["schema"]["pattern"] == "^spaces/[^/]+/things/[^/]+$"


def test_get_fields_come_from_the_query_with_nested_ones_flattened(doc: Doc) -> None:
    params = {
        p["name"]: p for p in doc["paths"]["/v1/things/{thing_id}"]["get"]["parameters"] if p["in"] == "query"
    }
    assert set(params) == {"pageSize", "filter.depth", "filter.when", "filter.colors", "ids", "since"}
    assert params["ids"]["schema"] == {"type": "array", "items": {"type": "string"}}
    assert params["ids"]["explode"] is True
    assert params["since"]["schema"]["format"] == "date-time"
    assert params["filter.colors"]["schema"]["items"] == {"$ref": f"#/components/schemas/{PACKAGE}.Color"}


def test_a_named_body_field_is_the_body_and_the_rest_is_query(doc: Doc) -> None:
    op = doc["paths"]["/v1/{name}"]["patch"]
    body = op["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": f"#/components/schemas/{PACKAGE}.Everything"}
    assert [p["name"] for p in op["parameters"] if p["in"] == "query"] == ["updateMask"]


def test_response_body_names_the_field_answered_with(doc: Doc) -> None:
    ok = doc["paths"]["/v1/{name}"]["patch"]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"] == {
        "$ref": f"#/components/schemas/{PACKAGE}.Everything"
    }


def test_body_star_takes_every_field_not_in_the_path(doc: Doc) -> None:
    op = doc["paths"]["/v1/things/{thing_id}:act"]["post"]
    body = op["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["properties"]) == {"reason", "force"}
    assert not [p for p in op["parameters"] if p["in"] == "query"]


def test_public_rpcs_need_no_security_and_others_inherit_it(doc: Doc) -> None:
    assert doc["paths"]["/v1/things/{thing_id}:act"]["post"]["security"] == []
    assert "security" not in doc["paths"]["/v1/things/{thing_id}"]["get"]
    assert {"bearerAuth": []} in doc["security"]
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearerAuth"]["scheme"] == "bearer"
    assert schemes["apiKeyHeader"] == {"type": "apiKey", "in": "header", "name": "x-api-key"}


def test_server_streaming_answers_event_streams(doc: Doc) -> None:
    op = doc["paths"]["/v1/things/{thing_id}:watch"]["get"]
    content = op["responses"]["200"]["content"]
    assert set(content) == {"text/event-stream", "application/x-ndjson"}
    params = {p["name"]: p for p in op["parameters"]}
    assert params["stream"]["schema"]["enum"] == ["ndjson"]
    assert params["Last-Event-ID"]["in"] == "header"


def test_client_streaming_takes_a_file(doc: Doc) -> None:
    op = doc["paths"]["/v1/folders/{folder_id}/files:upload"]["post"]
    assert set(op["requestBody"]["content"]) == {"application/octet-stream", "multipart/form-data"}
    assert [p["name"] for p in op["parameters"] if p["in"] == "query"] == ["title"]


def test_errors_have_the_status_shape_and_429_its_headers(doc: Doc) -> None:
    op = doc["paths"]["/v1/things/{thing_id}"]["get"]
    assert op["responses"]["404"] == {"$ref": "#/components/responses/NotFound"}
    assert "default" not in op["responses"], "every status is listed, so an undocumented one shows"
    status = doc["components"]["schemas"]["google.rpc.Status"]
    assert set(status["properties"]) == {"code", "message", "details"}
    assert "Retry-After" in doc["components"]["responses"]["TooManyRequests"]["headers"]
    for ref in op["responses"].values():
        if "$ref" in ref:
            assert ref["$ref"].rsplit("/", 1)[1] in doc["components"]["responses"]


def test_every_status_the_edge_can_answer_is_documented(doc: Doc) -> None:
    op = doc["paths"]["/v1/things/{thing_id}"]["get"]
    answered = {*HTTP_STATUS.values(), 413, 429}
    assert {str(code) for code in answered} | {"200"} == set(op["responses"])


def test_a_binding_openapi_cannot_express_is_left_out_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        doc = build_document([SERVICE])
    assert not [path for path in doc["paths"] if path.endswith("/ping")]
    assert "ThingService_Ping" in caplog.text


def test_routes_served_elsewhere_are_left_out() -> None:
    async def endpoint(request: object) -> None:
        raise AssertionError

    shadowed = shadowed_by([Route("/v1/things/{thing_id}:act", endpoint, methods=["POST"])])
    assert shadowed == {("POST", "/v1/things/{thing_id}:act")}
    doc = build_document([SERVICE], shadowed=shadowed)
    assert "/v1/things/{thing_id}:act" not in doc["paths"]


def test_comments_become_descriptions() -> None:
    comments = {
        f"{PACKAGE}.ThingService.GetThing": "Fetches one thing.",
        f"{PACKAGE}.Everything": "All the types.",
        f"{PACKAGE}.Everything.a_string": "Just a string.",
        f"{PACKAGE}.ThingService": "Things.",
    }
    doc = build_document([SERVICE], comments=comments)
    assert doc["paths"]["/v1/things/{thing_id}"]["get"]["description"] == "Fetches one thing."
    everything = doc["components"]["schemas"][f"{PACKAGE}.Everything"]
    assert everything["description"] == "All the types."
    assert everything["properties"]["aString"]["description"] == "Just a string."
    assert doc["tags"] == [{"name": "ThingService", "description": "Things."}]


def test_a_starlette_converter_in_an_explicit_route_still_shadows_the_binding() -> None:
    routes = [Route("/v1/models/{model_id:path}", lambda request: None, methods=["GET"])]
    assert shadowed_by(routes) == {("GET", "/v1/models/{model_id}")}
