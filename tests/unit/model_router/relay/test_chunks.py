"""Chunks of one upstream read that continue text are sent as one; anything else keeps its own chunk."""

from __future__ import annotations

from chatmesh.model_router.v1 import chat_pb2, inference_pb2

from model_router.api.chunks import coalesce, produced_text


def chunk(
    content: str = "", *, role: str = "", finish: str = "", index: int = 0
) -> inference_pb2.ChatCompletionResponse:
    response = inference_pb2.ChatCompletionResponse()
    response.choices.add(
        index=index, delta=chat_pb2.ChatDelta(role=role, content=content), finish_reason=finish
    )
    return response


def test_text_continuations_and_the_finish_merge_into_one_chunk() -> None:
    merged = coalesce([chunk(role="assistant"), chunk(" a"), chunk(" b"), chunk(finish="stop")])
    assert len(merged) == 1
    choice = merged[0].choices[0]
    assert (choice.delta.role, choice.delta.content, choice.finish_reason) == ("assistant", " a b", "stop")


def test_other_choices_tool_calls_and_chunks_after_a_finish_stay_apart() -> None:
    call = chunk()
    call.choices[0].delta.tool_calls.add(index=0, id="c1")
    batch = [chunk(" a"), chunk(" b", index=1), call, chunk(" c"), chunk(finish="stop"), chunk(" d")]
    merged = coalesce(batch)
    assert [produced_text(m) for m in merged] == [" a", " b", "", " c", " d"]
    assert merged[3].choices[0].finish_reason == "stop"


def test_usage_only_chunks_are_left_out_and_a_single_chunk_passes_as_is() -> None:
    usage_only = inference_pb2.ChatCompletionResponse(usage=chat_pb2.Usage(total_tokens=3))
    assert coalesce([usage_only]) == []
    one = chunk(" x")
    assert coalesce([one])[0] is one
    assert [produced_text(m) for m in coalesce([chunk(" y"), usage_only])] == [" y"]
