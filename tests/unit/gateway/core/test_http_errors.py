"""The status table, the error body, Retry-After, deadlines, metadata forwarding and SSE framing."""

from __future__ import annotations

import json

import grpc
import pytest
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2

from gateway.errors import (
    GatewayError,
    error_response,
    http_status,
    internal_error_status,
    retry_after_seconds,
    status_from_rpc_error,
    status_json,
)
from gateway.invoke import forwarded_metadata, parse_grpc_timeout
from gateway.streaming import sse_frame
from mesh.clients.pending import rpc_error
from mesh.errors import FieldViolation, InvalidArgument, ResourceExhausted, to_rpc_status

GRPC_GATEWAY_TABLE = {
    "OK": 200,
    "CANCELLED": 408,
    "UNKNOWN": 500,
    "INVALID_ARGUMENT": 400,
    "DEADLINE_EXCEEDED": 504,
    "NOT_FOUND": 404,
    "ALREADY_EXISTS": 409,
    "PERMISSION_DENIED": 403,
    "UNAUTHENTICATED": 401,
    "RESOURCE_EXHAUSTED": 429,
    "FAILED_PRECONDITION": 400,
    "ABORTED": 409,
    "OUT_OF_RANGE": 400,
    "UNIMPLEMENTED": 501,
    "INTERNAL": 500,
    "UNAVAILABLE": 503,
    "DATA_LOSS": 500,
}


def test_every_code_maps_exactly_like_grpc_gateway() -> None:
    assert {code.name: http_status(code) for code in grpc.StatusCode} == GRPC_GATEWAY_TABLE
    assert http_status(3) == 400
    assert http_status(99) == 500


def test_the_body_is_google_rpc_status_with_typed_details() -> None:
    status = to_rpc_status(InvalidArgument("bad", [FieldViolation("a.b", "must be set")]), "identity")
    body = status_json(status)
    assert body["code"] == 3
    assert body["message"] == "bad"
    assert body["details"] == [
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "INVALID_ARGUMENT",
            "domain": "chatmesh.identity",
        },
        {
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            "fieldViolations": [{"field": "a.b", "description": "must be set"}],
        },
    ]


def test_a_detail_of_an_unknown_type_is_kept_as_raw_any() -> None:
    status = status_pb2.Status(
        code=2, message="x", details=[any_pb2.Any(type_url="example.com/Thing", value=b"\x01")]
    )
    assert status_json(status)["details"] == [{"@type": "example.com/Thing", "value": "AQ=="}]


def test_retry_after_rounds_retry_info_up() -> None:
    status = to_rpc_status(ResourceExhausted("slow", retry_after=0.2))
    assert retry_after_seconds(status) == 1
    response = error_response(status)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "1"
    assert retry_after_seconds(status_pb2.Status(code=8)) is None


def test_gateway_errors_may_override_the_status() -> None:
    err = GatewayError(InvalidArgument("too big"), http=413)
    response = error_response(err.status(), http=err.http)
    assert response.status_code == 413
    assert json.loads(bytes(response.body))["code"] == 3


def test_internal_errors_say_only_the_request_id() -> None:
    body = status_json(internal_error_status("req-9"))
    assert body["code"] == 13
    assert "req-9" in body["message"]
    assert {"@type": "type.googleapis.com/google.rpc.RequestInfo", "requestId": "req-9"} in body["details"]


def test_a_status_without_details_trailer_keeps_code_and_message() -> None:
    status = status_from_rpc_error(rpc_error(grpc.StatusCode.UNAVAILABLE, "no instance"))
    assert (status.code, status.message, list(status.details)) == (14, "no instance", [])


def test_a_rich_status_comes_from_the_details_trailer() -> None:
    rich = to_rpc_status(ResourceExhausted("slow", retry_after=3))
    exc = grpc.aio.AioRpcError(
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.aio.Metadata(),
        grpc.aio.Metadata(("grpc-status-details-bin", rich.SerializeToString())),
        "slow",
        "slow",
    )
    status = status_from_rpc_error(exc)
    assert status == rich
    info = error_details_pb2.RetryInfo()
    assert status.details[-1].Unpack(info) and info.retry_delay.seconds == 3


@pytest.mark.parametrize(("text", "seconds"), [("5S", 5.0), ("200m", 0.2), ("1H", 3600.0), ("30u", 30e-6)])
def test_grpc_timeouts_parse_like_the_grpc_header(text: str, seconds: float) -> None:
    assert parse_grpc_timeout(text) == pytest.approx(seconds)


def test_metadata_forwarding_rules() -> None:
    metadata = forwarded_metadata(
        [
            ("grpc-metadata-x-tenant", "acme"),
            ("grpc-metadata-blob-bin", "AAE"),
            ("x-forwarded-for", "10.0.0.1"),
            ("host", "api.example.com"),
            ("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
            ("user-agent", "curl"),
        ],
        client_ip="10.0.0.2",
        request_id="r1",
        credentials=(("authorization", "Bearer t"),),
    )
    assert metadata == [
        ("authorization", "Bearer t"),
        ("x-tenant", "acme"),
        ("blob-bin", b"\x00\x01"),
        ("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
        # Only the address the edge verified: what the client wrote in X-Forwarded-For is dropped.
        ("x-forwarded-for", "10.0.0.2"),
        ("x-forwarded-host", "api.example.com"),
        ("x-request-id", "r1"),
    ]


@pytest.mark.parametrize("name", ["x-chatmesh-client-ip", "x-forwarded-for", "authorization"])
def test_mesh_and_credential_metadata_cannot_be_set_by_clients(name: str) -> None:
    with pytest.raises(GatewayError):
        forwarded_metadata([(f"grpc-metadata-{name}", "203.0.113.9 x")], client_ip=None, request_id="r")


def test_non_printable_metadata_is_refused() -> None:
    with pytest.raises(GatewayError):
        forwarded_metadata([("grpc-metadata-x", "a\x01b")], client_ip=None, request_id="r")
    with pytest.raises(GatewayError):
        forwarded_metadata([("grpc-metadata-X_Y!", "v")], client_ip=None, request_id="r")


def test_sse_frames() -> None:
    assert sse_frame(b'{"a":1}', event_id="7") == b'id: 7\ndata: {"a":1}\n\n'
    assert sse_frame(b"{}", event="done") == b"event: done\ndata: {}\n\n"
    assert sse_frame(b"{}", event_id="a\nb") == b"id: a b\ndata: {}\n\n"
