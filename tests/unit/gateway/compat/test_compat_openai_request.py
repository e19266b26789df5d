"""OpenAI request bodies → ChatCompletionRequest / EmbedRequest, rule by rule."""

from __future__ import annotations

from typing import Any

import pytest
from google.protobuf.json_format import MessageToDict

from gateway.compat.errors import ProblemError
from gateway.compat.openai_request import chat_request, embed_request

HI = [{"role": "user", "content": "Hi"}]


def problem_of(body: Any, build: Any = chat_request) -> tuple[str | None, str | None, str]:
    with pytest.raises(ProblemError) as caught:
        build(body)
    problem = caught.value.problem
    assert problem.kind == "invalid_request" and problem.status == 400
    return problem.param, problem.code, problem.message


def test_content_string_stays_plain_content() -> None:
    request = chat_request({"model": "m", "messages": HI})
    assert request.messages[0].content == "Hi"
    assert not request.messages[0].content_parts


def test_content_array_becomes_parts_of_every_kind() -> None:
    content = [
        {"type": "text", "text": "look"},
        {"type": "image_url", "image_url": {"url": "https://x/cat.png", "detail": "high"}},
        {"type": "image_url", "image_url": "https://x/dog.png"},
        {"type": "input_audio", "input_audio": {"data": "UklGR", "format": "wav"}},
        {"type": "file", "file": {"file_id": "file-1", "filename": "a.pdf"}},
    ]
    parts = (
        chat_request({"model": "m", "messages": [{"role": "user", "content": content}]})
        .messages[0]
        .content_parts
    )
    assert [part.type for part in parts] == ["text", "image_url", "image_url", "input_audio", "file"]
    assert parts[0].text == "look"
    assert (parts[1].image_url.url, parts[1].image_url.detail) == ("https://x/cat.png", "high")
    assert parts[2].image_url.url == "https://x/dog.png"
    assert (parts[3].input_audio.data, parts[3].input_audio.format) == ("UklGR", "wav")
    assert (parts[4].file.file_id, parts[4].file.filename) == ("file-1", "a.pdf")


def test_assistant_refusal_part_becomes_the_refusal_field() -> None:
    messages = [*HI, {"role": "assistant", "content": [{"type": "refusal", "refusal": "No."}]}]
    message = chat_request({"model": "m", "messages": messages}).messages[1]
    assert message.refusal == "No." and not message.content_parts


def test_stop_as_string_or_list() -> None:
    assert list(chat_request({"model": "m", "messages": HI, "stop": "END"}).stop) == ["END"]
    assert list(chat_request({"model": "m", "messages": HI, "stop": ["a", "b"]}).stop) == ["a", "b"]
    assert list(chat_request({"model": "m", "messages": HI, "stop": None}).stop) == []


@pytest.mark.parametrize("word", ["none", "auto", "required"])
def test_tool_choice_words_become_typed_choices(word: str) -> None:
    request = chat_request({"model": "m", "messages": HI, "tool_choice": word})
    assert request.tool_choice.type == word and not request.tool_choice.HasField("function")


def test_tool_choice_object_and_legacy_functions() -> None:
    body = {
        "model": "m",
        "messages": HI,
        "tool_choice": {"type": "function", "function": {"name": "f"}},
        "functions": [{"name": "g", "parameters": {"type": "object"}}],
        "function_call": {"name": "g"},
    }
    request = chat_request(body)
    assert (request.tool_choice.type, request.tool_choice.function.name) == ("function", "f")
    assert request.functions[0].name == "g"
    assert (request.function_call.type, request.function_call.function.name) == ("function", "g")
    assert chat_request({"model": "m", "messages": HI, "function_call": "auto"}).function_call.type == "auto"


def test_tools_keep_their_json_schema_as_a_struct() -> None:
    schema = {
        "type": "object",
        "properties": {
            "n": {"type": "integer", "minimum": 1},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["n"],
    }
    tool = {
        "type": "function",
        "function": {"name": "f", "description": "d", "parameters": schema, "strict": True},
    }
    function = chat_request({"model": "m", "messages": HI, "tools": [tool]}).tools[0].function
    assert (function.name, function.description, function.strict) == ("f", "d", True)
    assert MessageToDict(function.parameters) == schema


def test_optional_scalars_keep_presence_including_zero() -> None:
    body = {
        "model": "m",
        "messages": HI,
        "temperature": 0,
        "top_p": 1,
        "presence_penalty": 0,
        "max_completion_tokens": 10,
        "n": 1,
        "logprobs": False,
        "top_logprobs": 0,
        "seed": 2**40,
        "store": False,
        "reasoning_effort": "low",
        "service_tier": "flex",
        "user": "u",
    }
    request = chat_request(body)
    for name in (
        "temperature",
        "top_p",
        "presence_penalty",
        "max_completion_tokens",
        "n",
        "logprobs",
        "top_logprobs",
    ):
        assert request.HasField(name), name
    assert not request.HasField("frequency_penalty")
    assert not request.HasField("max_tokens")
    assert request.temperature == 0 and request.seed == 2**40 and request.store is False
    assert (request.reasoning_effort, request.service_tier, request.user) == ("low", "flex", "u")


def test_stream_options_response_format_and_maps() -> None:
    body = {
        "model": "m",
        "messages": HI,
        "stream": True,
        "stream_options": {"include_usage": True, "include_obfuscation": False},
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "s", "schema": {"type": "object"}, "strict": True},
        },
        "logit_bias": {"50256": -100},
        "metadata": {"k": "v"},
        "modalities": ["text"],
    }
    request = chat_request(body)
    assert request.stream and request.stream_options.include_usage
    assert request.response_format.type == "json_schema"
    assert request.response_format.json_schema.name == "s" and request.response_format.json_schema.strict
    assert dict(request.logit_bias) == {"50256": -100}
    assert dict(request.metadata) == {"k": "v"} and list(request.modalities) == ["text"]


