"""Client-streaming uploads: an HTTP body streamed into the RPC chunk by chunk.

The first request message carries everything but the bytes (path variables, query
parameters, form fields, and hints taken from the file itself: its name, media type and
size); every later message carries one chunk of the file in the binding's bytes field.
Nothing holds the whole file: an HTTP chunk is read, cut into RPC chunks, written with the
call's flow control, and only then is the next HTTP chunk read. Bodies come raw (any
content type) or as ``multipart/form-data`` with the form fields before the one file part.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from typing import Any

import grpc
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from gateway.errors import bad_request
from gateway.transcoding.bindings import HttpBinding
from gateway.transcoding.fields import FieldError, descriptor_of, set_from_text
from gateway.transcoding.request import apply_body, apply_query

__all__ = ["CHUNK_BYTES", "MAX_FIELD_BYTES", "upload"]

CHUNK_BYTES = 256 * 1024
MAX_FIELD_BYTES = 64 * 1024
MAX_FIELDS = 100
_FILENAME = re.compile(r"""filename\*?=(?:UTF-8'')?"?([^";]+)"?""", re.IGNORECASE)


class _Sink:
    """Cuts the incoming bytes into chunk messages and writes them to the call in order."""

    def __init__(self, call: Any, binding: HttpBinding, limit: int) -> None:
        self.call = call
        self._binding = binding
        self._limit = limit
        self._buffer = bytearray()
        self.total = 0

    async def add(self, data: bytes) -> None:
        self.total += len(data)
        if self.total > self._limit:
            raise _too_large(self._limit)
        self._buffer.extend(data)
        while len(self._buffer) >= CHUNK_BYTES:
            await self._write(bytes(self._buffer[:CHUNK_BYTES]))
            del self._buffer[:CHUNK_BYTES]

    async def close(self) -> None:
        if self._buffer:
            await self._write(bytes(self._buffer))
            self._buffer.clear()
        try:
            await self.call.done_writing()
        except (asyncio.InvalidStateError, grpc.aio.AioRpcError):
            raise _CallEnded from None

    async def send(self, message: Message) -> None:
        """Write one message; _CallEnded once the service has answered (its status says why)."""
        if self.call.done():
            raise _CallEnded
        try:
            await self.call.write(message)
        except (asyncio.InvalidStateError, grpc.aio.AioRpcError):
            # A write racing the service's answer fails as INTERNAL "Internal error from
            # Core"; awaiting the call afterwards gives the status the service really sent.
            raise _CallEnded from None

    async def _write(self, chunk: bytes) -> None:
        chunk_field = self._binding.chunk_field
        assert chunk_field is not None
        await self.send(self._binding.request_class(**{chunk_field.name: chunk}))


class _CallEnded(Exception):
    """The service ended the call before the whole body was sent (usually with an error)."""


def _too_large(limit: int) -> Exception:
    return bad_request(f"the upload is larger than {limit} bytes", reason="UPLOAD_TOO_LARGE", http=413)


def _file_message(binding: HttpBinding, first: Message) -> Message | None:
    """The message-typed alternative of the chunk field (e.g. ``metadata``), where file hints go."""
    chunk = binding.chunk_field
    assert chunk is not None
    oneof = chunk.containing_oneof
    for candidate in first.DESCRIPTOR.fields:
        if candidate.type == FieldDescriptor.TYPE_MESSAGE and not candidate.is_repeated:
            if oneof is None or candidate.containing_oneof is oneof:
                return getattr(first, candidate.name)  # type: ignore[no-any-return]
    return None


def _hint(first: Message, binding: HttpBinding, *, filename: str, media_type: str, size: int | None) -> None:
    """Fill filename / mime_type / size_bytes from the file itself where the client left them unset."""
    target = _file_message(binding, first)
    if target is None:
        return
    fields = target.DESCRIPTOR.fields_by_name
    hints: dict[str, Any] = {"filename": filename, "mime_type": media_type, "size_bytes": size}
    for name, value in hints.items():
        if name in fields and value and not getattr(target, name):
            setattr(target, name, value)


@dataclass
class _Part:
    name: str = ""
    filename: str | None = None
    media_type: str = ""
    data: bytearray = field(default_factory=bytearray)


