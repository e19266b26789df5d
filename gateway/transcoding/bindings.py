"""HTTP bindings read from the ``google.api.http`` options of the service descriptors.

Everything the gateway knows about an RPC's HTTP shape is derived here, once, at start:
so a new annotated RPC in gen/ is served with no gateway change, and a rule that cannot
work (a body field that does not exist, a path variable on a repeated field) stops the
gateway at start with a message naming the RPC, instead of failing on some request later.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import Enum

from google.api import annotations_pb2, http_pb2
from google.protobuf import message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor, ServiceDescriptor
from google.protobuf.message import Message

from gateway.transcoding.fields import message_type
from gateway.transcoding.template import PathTemplate, TemplateError, parse_template
from mesh.auth import is_public_method
from mesh.clients.registry import service_descriptor
from mesh.config import SERVICES

__all__ = ["BindingError", "CallKind", "HttpBinding", "bindings_for", "mesh_services"]

log = logging.getLogger(__name__)

# Request fields a resumed stream reads the client's `Last-Event-ID` into.
RESUME_FIELDS = ("after_event_id", "last_event_id")
EVENT_ID_FIELD = "event_id"
MODEL_FIELD = "model"
_CHUNK_NAMES = ("chunk", "data", "content")


class BindingError(ValueError):
    """An http rule that cannot be served; names the RPC and what is wrong."""


class CallKind(Enum):
    UNARY = "unary"
    SERVER_STREAM = "server_stream"
    CLIENT_STREAM = "client_stream"


@dataclass(frozen=True, eq=False)
class HttpBinding:
    """One (HTTP method, path template) of one RPC; additional_bindings give more of these."""

    service: str
    method: MethodDescriptor
    http_method: str
    template: PathTemplate
    body: str
    response_body: str
    kind: CallKind
    public: bool
    request_class: type[Message]
    response_class: type[Message]
    body_field: FieldDescriptor | None
    response_field: FieldDescriptor | None
    resume_field: FieldDescriptor | None
    model_field: FieldDescriptor | None
    chunk_field: FieldDescriptor | None
    event_id_path: tuple[FieldDescriptor, ...]

    @property
    def full_method(self) -> str:
        """The gRPC path, ``/package.Service/Method``."""
        return f"/{self.method.containing_service.full_name}/{self.method.name}"

    @property
    def rpc_name(self) -> str:
        return f"{self.method.containing_service.full_name}.{self.method.name}"

    @property
    def path(self) -> str:
        """The template text; metrics and logs label requests with it (bounded cardinality)."""
        return self.template.text

    @property
    def name(self) -> str:
        return self.rpc_name

    @property
    def path_fields(self) -> frozenset[tuple[str, ...]]:
        return frozenset(v.field_path for v in self.template.variables)


def _rules(method: MethodDescriptor) -> Iterator[http_pb2.HttpRule]:
    options = method.GetOptions()
    if not options.HasExtension(annotations_pb2.http):
        return
    rule = options.Extensions[annotations_pb2.http]
    yield rule
    for extra in rule.additional_bindings:
        if extra.additional_bindings:
            raise BindingError(f"{method.full_name}: additional_bindings cannot nest")
        yield extra


def _verb_and_path(method: MethodDescriptor, rule: http_pb2.HttpRule) -> tuple[str, str]:
    pattern = rule.WhichOneof("pattern")
    if pattern is None:
        raise BindingError(f"{method.full_name}: http rule without a method and path")
    if pattern == "custom":
        if not rule.custom.kind or not rule.custom.path:
            raise BindingError(f"{method.full_name}: custom http rule needs a kind and a path")
        return rule.custom.kind.upper(), rule.custom.path
    return pattern.upper(), str(getattr(rule, pattern))


def _kind(method: MethodDescriptor) -> CallKind | None:
    client, server = method.client_streaming, method.server_streaming
    if client and server:
        return None
    if client:
        return CallKind.CLIENT_STREAM
    return CallKind.SERVER_STREAM if server else CallKind.UNARY


def _top_field(message: Descriptor, name: str, what: str, method: MethodDescriptor) -> FieldDescriptor:
    found = message.fields_by_name.get(name)
    if found is None:
        raise BindingError(f"{method.full_name}: {what} {name!r} is not a field of {message.full_name}")
    return found


def _check_path_field(message: Descriptor, path: Sequence[str], method: MethodDescriptor) -> None:
    current = message
    for index, name in enumerate(path):
        found = current.fields_by_name.get(name)
        if found is None:
            raise BindingError(f"{method.full_name}: path variable {'.'.join(path)!r} names no field")
        if found.is_repeated:
            raise BindingError(f"{method.full_name}: path variable {'.'.join(path)!r} is repeated")
        last = index == len(path) - 1
        if found.type == FieldDescriptor.TYPE_MESSAGE:
            if last:
                raise BindingError(f"{method.full_name}: path variable {'.'.join(path)!r} is a message")
            current = message_type(found)
        elif not last:
            raise BindingError(f"{method.full_name}: {'.'.join(path[: index + 1])!r} is not a message")


def _singular_string(message: Descriptor, names: Iterable[str]) -> FieldDescriptor | None:
    for name in names:
        found = message.fields_by_name.get(name)
        if found is not None and found.type == FieldDescriptor.TYPE_STRING and not found.is_repeated:
            return found
    return None


def _chunk_field(message: Descriptor) -> FieldDescriptor | None:
    candidates = [f for f in message.fields if f.type == FieldDescriptor.TYPE_BYTES and not f.is_repeated]
    for name in _CHUNK_NAMES:
        for candidate in candidates:
            if candidate.name == name:
                return candidate
    return candidates[0] if len(candidates) == 1 else None


def _event_id_path(output: Descriptor, response_field: FieldDescriptor | None) -> tuple[FieldDescriptor, ...]:
    if response_field is not None and response_field.type == FieldDescriptor.TYPE_MESSAGE:
        inner = _singular_string(message_type(response_field), (EVENT_ID_FIELD,))
        if inner is not None:
            return (response_field, inner)
    outer = _singular_string(output, (EVENT_ID_FIELD,))
    return (outer,) if outer is not None else ()


def _binding(service: str, method: MethodDescriptor, rule: http_pb2.HttpRule, kind: CallKind) -> HttpBinding:
    http_method, path = _verb_and_path(method, rule)
    try:
        template = parse_template(path)
    except TemplateError as exc:
        raise BindingError(f"{method.full_name}: {exc}") from None
    request, response = method.input_type, method.output_type
    for variable in template.variables:
        _check_path_field(request, variable.field_path, method)
    body_field = None
    if rule.body and rule.body != "*":
        body_field = _top_field(request, rule.body, "body", method)
        if any(v.field_path[0] == rule.body for v in template.variables):
            raise BindingError(f"{method.full_name}: body field {rule.body!r} is also bound by the path")
    response_field = (
        _top_field(response, rule.response_body, "response_body", method) if rule.response_body else None
    )
    chunk_field = None
    if kind is CallKind.CLIENT_STREAM:
        chunk_field = _chunk_field(request)
        if chunk_field is None or rule.body != "*":
            raise BindingError(
                f'{method.full_name}: a client-streaming upload needs body "*" and one bytes chunk field'
            )
    return HttpBinding(
        service=service,
        method=method,
        http_method=http_method,
        template=template,
        body=rule.body,
        response_body=rule.response_body,
        kind=kind,
        public=is_public_method(f"/{method.containing_service.full_name}/{method.name}"),
        request_class=message_factory.GetMessageClass(request),
        response_class=message_factory.GetMessageClass(response),
        body_field=body_field,
        response_field=response_field,
        resume_field=_singular_string(request, RESUME_FIELDS),
        model_field=_singular_string(request, (MODEL_FIELD,)),
        chunk_field=chunk_field,
        event_id_path=_event_id_path(response, response_field),
    )


def bindings_for(service: str, descriptor: ServiceDescriptor) -> list[HttpBinding]:
    """Every HTTP binding of ``descriptor``'s methods; ``service`` is the mesh name calls go to."""
    found: list[HttpBinding] = []
    for method in descriptor.methods:
        kind = _kind(method)
        rules = list(_rules(method))
        if kind is None:
            if rules:
                log.warning("%s is bidirectional streaming; it is not served over HTTP", method.full_name)
            continue
        found.extend(_binding(service, method, rule, kind) for rule in rules)
    return found


def mesh_services() -> list[tuple[str, ServiceDescriptor]]:
    """(mesh service name, descriptor) for every service whose code is generated in gen/."""
    found = []
    for service in SERVICES:
        descriptor = service_descriptor(service)
        if descriptor is not None:
            found.append((service, descriptor))
    return found
