"""Rules every contract in gen/ must keep, checked on the generated descriptors.

The gateway routes from the `google.api.http` annotations and mesh.clients derives retries from
the method options, so a typo in an annotation or a List RPC without paging is a runtime bug that
protoc and buf lint do not catch. These tests read what the services will actually serve.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from google.api import annotations_pb2, http_pb2
from google.protobuf import descriptor, descriptor_pb2

GEN_ROOT = Path(__file__).resolve().parents[3] / "gen"
FIELD_MASK = "google.protobuf.FieldMask"
HTTP_VERBS = ("get", "put", "post", "delete", "patch")


def _load_files() -> list[descriptor.FileDescriptor]:
    """Import every generated ``*_pb2`` module under gen/chatmesh and return its file descriptor."""
    files = []
    for path in sorted((GEN_ROOT / "chatmesh").rglob("*_pb2.py")):
        module_name = ".".join(path.relative_to(GEN_ROOT).with_suffix("").parts)
        files.append(importlib.import_module(module_name).DESCRIPTOR)
    return files


FILES = _load_files()
SERVICES = [svc for f in FILES for svc in f.services_by_name.values()]
METHODS = [m for svc in SERVICES for m in svc.methods]


@dataclass(frozen=True)
class Binding:
    """One HTTP route of an RPC (the main rule or one of its additional bindings)."""

    method: descriptor.MethodDescriptor
    verb: str
    template: str
    body: str
    response_body: str

    def matches(self, verb: str, path: str) -> bool:
        return self.verb == verb and _template_regex(self.template).fullmatch(path) is not None


def _bindings_of(method: descriptor.MethodDescriptor) -> list[Binding]:
    options = method.GetOptions()
    if not options.HasExtension(annotations_pb2.http):
        return []
    rule: http_pb2.HttpRule = options.Extensions[annotations_pb2.http]
    return [_binding(method, r) for r in (rule, *rule.additional_bindings)]


def _binding(method: descriptor.MethodDescriptor, rule: http_pb2.HttpRule) -> Binding:
    kind = rule.WhichOneof("pattern")
    assert kind in HTTP_VERBS, f"{method.full_name}: unsupported HTTP pattern {kind!r}"
    return Binding(method, kind.upper(), getattr(rule, kind), rule.body, rule.response_body)


BINDINGS = [b for m in METHODS for b in _bindings_of(m)]
VARIABLE = re.compile(r"\{([a-z0-9_.]+)(?:=([^}]+))?\}")


def _template_regex(template: str) -> re.Pattern[str]:
    """Compile a google.api.http path template into a regex over concrete paths.

    A single-segment variable matches neither ``/`` nor ``:``, so a custom-method verb
    (``/v1/users/{user_id}:disable``) is never swallowed by the variable before it.
    """
    parts, last = [], 0
    for match in VARIABLE.finditer(template):
        parts.append(re.escape(template[last : match.start()]))
        pattern = match.group(2) or "*"
        segments = [
            ".+" if seg == "**" else "[^/:]+" if seg == "*" else re.escape(seg) for seg in pattern.split("/")
        ]
        parts.append("(" + "/".join(segments) + ")")
        last = match.end()
    parts.append(re.escape(template[last:]))
    return re.compile("".join(parts))


def _resolve(message: descriptor.Descriptor, field_path: str) -> descriptor.FieldDescriptor:
    """Follow a dotted field path (``tenant.id``) through a message; KeyError if it does not exist."""
    field = None
    for name in field_path.split("."):
        field = message.fields_by_name[name]
        if field.message_type is not None:
            message = field.message_type
    assert field is not None
    return field


def _json_names(message: descriptor.Descriptor, selector: str) -> set[str]:
    """proto3 JSON member names of the message a body / response_body selector picks."""
    if selector and selector != "*":
        picked = _resolve(message, selector).message_type
        assert picked is not None, f"{selector} is not a message field"
        message = picked
    return {f.json_name for f in message.fields}


def _all_enums() -> Iterator[descriptor.EnumDescriptor]:
    def nested(message: descriptor.Descriptor) -> Iterator[descriptor.EnumDescriptor]:
        yield from message.enum_types
        for inner in message.nested_types:
            yield from nested(inner)

    for f in FILES:
        yield from f.enum_types_by_name.values()
        for message in f.message_types_by_name.values():
            yield from nested(message)


@dataclass(frozen=True)
class QuickstartRoute:
    """A route the README's curl walkthrough relies on (fixed by issue 2)."""

    service: str
    verb: str
    path: str
    request_json: frozenset[str] = frozenset()
    response_json: frozenset[str] = frozenset()
    # None: either shape is acceptable (OpenAI's API streams only when asked to).
    server_streaming: bool | None = False


