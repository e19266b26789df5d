"""The one Starlette route that serves every transcoded RPC.

``matches`` asks the router (a trie built from the descriptors) which binding the path
names; ``handle`` then authenticates, builds the request message, applies the rate limit,
calls the RPC and writes its answer: JSON for unary calls, SSE or NDJSON for server
streams, a streamed body for uploads. Every failure on the way is an error response in the
one body shape of gateway.errors; an exception nobody expected is logged with the request
id and answered with a 500 that says nothing else.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import grpc
from opentelemetry import trace
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import Receive, Scope, Send

from gateway.edge_auth import Authenticator, EdgeCaller
from gateway.errors import (
    GatewayError,
    bad_request,
    error_response,
    internal_error_status,
    status_from_rpc_error,
)
from gateway.invoke import GRPC_TIMEOUT_HEADER, Invoker, call_deadline, forwarded_metadata
from gateway.policies import ROUTE_KEY, limit_request
from gateway.policies.request_id import accepted_request_id
from gateway.streaming import ServerStream, StreamFormat
from gateway.transcoding.bindings import CallKind, HttpBinding
from gateway.transcoding.request import apply_path, build_request, parse_query
from gateway.transcoding.response import dumps, response_value
from gateway.transcoding.router import BadPath, MethodMismatch, PathMatch, Router
from gateway.upload import upload
from mesh.errors import DomainError, Unimplemented, to_rpc_status
from mesh.telemetry import current_request_id

__all__ = ["Transcoder", "TranscodingRoute"]

log = logging.getLogger(__name__)

_MATCH = "chatmesh.transcoded_match"
_ALLOWED = "chatmesh.allowed_methods"
_BAD_PATH = "chatmesh.bad_path"
_TRACE_HEADERS = ("traceparent", "tracestate")
_NDJSON_TYPES = ("application/x-ndjson", "application/jsonl")


class Transcoder:
    """Turns one matched HTTP request into one RPC and its answer."""

    def __init__(
        self,
        invoker: Invoker,
        authenticator: Authenticator,
        *,
        max_body_bytes: int,
        max_upload_bytes: int,
        heartbeat_seconds: float,
        route_deadlines: Mapping[str, float],
    ) -> None:
        self._invoker = invoker
        self._authenticator = authenticator
        self._max_body = max_body_bytes
        self._max_upload = max_upload_bytes
        self._heartbeat = heartbeat_seconds
        self._deadlines = dict(route_deadlines)

    async def __call__(
        self, match: PathMatch[HttpBinding], scope: Scope, receive: Receive, send: Send
    ) -> None:
        request = Request(scope, receive)
        request_id = current_request_id() or accepted_request_id(request.headers.get("x-request-id"))
        try:
            response = await self._respond(match, request, request_id)
        except ClientDisconnect:
            return
        except GatewayError as exc:
            response = error_response(exc.status(), http=exc.http, headers=exc.headers)
        except grpc.aio.AioRpcError as exc:
            response = error_response(status_from_rpc_error(exc))
        except DomainError as exc:
            response = _domain_error(exc)
        except Exception:
            log.exception("%s %s failed in the gateway", request.method, match.template.text)
            response = error_response(internal_error_status(request_id))
        await response(scope, receive, send)

    async def _respond(self, match: PathMatch[HttpBinding], request: Request, request_id: str) -> Any:
        binding = match.target
        params = parse_query(request.scope.get("query_string", b""))
        fmt = _stream_format(binding, request, params)
        caller = await self._authenticator.authenticate(request, public=binding.public)
        if binding.kind is CallKind.CLIENT_STREAM:
            message = binding.request_class()
            apply_path(message, match.bindings)
        else:
            body = await self._read_body(request) if binding.body else b""
            message = build_request(binding, match.bindings, params, body)
            _resume(binding, message, request)
        model = getattr(message, binding.model_field.name) if binding.model_field is not None else ""
        await _limit(request, binding, caller, model)
        metadata = self._metadata(request, caller, request_id)
        timeout = call_deadline(binding, request.headers.get(GRPC_TIMEOUT_HEADER), self._deadlines)
        multicallable = self._invoker(binding)
        if binding.kind is CallKind.SERVER_STREAM:
            call = multicallable(message, timeout=timeout, metadata=metadata)
            return ServerStream(call, binding, fmt=fmt, heartbeat=self._heartbeat, request_id=request_id)
        if binding.kind is CallKind.CLIENT_STREAM:
            reply = await upload(
                binding,
                request,
                message,
                lambda: multicallable(timeout=timeout, metadata=metadata),
                limit=self._max_upload,
                params=params,
            )
            return _json(binding, reply)
        call = multicallable(message, timeout=timeout, metadata=metadata)
        reply = await call
        return _json(binding, reply, await _header_metadata(call))

    async def _read_body(self, request: Request) -> bytes:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self._max_body:
            raise _too_large(self._max_body)
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self._max_body:
                raise _too_large(self._max_body)
            chunks.append(chunk)
        return b"".join(chunks)

    def _metadata(
        self, request: Request, caller: EdgeCaller, request_id: str
    ) -> list[tuple[str, str | bytes]]:
        headers = request.headers.items()
        if trace.get_current_span().get_span_context().is_valid:
            # The edge's own span is the parent now; mesh.clients injects its context.
            headers = [(k, v) for k, v in headers if k not in _TRACE_HEADERS]
        client_ip = request.client.host if request.client is not None else None
        return forwarded_metadata(
            headers, client_ip=client_ip, request_id=request_id, credentials=caller.metadata
        )


def _too_large(limit: int) -> GatewayError:
    return bad_request(f"the request body is larger than {limit} bytes", reason="BODY_TOO_LARGE", http=413)


def _stream_format(binding: HttpBinding, request: Request, params: Mapping[str, list[str]]) -> StreamFormat:
    asked = params.get("stream")
    if asked is not None:
        if asked[-1] not in ("ndjson", "sse") or binding.kind is not CallKind.SERVER_STREAM:
            raise bad_request('stream= takes "sse" or "ndjson", and only on streaming routes')
        return StreamFormat.NDJSON if asked[-1] == "ndjson" else StreamFormat.SSE
    accept = request.headers.get("accept", "")
    if any(kind in accept for kind in _NDJSON_TYPES) and "text/event-stream" not in accept:
        return StreamFormat.NDJSON
    return StreamFormat.SSE


def _resume(binding: HttpBinding, message: Any, request: Request) -> None:
    """``Last-Event-ID`` (an EventSource reconnecting) resumes the stream where the RPC can."""
    last = request.headers.get("last-event-id")
    field = binding.resume_field
    if last and field is not None and not getattr(message, field.name):
        setattr(message, field.name, last)


async def _limit(request: Request, binding: HttpBinding, caller: EdgeCaller, model: str) -> None:
    principal = caller.principal
    await limit_request(
        request,
        route=binding.full_method.lstrip("/"),
        user_id=principal.user_id,
        api_key_id=caller.api_key_id,
        tenant_id=principal.tenant_id or None,
        model=model or None,
    )


async def _header_metadata(call: Any) -> dict[str, str]:
    """Response header metadata as ``Grpc-Metadata-<key>`` headers, as grpc-gateway forwards them."""
    found = await call.initial_metadata()
    headers: dict[str, str] = {}
    for key, value in found or ():
        if isinstance(value, str) and not key.startswith("grpc-") and key != "content-type":
            headers[f"grpc-metadata-{key}"] = value
    return headers


def _json(binding: HttpBinding, reply: Any, headers: Mapping[str, str] | None = None) -> Response:
    return Response(dumps(response_value(binding, reply)), headers=headers, media_type="application/json")


def _domain_error(err: DomainError) -> Response:
    status = to_rpc_status(err, "gateway")
    headers = {"www-authenticate": "Bearer"} if err.code == grpc.StatusCode.UNAUTHENTICATED else None
    rate_headers = getattr(err, "headers", None)
    if isinstance(rate_headers, Mapping):
        headers = {**(headers or {}), **rate_headers}
    return error_response(status, headers=headers)


class TranscodingRoute(BaseRoute):
    """Every transcoded binding behind one Starlette route (placed after the explicit routes)."""

    path = "(transcoded)"
    name = "transcoded"

    def __init__(self, router: Router[HttpBinding], transcoder: Transcoder) -> None:
        self.router = router
        self.transcoder = transcoder

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return Match.NONE, {}
        raw = scope.get("raw_path")
        path = raw.split(b"?", 1)[0].decode("latin-1") if raw else scope["path"]
        try:
            found = self.router.match(scope["method"], path)
        except BadPath as exc:
            return Match.FULL, {_BAD_PATH: str(exc)}
        if isinstance(found, PathMatch):
            return Match.FULL, {_MATCH: found, "route": found.target, ROUTE_KEY: found.target.path}
        if isinstance(found, MethodMismatch):
            return Match.PARTIAL, {_ALLOWED: found.allowed}
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = scope.get(_MATCH)
        if match is not None:
            await self.transcoder(match, scope, receive, send)
            return
        if _BAD_PATH in scope:
            response = error_response(bad_request(scope[_BAD_PATH]).status())
        else:
            allowed = scope.get(_ALLOWED, ())
            message = f"{scope['method']} is not allowed on {scope['path']}"
            status = to_rpc_status(Unimplemented(message, reason="METHOD_NOT_ALLOWED"), "gateway")
            response = error_response(status, http=405, headers={"allow": ", ".join(allowed)})
        await response(scope, receive, send)
