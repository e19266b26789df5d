"""Client-streaming uploads over a real socket: raw and multipart bodies streamed in chunks."""

from __future__ import annotations

import asyncio
import hashlib
import math
from collections.abc import AsyncIterator

import httpx
import pytest
from gwcore_echo import EchoState
from gwcore_support import gateway_for, running

from gateway.upload import CHUNK_BYTES

BOUNDARY = "gwcore-boundary"


@pytest.fixture
async def live(echo: tuple[EchoState, str]) -> AsyncIterator[tuple[httpx.AsyncClient, EchoState]]:
    state, address = echo
    async with gateway_for(address) as (app, _), running(app) as url:
        async with httpx.AsyncClient(base_url=url, timeout=20) as http:
            yield http, state


def payload(size: int) -> bytes:
    return bytes(i % 251 for i in range(size))


async def test_a_raw_body_is_streamed_in_chunks_with_hints_from_the_headers(
    live: tuple[httpx.AsyncClient, EchoState],
) -> None:
    http, _ = live
    data = payload(CHUNK_BYTES * 3 + 1234)
    response = await http.post(
        "/v1/uploads/kb1:upload?metadata.title=Report&metadata.labels[team]=core",
        content=data,
        headers={"content-type": "application/pdf", "content-disposition": 'attachment; filename="r.pdf"'},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name"] == "kb1"
    assert body["metadata"] == {
        "filename": "r.pdf",
        "mimeType": "application/pdf",
        "sizeBytes": str(len(data)),
        "title": "Report",
        "labels": {"team": "core"},
    }
    assert body["received"] == str(len(data))
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert body["chunks"] == math.ceil(len(data) / CHUNK_BYTES)
    assert body["maxChunk"] == CHUNK_BYTES


def multipart(fields: list[tuple[str, str, str]], file: bytes | None, filename: str = "notes.txt") -> bytes:
    parts = []
    for name, content_type, value in fields:
        header = f'Content-Disposition: form-data; name="{name}"\r\n'
        if content_type:
            header += f"Content-Type: {content_type}\r\n"
        parts.append(f"--{BOUNDARY}\r\n{header}\r\n{value}\r\n".encode())
    if file is not None:
        head = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: text/plain\r\n\r\n"
        )
        parts.append(head.encode() + file + b"\r\n")
    parts.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(parts)


async def test_multipart_fields_fill_the_first_message_and_the_file_is_chunked(
    live: tuple[httpx.AsyncClient, EchoState],
) -> None:
    http, _ = live
    data = payload(CHUNK_BYTES + 10)
    body = multipart(
        [("metadata.title", "", "Notes"), ("metadata", "application/json", '{"labels": {"a": "b"}}')], data
    )
    response = await http.post(
        "/v1/uploads/kb2:upload",
        content=body,
        headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["metadata"]["filename"] == "notes.txt"
    assert result["metadata"]["mimeType"] == "text/plain"
    assert result["metadata"]["title"] == "Notes"
    assert result["metadata"]["labels"] == {"a": "b"}
    assert result["sha256"] == hashlib.sha256(data).hexdigest()
    assert result["chunks"] == 2


async def test_bad_multipart_bodies_are_400(live: tuple[httpx.AsyncClient, EchoState]) -> None:
    http, _ = live
    headers = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
    no_file = await http.post(
        "/v1/uploads/k:upload", content=multipart([("metadata.title", "", "x")], None), headers=headers
    )
    assert no_file.status_code == 400
    late_field = multipart([], b"abc").replace(f"--{BOUNDARY}--".encode(), b"") + multipart(
        [("metadata.title", "", "late")], None
    )
    late = await http.post("/v1/uploads/k:upload", content=late_field, headers=headers)
    assert late.status_code == 400
    unknown = await http.post(
        "/v1/uploads/k:upload", content=multipart([("nope", "", "x")], b"a"), headers=headers
    )
    assert unknown.status_code == 400
    no_boundary = await http.post(
        "/v1/uploads/k:upload", content=b"x", headers={"content-type": "multipart/form-data"}
    )
    assert no_boundary.status_code == 400
    into_chunk = await http.post("/v1/uploads/k:upload?chunk=AAAA", content=b"x")
    assert into_chunk.status_code == 400


async def test_the_service_sees_bytes_before_the_client_has_sent_them_all(
    live: tuple[httpx.AsyncClient, EchoState],
) -> None:
    """If the gateway buffered the body, the service would see nothing until the end: deadlock."""
    http, state = live
    sent = bytearray()

    async def body() -> AsyncIterator[bytes]:
        for _ in range(2):
            piece = payload(CHUNK_BYTES)
            sent.extend(piece)
            yield piece
        await asyncio.wait_for(state.first_chunk.wait(), 5)
        for _ in range(6):
            piece = payload(CHUNK_BYTES)
            sent.extend(piece)
            yield piece

    response = await http.post("/v1/uploads/big:upload", content=body())
    assert response.status_code == 200, response.text
    assert response.json()["received"] == str(len(sent))
    assert response.json()["sha256"] == hashlib.sha256(sent).hexdigest()


async def test_an_upload_over_the_limit_is_413_and_the_call_is_cancelled(echo: tuple[EchoState, str]) -> None:
    state, address = echo
    async with gateway_for(address, settings={"gateway_max_upload_bytes": CHUNK_BYTES * 2}) as (app, _):
        async with running(app) as url, httpx.AsyncClient(base_url=url, timeout=20) as http:

            async def body() -> AsyncIterator[bytes]:
                for _ in range(4):
                    yield payload(CHUNK_BYTES)

            response = await http.post("/v1/uploads/x:upload", content=body())
            declared = await http.post("/v1/uploads/x:upload", content=payload(CHUNK_BYTES * 3))
    assert response.status_code == 413
    assert response.json()["code"] == 3
    assert declared.status_code == 413
    # The call is cancelled: a handler that had started sees it, and none completes.
    if state.upload_started.is_set():
        await asyncio.wait_for(state.upload_cancelled.wait(), 2)
    await asyncio.sleep(0.2)
    assert state.uploads_completed == 0
