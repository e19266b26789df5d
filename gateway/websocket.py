"""``/v1/notifications:subscribe`` over WebSocket: NotificationService.Subscribe for browsers and apps.

Browsers cannot put headers on a WebSocket handshake, so credentials may come as ``?token=``
(JWT) or ``?key=`` (API key) as well as the usual headers; the edge authenticator reads them.
Other query parameters fill the SubscribeRequest (``categories`` repeated, ``lastEventId`` to
resume). Each response is one JSON text frame, the same JSON the event stream of the same RPC
carries in its ``data:`` lines; ``{"ping": "<RFC 3339 time>"}`` is sent every
``gateway_ws_ping_seconds`` so idle connections survive proxies and dead ones are found. A
caller the edge could not vouch for but whose credential it forwards (the pass-through
authenticator) is left to the service to judge. Close codes: 1000 when the stream ends, 1008
when the caller is not allowed (bad or missing credentials, a bad request), 1013 when rate
limited, 1011 on any other upstream error. The RPC is cancelled as soon as the socket closes.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import grpc
from chatmesh.notification.v1 import notifications_pb2
from google.protobuf.json_format import ParseDict, ParseError
from google.protobuf.message import Message
from starlette.requests import HTTPConnection
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from gateway.policies.ratelimit import RateLimited
from gateway.policies.ratelimit_asgi import limit_request
from gateway.transcoding.response import dumps, message_dict
from mesh.auth import Principal
from mesh.config import Settings
from mesh.errors import DomainError, PermissionDenied, Unauthenticated

__all__ = ["SUBSCRIBE_PATH", "SUBSCRIBE_RPC", "Authenticator", "NotificationSocket", "request_from_query"]

SUBSCRIBE_PATH = "/v1/notifications:subscribe"
SUBSCRIBE_RPC = "chatmesh.notification.v1.NotificationService/Subscribe"
CREDENTIAL_PARAMS = frozenset({"token", "key", "access_token"})
NORMAL, POLICY, INTERNAL, TRY_AGAIN_LATER = 1000, 1008, 1011, 1013
_POLICY_CODES = (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED)
_MAX_REASON_BYTES = 123

log = logging.getLogger(__name__)


class Caller(Protocol):
    """What gw-core's EdgeCaller offers: who is calling and the metadata to forward."""

    @property
    def principal(self) -> Principal: ...

    @property
    def metadata(self) -> Sequence[tuple[str, str]]: ...


class Authenticator(Protocol):
    """gw-core's EdgeAuthenticator; raises Unauthenticated (or another DomainError)."""

    async def authenticate(self, request: HTTPConnection) -> Caller: ...


class _Closed(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def _reason(text: str) -> str:
    encoded = text.encode()
    if len(encoded) <= _MAX_REASON_BYTES:
        return text
    return encoded[: _MAX_REASON_BYTES - 3].decode(errors="ignore") + "..."


def request_from_query(message: Message, query: Any) -> Message:
    """Fill ``message`` from query parameters by JSON or proto field name; repeated fields repeat.

    Raises ValueError naming the parameter when a value does not fit its field.
    """
    fields = {field.json_name: field for field in message.DESCRIPTOR.fields}
    fields.update({field.name: field for field in message.DESCRIPTOR.fields})
    values: dict[str, Any] = {}
    for name in dict.fromkeys(query.keys()):
        if name in CREDENTIAL_PARAMS:
            continue
        field = fields.get(name)
        if field is None or field.message_type is not None:
            raise ValueError(f"unknown query parameter {name!r}")
        given = query.getlist(name)
        if field.type == field.TYPE_BOOL:
            given = [value.lower() in ("true", "1") for value in given]
        values[field.json_name] = given if field.is_repeated else given[-1]
    try:
        return ParseDict(values, message)
    except ParseError as exc:
        raise ValueError(str(exc)) from None


class NotificationSocket:
    """The ASGI endpoint (``WebSocketRoute(SUBSCRIBE_PATH, NotificationSocket(...))``)."""

    def __init__(self, settings: Settings, clients: Any, authenticator: Authenticator) -> None:
        self._ping_seconds = settings.gateway_ws_ping_seconds
        self._clients = clients
        self._authenticator = authenticator

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        try:
            caller = await self._admit(websocket)
            await self._bridge(websocket, caller)
        except _Closed as closed:
            if websocket.client_state == WebSocketState.CONNECTED:
                await websocket.close(closed.code, _reason(closed.reason))

    async def _admit(self, websocket: WebSocket) -> Caller:
        try:
            caller = await self._authenticator.authenticate(websocket)
        except (Unauthenticated, PermissionDenied) as err:
            raise _Closed(POLICY, err.message) from None
        except DomainError as err:
            raise _Closed(INTERNAL, err.message) from None
        principal = caller.principal
        if not principal.is_authenticated and not caller.metadata:
            raise _Closed(POLICY, "credentials required: ?token=, ?key= or an Authorization header")
        try:
            await limit_request(
                websocket,
                route=SUBSCRIBE_RPC,
                user_id=principal.user_id,
                api_key_id=principal.token_id if principal.kind == "api_key" else None,
                tenant_id=principal.tenant_id or None,
            )
        except RateLimited as refused:
            raise _Closed(TRY_AGAIN_LATER, f"rate limited; retry after {refused.retry_after} s") from None
        return caller

    async def _bridge(self, websocket: WebSocket, caller: Caller) -> None:
        try:
            request = request_from_query(notifications_pb2.SubscribeRequest(), websocket.query_params)
        except ValueError as exc:
            raise _Closed(POLICY, f"invalid request: {exc}") from None
        call = self._clients.stub("notification").Subscribe(request, metadata=tuple(caller.metadata))
        lock = asyncio.Lock()
        tasks = {
            asyncio.ensure_future(self._forward(websocket, call, lock)),
            asyncio.ensure_future(_until_disconnect(websocket)),
            asyncio.ensure_future(self._ping(websocket, lock)),
        }
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            call.cancel()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        for task in done:
            failure = None if task.cancelled() else task.exception()
            if isinstance(failure, _Closed):
                raise failure
            if failure is not None:
                log.error("notification socket failed", exc_info=failure)
                raise _Closed(INTERNAL, "internal error")

    async def _forward(self, websocket: WebSocket, call: Any, lock: asyncio.Lock) -> None:
        try:
            async for message in call:
                frame = dumps(message_dict(message)).decode()
                async with lock:
                    await websocket.send_text(frame)
        except grpc.aio.AioRpcError as exc:
            code = POLICY if exc.code() in _POLICY_CODES else INTERNAL
            raise _Closed(code, f"{exc.code().name}: {exc.details() or ''}") from None
        except (WebSocketDisconnect, RuntimeError, OSError):
            return
        raise _Closed(NORMAL, "stream ended")

    async def _ping(self, websocket: WebSocket, lock: asyncio.Lock) -> None:
        while True:
            await asyncio.sleep(self._ping_seconds)
            frame = json.dumps(
                {"ping": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")}
            )
            try:
                async with lock:
                    await websocket.send_text(frame)
            except (WebSocketDisconnect, RuntimeError, OSError):
                return


async def _until_disconnect(websocket: WebSocket) -> None:
    """Read (and ignore) client frames until the client goes away."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
