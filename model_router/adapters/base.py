"""What every provider adapter offers, and the errors an upstream exchange can end in.

An adapter is pure translation: it builds the upstream HTTP request from a
ChatCompletionRequest (or EmbedRequest), parses the provider's JSON answer or its SSE
events into ChatCompletionResponse messages, and reads the provider's error bodies into an
:class:`UpstreamError` that says whether trying again elsewhere can help. Sending is shared
(``model_router.adapters.transport``), so retries and failover stay in the relay.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from chatmesh.model_router.v1 import chat_pb2, inference_pb2

__all__ = [
    "Adapter",
    "HttpRequest",
    "SseEvent",
    "StreamParser",
    "Target",
    "UpstreamError",
]


@dataclass(frozen=True)
class Target:
    """Where one attempt goes: the channel's base URL, the key chosen, the model after mapping."""

    base_url: str
    api_key: str
    model: str
    options: dict[str, Any] = field(default_factory=dict)  # per-channel extras (azure api_version, ...)


@dataclass(frozen=True)
class HttpRequest:
    url: str
    headers: dict[str, str]
    json: dict[str, Any]


@dataclass(frozen=True)
class SseEvent:
    event: str
    data: str


class UpstreamError(Exception):
    """An attempt that failed, with what the relay needs to decide on the next one.

    ``retryable``: another attempt (on another channel) may succeed — connect errors, timeouts,
    429 and 5xx. ``key_fault``: the key itself is refused (401/403, quota exhausted) and should
    be parked. Anything else is the caller's fault and goes back to the caller as is.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retryable: bool = False,
        key_fault: bool = False,
        retry_after: float | None = None,
        reason: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retryable = retryable
        self.key_fault = key_fault
        self.retry_after = retry_after
        self.reason = reason or (f"http_{status}" if status else "transport")


class StreamParser(Protocol):
    """Turns one stream's events into responses; keeps the usage seen so far."""

    usage: chat_pb2.Usage | None

    def feed(self, event: SseEvent) -> list[inference_pb2.ChatCompletionResponse]: ...

    @property
    def done(self) -> bool: ...


class Adapter(Protocol):
    name: str

    def chat_request(self, request: inference_pb2.ChatCompletionRequest, target: Target) -> HttpRequest: ...

    def chat_response(self, body: dict[str, Any]) -> inference_pb2.ChatCompletionResponse: ...

    def stream_parser(self) -> StreamParser: ...

    def embed_request(self, request: inference_pb2.EmbedRequest, target: Target) -> HttpRequest: ...

    def embed_response(self, body: dict[str, Any]) -> inference_pb2.EmbedResponse: ...

    def error(self, status: int, body: bytes, retry_after: float | None) -> UpstreamError: ...