IDENTITY = "chatmesh.identity.v1.IdentityService"
CONVERSATION = "chatmesh.conversation.v1.ConversationService"
MODEL_ROUTER = "chatmesh.model_router.v1.ModelRouterService"
TOKENS = frozenset({"user", "accessToken", "refreshToken", "expiresIn"})
QUICKSTART = [
    QuickstartRoute(
        IDENTITY, "POST", "/v1/auth:register", frozenset({"email", "password", "username"}), TOKENS
    ),
    QuickstartRoute(IDENTITY, "POST", "/v1/auth:login", frozenset({"email", "password"}), TOKENS),
    QuickstartRoute(IDENTITY, "POST", "/v1/auth:refresh", frozenset({"refreshToken"})),
    QuickstartRoute(IDENTITY, "POST", "/v1/auth:logout"),
    QuickstartRoute(IDENTITY, "GET", "/v1/users/me", response_json=frozenset({"id", "email", "username"})),
    QuickstartRoute(IDENTITY, "POST", "/v1/api-keys", response_json=frozenset({"apiKey", "secret"})),
    QuickstartRoute(CONVERSATION, "POST", "/v1/conversations", response_json=frozenset({"id"})),
    QuickstartRoute(
        CONVERSATION,
        "POST",
        "/v1/conversations/3f2c1a9e-0000-4000-8000-000000000001/messages:send",
        frozenset({"content"}),
        server_streaming=True,
    ),
    QuickstartRoute(CONVERSATION, "GET", "/v1/conversations/3f2c1a9e-0000-4000-8000-000000000001/messages"),
    QuickstartRoute(
        MODEL_ROUTER, "POST", "/v1/admin/channels", frozenset({"name", "type", "baseUrl", "keys", "models"})
    ),
    QuickstartRoute(
        MODEL_ROUTER, "POST", "/v1/chat/completions", frozenset({"model", "messages"}), server_streaming=None
    ),
    QuickstartRoute(MODEL_ROUTER, "GET", "/v1/models"),
]
SERVICE_NAMES = {svc.full_name for svc in SERVICES}
PRESENT_QUICKSTART = [r for r in QUICKSTART if r.service in SERVICE_NAMES]


def test_the_contracts_define_the_services_this_repository_serves() -> None:
    assert {IDENTITY, CONVERSATION, "chatmesh.knowledge.v1.KnowledgeService"} <= SERVICE_NAMES
    assert len(BINDINGS) > 50


@pytest.mark.parametrize("binding", BINDINGS, ids=lambda b: f"{b.method.full_name}:{b.verb}")
def test_every_http_route_is_versioned_and_binds_real_fields(binding: Binding) -> None:
    assert binding.template.startswith("/v1/"), binding.template
    request = binding.method.input_type
    for match in VARIABLE.finditer(binding.template):
        field = _resolve(request, match.group(1))
        assert field.type == descriptor.FieldDescriptor.TYPE_STRING, f"{match.group(1)} must be a string"
    if binding.verb in ("GET", "DELETE"):
        assert not binding.body, f"{binding.verb} cannot carry a body"
    if binding.body not in ("", "*"):
        assert _resolve(request, binding.body).message_type is not None
    if binding.response_body:
        _resolve(binding.method.output_type, binding.response_body)


def test_no_two_rpcs_claim_the_same_route() -> None:
    seen: dict[tuple[str, str], str] = {}
    for b in BINDINGS:
        key = (b.verb, VARIABLE.sub("{}", b.template))
        assert key not in seen, f"{b.method.full_name} and {seen[key]} both serve {key}"
        seen[key] = b.method.full_name


@pytest.mark.parametrize("route", PRESENT_QUICKSTART, ids=lambda r: f"{r.verb} {r.path}")
def test_quickstart_route_is_declared(route: QuickstartRoute) -> None:
    served = [
        b
        for b in BINDINGS
        if b.method.containing_service.full_name == route.service and b.matches(route.verb, route.path)
    ]
    assert len(served) == 1, f"{route.verb} {route.path}: served by {[b.method.full_name for b in served]}"
    binding = served[0]
    if route.server_streaming is not None:
        assert binding.method.server_streaming == route.server_streaming
    assert route.request_json <= _json_names(binding.method.input_type, binding.body or "*")
    assert route.response_json <= _json_names(binding.method.output_type, binding.response_body)


@pytest.mark.parametrize(
    "method", [m for m in METHODS if m.name.startswith("Update")], ids=lambda m: m.full_name
)
def test_update_rpcs_take_a_field_mask(method: descriptor.MethodDescriptor) -> None:
    mask = method.input_type.fields_by_name.get("update_mask")
    assert mask is not None and mask.message_type is not None
    assert mask.message_type.full_name == FIELD_MASK


@pytest.mark.parametrize(
    "method", [m for m in METHODS if m.name.startswith("List")], ids=lambda m: m.full_name
)
def test_list_rpcs_page(method: descriptor.MethodDescriptor) -> None:
    request, response = method.input_type.fields_by_name, method.output_type.fields_by_name
    assert request["page_size"].type == descriptor.FieldDescriptor.TYPE_INT32
    assert request["page_token"].type == descriptor.FieldDescriptor.TYPE_STRING
    assert response["next_page_token"].type == descriptor.FieldDescriptor.TYPE_STRING


@pytest.mark.parametrize("enum", list(_all_enums()), ids=lambda e: e.full_name)
def test_enums_start_with_unspecified_zero(enum: descriptor.EnumDescriptor) -> None:
    first = enum.values[0]
    assert first.number == 0 and first.name.endswith("_UNSPECIFIED"), first.name


def test_reads_are_marked_retryable() -> None:
    """mesh.clients retries only RPCs marked NO_SIDE_EFFECTS or IDEMPOTENT; Get/List must be retried."""
    retryable = (descriptor_pb2.MethodOptions.NO_SIDE_EFFECTS, descriptor_pb2.MethodOptions.IDEMPOTENT)
    reads = [m for m in METHODS if m.name.startswith(("Get", "List")) and not m.client_streaming]
    unmarked = [m.full_name for m in reads if m.GetOptions().idempotency_level not in retryable]
    assert unmarked == []