class _Form:
    """Event collector for python-multipart's callbacks (which cannot await)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []
        self._header_name = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}

    def callbacks(self) -> dict[str, Callable[..., None]]:
        return {
            "on_part_begin": lambda: self._headers.clear(),
            "on_header_field": lambda d, s, e: self._grow("_header_name", d[s:e]),
            "on_header_value": lambda d, s, e: self._grow("_header_value", d[s:e]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": lambda d, s, e: self.events.append(("data", bytes(d[s:e]))),
            "on_part_end": lambda: self.events.append(("end", None)),
        }

    def _grow(self, attr: str, data: bytes) -> None:
        setattr(self, attr, getattr(self, attr) + data)

    def _header_end(self) -> None:
        self._headers[self._header_name.lower()] = self._header_value
        self._header_name = self._header_value = b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        filename = options.get(b"filename")
        part = _Part(
            name=options.get(b"name", b"").decode("utf-8", "replace"),
            filename=filename.decode("utf-8", "replace") if filename is not None else None,
            media_type=self._headers.get(b"content-type", b"").decode("latin-1").strip(),
        )
        self.events.append(("part", part))


def _apply_form_field(binding: HttpBinding, first: Message, part: _Part) -> None:
    """A form field is a field path (``metadata.title``); a JSON part fills a whole field."""
    if part.media_type.startswith("application/json"):
        target = descriptor_of(first).fields_by_name.get(part.name)
        if target is None:
            raise bad_request(f"form field {part.name!r} names no field")
        apply_body(replace(binding, body=part.name, body_field=target), first, bytes(part.data))
        return
    try:
        set_from_text(first, part.name, [part.data.decode("utf-8", "replace")])
    except FieldError as exc:
        raise bad_request(
            f"invalid form field {part.name!r}: {exc.violation.description}", [exc.violation]
        ) from None


def _media_hint(media_type: str) -> str:
    """A client's type, unless it only says "some bytes" (the service sniffs those)."""
    return "" if media_type in ("", "application/octet-stream") else media_type


class _Upload:
    def __init__(self, binding: HttpBinding, first: Message, start: Callable[[], Any], limit: int) -> None:
        self.binding = binding
        self.first = first
        self.start = start
        self.limit = limit
        self.sink: _Sink | None = None

    async def open(self, *, filename: str, media_type: str, size: int | None) -> _Sink:
        _hint(self.first, self.binding, filename=filename, media_type=_media_hint(media_type), size=size)
        self.sink = _Sink(self.start(), self.binding, self.limit)
        await self.sink.send(self.first)
        return self.sink

    async def raw(
        self, body: AsyncIterator[bytes], *, filename: str, media_type: str, size: int | None
    ) -> _Sink:
        sink = await self.open(filename=filename, media_type=media_type, size=size)
        async for chunk in body:
            await sink.add(chunk)
        return sink

    async def multipart(self, body: AsyncIterator[bytes], boundary: bytes) -> _Sink:
        form = _Form()
        parser = MultipartParser(boundary, form.callbacks())  # type: ignore[arg-type]
        part: _Part | None = None
        fields = 0
        async for chunk in body:
            parser.write(chunk)
            for event, value in form.events:
                if event == "part":
                    part = value
                    fields = await self._begin(value, fields)
                elif event == "data" and part is not None:
                    await self._data(part, value)
                elif event == "end" and part is not None and part.filename is None:
                    _apply_form_field(self.binding, self.first, part)
            form.events.clear()
        parser.finalize()
        if self.sink is None:
            raise bad_request("the multipart body has no file part (a part with a filename)")
        return self.sink

    async def _begin(self, part: _Part, fields: int) -> int:
        if part.filename is not None:
            if self.sink is not None:
                raise bad_request("only one file part is accepted")
            await self.open(filename=part.filename, media_type=part.media_type, size=None)
            return fields
        if self.sink is not None:
            raise bad_request("form fields must come before the file part")
        if fields + 1 > MAX_FIELDS:
            raise bad_request(f"too many form fields (at most {MAX_FIELDS})")
        return fields + 1

    async def _data(self, part: _Part, data: bytes) -> None:
        if part.filename is not None and self.sink is not None:
            await self.sink.add(data)
            return
        part.data.extend(data)
        if len(part.data) > MAX_FIELD_BYTES:
            raise bad_request(f"form field {part.name!r} is larger than {MAX_FIELD_BYTES} bytes")


async def _stream(
    state: _Upload, request: Request, media_type: str, options: dict[bytes, bytes], size: int | None
) -> None:
    if media_type == "multipart/form-data":
        boundary = options.get(b"boundary")
        if not boundary:
            raise bad_request("multipart/form-data needs a boundary parameter")
        sink = await state.multipart(request.stream(), boundary)
    else:
        disposition = _FILENAME.search(request.headers.get("content-disposition", ""))
        filename = disposition.group(1) if disposition else ""
        sink = await state.raw(request.stream(), filename=filename, media_type=media_type, size=size)
    await sink.close()


async def upload(
    binding: HttpBinding,
    request: Request,
    first: Message,
    start: Callable[[], Any],
    *,
    limit: int,
    params: dict[str, list[str]],
) -> Message:
    """Stream the request body into the call ``start()`` makes; return the RPC's response.

    ``first`` already holds the path variables; query parameters are added here because an
    upload's body is the file, so the query is where its other fields go. Whatever goes
    wrong part-way (bad form, too large, client gone) cancels the call, so the service
    keeps nothing from a broken upload.
    """
    apply_query(binding, first, params, file_body=True)
    media_type, options = parse_options_header(request.headers.get("content-type", ""))
    declared = request.headers.get("content-length")
    size = int(declared) if declared is not None and declared.isdigit() else None
    if size is not None and size > limit:
        raise _too_large(limit)
    state = _Upload(binding, first, start, limit)
    try:
        try:
            await _stream(state, request, media_type.decode("latin-1"), options, size)
        except _CallEnded:
            pass
        assert state.sink is not None
        return await state.sink.call  # type: ignore[no-any-return]
    except BaseException:
        if state.sink is not None:
            state.sink.call.cancel()
        raise