def test_unknown_members_travel_in_provider_options() -> None:
    body = {
        "model": "m",
        "messages": HI,
        "enable_thinking": True,
        "verbosity": "low",
        "prediction": {"type": "content"},
    }
    request = chat_request(body)
    assert MessageToDict(request.provider_options) == {
        "enable_thinking": True,
        "verbosity": "low",
        "prediction": {"type": "content"},
    }
    assert not chat_request({"model": "m", "messages": HI}).HasField("provider_options")


def test_tool_calls_and_tool_results_in_history() -> None:
    messages = [
        *HI,
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "f", "arguments": {"a": 1}}}
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "42", "name": "f"},
    ]
    request = chat_request({"model": "m", "messages": messages})
    call = request.messages[1].tool_calls[0]
    assert (call.id, call.function.name, call.function.arguments) == ("c1", "f", '{"a": 1}')
    assert (request.messages[2].tool_call_id, request.messages[2].name) == ("c1", "f")


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        ({"messages": HI}, "model", "missing_required_parameter"),
        ({"model": "m"}, "messages", "missing_required_parameter"),
        ({"model": "m", "messages": []}, "messages", "empty_array"),
        ({"model": 3, "messages": HI}, "model", "invalid_type"),
        ({"model": "m", "messages": "Hi"}, "messages", "invalid_type"),
        ({"model": "m", "messages": ["Hi"]}, "messages[0]", "invalid_type"),
        ({"model": "m", "messages": [{"content": "Hi"}]}, "messages[0].role", "missing_required_parameter"),
        ({"model": "m", "messages": HI, "temperature": "hot"}, "temperature", "invalid_type"),
        ({"model": "m", "messages": HI, "temperature": True}, "temperature", "invalid_type"),
        ({"model": "m", "messages": HI, "max_tokens": 1.5}, "max_tokens", "invalid_type"),
        ({"model": "m", "messages": HI, "max_tokens": 2**31}, "max_tokens", "integer_out_of_range"),
        ({"model": "m", "messages": HI, "stream": "yes"}, "stream", "invalid_type"),
        ({"model": "m", "messages": HI, "stop": [1]}, "stop[0]", "invalid_type"),
        (
            {"model": "m", "messages": HI, "tools": [{"type": "function"}]},
            "tools[0].function",
            "missing_required_parameter",
        ),
        ({"model": "m", "messages": HI, "tools": [{"type": "web_search"}]}, "tools[0].type", "invalid_value"),
        ({"model": "m", "messages": HI, "tool_choice": 1}, "tool_choice", "invalid_type"),
        ({"model": "m", "messages": HI, "metadata": {"k": 1}}, "metadata.k", "invalid_type"),
        (
            {
                "model": "m",
                "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}],
            },
            "messages[0].content[0].image_url.url",
            "missing_required_parameter",
        ),
    ],
)
def test_bad_parameters_are_named_by_path(body: dict[str, Any], param: str, code: str) -> None:
    assert problem_of(body)[:2] == (param, code)


def test_messages_are_worded_like_openai() -> None:
    assert problem_of({"model": "m", "messages": HI, "n": "2"})[2] == (
        "Invalid type for 'n': expected an integer, but got a string instead."
    )
    assert problem_of({"model": "m", "messages": [{"role": "user", "content": [{"type": "video"}]}]})[2] == (
        "Invalid value: 'video'. Supported values are: 'text', 'image_url', 'input_audio', 'file', 'refusal'."
    )


def test_embeddings_input_forms_and_encoding() -> None:
    single = embed_request({"model": "e", "input": "hello"})
    assert list(single.request.input) == ["hello"] and single.encoding_format == "float"
    many = embed_request({"model": "e", "input": ["a", "b"], "encoding_format": "base64", "dimensions": 256})
    assert list(many.request.input) == ["a", "b"] and many.encoding_format == "base64"
    assert many.request.encoding_format == "base64" and many.request.dimensions == 256


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        ({"model": "e"}, "input", "missing_required_parameter"),
        ({"model": "e", "input": []}, "input", "empty_array"),
        ({"model": "e", "input": [1, 2, 3]}, "input", "invalid_type"),
        ({"model": "e", "input": [[1, 2]]}, "input", "invalid_type"),
        ({"model": "e", "input": "x", "encoding_format": "int8"}, "encoding_format", "invalid_value"),
        ({"model": "e", "input": "x", "dimensions": 0}, "dimensions", "integer_out_of_range"),
    ],
)
def test_bad_embedding_requests(body: dict[str, Any], param: str, code: str) -> None:
    assert problem_of(body, embed_request)[:2] == (param, code)
