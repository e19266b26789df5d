"""Recorded edge spans (with an exporter) and WebSocket query strings as request messages."""

from __future__ import annotations

import httpx
import pytest
from edge_protos import PACKAGE, POOL
from google.protobuf import message_factory
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from starlette.applications import Starlette
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.policies import ROUTE_KEY, edge_trace
from gateway.policies.edge_trace import TraceContextMiddleware
from gateway.websocket import request_from_query
from mesh.telemetry import current_trace_ids

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


async def traced(request: Request) -> Response:
    request.scope[ROUTE_KEY] = "/v1/things/{thing_id}"
    return JSONResponse({"trace_id": current_trace_ids()[0]}, status_code=201)


async def test_with_an_exporter_each_request_is_a_server_span_named_after_its_route(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(edge_trace, "exporting_spans", lambda: True)
    monkeypatch.setattr(edge_trace.trace, "get_tracer", provider.get_tracer)
    app = Starlette(routes=[Route("/v1/things/{rest:path}", traced)])
    transport = httpx.ASGITransport(app=TraceContextMiddleware(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
        response = await http.get(
            "/v1/things/t-1", headers={"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"}
        )
    assert response.json()["trace_id"] == TRACE_ID
    (span,) = exporter.get_finished_spans()
    assert span.name == "GET /v1/things/{thing_id}"
    assert span.kind == SpanKind.SERVER
    assert format(span.context.trace_id, "032x") == TRACE_ID
    assert span.parent is not None and format(span.parent.span_id, "016x") == "00f067aa0ba902b7"
    assert span.attributes is not None
    assert span.attributes["http.route"] == "/v1/things/{thing_id}"
    assert span.attributes["http.response.status_code"] == 201


def _message(name: str) -> object:
    return message_factory.GetMessageClass(POOL.FindMessageTypeByName(f"{PACKAGE}.{name}"))()


def test_query_parameters_fill_fields_by_json_or_proto_name() -> None:
    query = QueryParams("thingId=t1&page_size=5&ids=a&ids=b&token=secret&key=sk-x")
    message = request_from_query(_message("GetThingRequest"), query)  # type: ignore[arg-type]
    assert message.thing_id == "t1"  # type: ignore[attr-defined]
    assert message.page_size == 5  # type: ignore[attr-defined]
    assert list(message.ids) == ["a", "b"]  # type: ignore[attr-defined]


def test_booleans_are_read_from_words() -> None:
    message = request_from_query(_message("ActRequest"), QueryParams("force=true&reason=why"))  # type: ignore[arg-type]
    assert message.force is True  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("query", "complaint"),
    [
        ("colour=red", "unknown query parameter 'colour'"),
        ("filter=x", "unknown query parameter 'filter'"),
        ("pageSize=many", "many"),
    ],
)
def test_bad_parameters_are_refused(query: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        request_from_query(_message("GetThingRequest"), QueryParams(query))  # type: ignore[arg-type]
