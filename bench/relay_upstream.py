"""A fake OpenAI-compatible upstream with fixed timing, on raw asyncio (no framework), for the relay bench.

``POST .../chat/completions`` with ``"stream": true`` answers ``text/event-stream`` in HTTP/1.1
chunked encoding: the first content chunk after ``first_token_s``, then one chunk per token
every ``gap_s`` (``tokens`` in all, contents `` tok0``, `` tok1``...), the finish chunk, the
usage chunk when ``stream_options.include_usage`` asks for it, and ``data: [DONE]``. A
non-streamed request gets the whole completion after the same total time. Connections are
kept alive. Frames are pre-encoded and the parser does the least HTTP/1.1 needs, so the
upstream costs little CPU and its timing, not its speed, is what the figures see.

``python -m bench.relay_upstream <first_token_s> <gap_s> <tokens>`` prints its port, serves until SIGTERM.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from bench.harness import announce_and_wait

__all__ = ["serve_upstream"]

_CREATED = int(time.time())
_ID = "chatcmpl-bench"


def _chunk(delta: dict[str, object], finish: str | None = None) -> dict[str, object]:
    return {
        "id": _ID,
        "object": "chat.completion.chunk",
        "created": _CREATED,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }


def _frame(payload: object) -> bytes:
    data = b"data: " + (payload if isinstance(payload, bytes) else json.dumps(payload).encode()) + b"\n\n"
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


class _Frames:
    def __init__(self, tokens: int) -> None:
        self.role = _frame(_chunk({"role": "assistant", "content": ""}))
        self.tokens = [_frame(_chunk({"content": f" tok{i}"})) for i in range(tokens)]
        self.finish = _frame(_chunk({}, "stop"))
        usage = {"prompt_tokens": 8, "completion_tokens": tokens, "total_tokens": 8 + tokens}
        self.usage = _frame({**_chunk({}), "choices": [], "usage": usage})
        self.done = _frame(b"[DONE]") + b"0\r\n\r\n"
        body = {
            "id": _ID,
            "object": "chat.completion",
            "created": _CREATED,
            "model": "gpt-4o-mini",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "".join(f" tok{i}" for i in range(tokens))},
                    "finish_reason": "stop",
                }
            ],
            "usage": usage,
        }
        self.whole = json.dumps(body).encode()


_STREAM_HEAD = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n"
    b"transfer-encoding: chunked\r\nconnection: keep-alive\r\n\r\n"
)


async def _handle(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, frames: _Frames, first: float, gap: float
) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            body = json.loads(await reader.readexactly(length)) if length else {}
            if not head.startswith(b"POST ") or b"/chat/completions" not in head.split(b"\r\n", 1)[0]:
                writer.write(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
                continue
            if not body.get("stream"):
                await asyncio.sleep(first + gap * (len(frames.tokens) - 1))
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    + f"content-length: {len(frames.whole)}\r\n\r\n".encode()
                    + frames.whole
                )
                continue
            writer.write(_STREAM_HEAD + frames.role)
            await asyncio.sleep(first)
            for index, token in enumerate(frames.tokens):
                if index:
                    await asyncio.sleep(gap)
                writer.write(token)
            tail = frames.finish
            if (body.get("stream_options") or {}).get("include_usage"):
                tail += frames.usage
            writer.write(tail + frames.done)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def serve_upstream(first: float, gap: float, tokens: int) -> None:
    frames = _Frames(tokens)
    server = await asyncio.start_server(
        lambda r, w: _handle(r, w, frames, first, gap), "127.0.0.1", 0, backlog=4096
    )
    async with server:
        await announce_and_wait(server.sockets[0].getsockname()[1])


if __name__ == "__main__":
    asyncio.run(serve_upstream(float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])))
