"""Turning the relay's parsed responses into the chunks ChatCompletion streams, cheaply.

Each gRPC message costs the server far more than building it (a batch operation in gRPC's
core and a wake-up of its poller thread), so the chunks of one upstream read that can be
told as one are merged before sending: a delta that only continues text (content,
reasoning, refusal) is appended to the previous delta of the same choice, and a finish
reason may close that delta. The concatenated stream is the same; only the chunk
boundaries move, and only when the upstream had already delivered both pieces (a caller
that keeps up sees the upstream's own chunking). Deltas with a role change, tool-call
fragments or log-probabilities are never merged.
"""

from __future__ import annotations

from chatmesh.model_router.v1 import chat_pb2, inference_pb2

__all__ = ["coalesce", "produced_text", "stamp"]

_CHUNK = "chat.completion.chunk"


def _plain(choice: chat_pb2.ChatChoice) -> bool:
    """A delta made of text only (no tool calls, thinking signature, log-probabilities or message)."""
    return not (
        choice.delta.tool_calls
        or choice.delta.reasoning_signature
        or choice.HasField("logprobs")
        or choice.HasField("message")
    )


def _mergeable(
    previous: inference_pb2.ChatCompletionResponse, following: inference_pb2.ChatCompletionResponse
) -> bool:
    if len(previous.choices) != 1 or len(following.choices) != 1:
        return False
    before, after = previous.choices[0], following.choices[0]
    return (
        before.index == after.index
        and not before.finish_reason
        and not after.delta.role
        and _plain(before)
        and _plain(after)
        and not following.HasField("usage")
    )


def coalesce(
    batch: list[inference_pb2.ChatCompletionResponse],
) -> list[inference_pb2.ChatCompletionResponse]:
    """The batch's chunks with choices, text continuations merged into their predecessor."""
    if len(batch) == 1:
        return batch if batch[0].choices else []
    merged: list[inference_pb2.ChatCompletionResponse] = []
    for response in batch:
        if not response.choices:
            continue
        if merged and _mergeable(merged[-1], response):
            into, more = merged[-1].choices[0], response.choices[0]
            into.delta.content += more.delta.content
            into.delta.reasoning_content += more.delta.reasoning_content
            into.delta.refusal += more.delta.refusal
            into.finish_reason = more.finish_reason
            continue
        merged.append(response)
    return merged


def stamp(
    response: inference_pb2.ChatCompletionResponse, header: inference_pb2.ChatCompletionResponse
) -> None:
    """Give a parsed chunk the completion's id, created and model (in place: no copy per chunk)."""
    response.id = header.id
    response.object = _CHUNK
    response.created = header.created
    response.model = header.model


def produced_text(response: inference_pb2.ChatCompletionResponse) -> str:
    """The output text a chunk carries, counted when a stream is cut short."""
    parts: list[str] = []
    for choice in response.choices:
        delta = choice.delta
        parts.append(delta.content)
        parts.append(delta.reasoning_content)
        for call in delta.tool_calls:
            parts.append(call.function.name)
            parts.append(call.function.arguments)
        message = choice.message
        if message.content or message.reasoning_content or message.tool_calls:
            parts.append(message.content)
            parts.append(message.reasoning_content)
            parts.extend(c.function.name + c.function.arguments for c in message.tool_calls)
    return "".join(parts)
