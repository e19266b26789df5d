"""The route table built from every contract in gen/: complete, conflict-free, every binding reachable."""

from __future__ import annotations

import re

import pytest
from google.api import annotations_pb2

from gateway.transcoding import CallKind, HttpBinding, bindings_for, build_router, mesh_services
from gateway.transcoding.bindings import BindingError
from gateway.transcoding.router import PathMatch
from mesh.config import SERVICES

VARIABLE = re.compile(r"\{([a-z_.]+)(?:=([^}]*))?\}")


def all_bindings() -> list[HttpBinding]:
    return [b for service, descriptor in mesh_services() for b in bindings_for(service, descriptor)]


def annotated_rules() -> int:
    count = 0
    for _, descriptor in mesh_services():
        for method in descriptor.methods:
            options = method.GetOptions()
            if options.HasExtension(annotations_pb2.http):
                count += 1 + len(options.Extensions[annotations_pb2.http].additional_bindings)
    return count


def sample_path(binding: HttpBinding) -> str:
    """A concrete request path for the binding's template."""

    def fill(found: re.Match[str]) -> str:
        pattern = found.group(2)
        if pattern is None:
            return "x1"
        return "/".join("seg" if part in ("*", "**") else part for part in pattern.split("/"))

    return VARIABLE.sub(fill, binding.template.text)


def test_every_service_is_generated_and_read() -> None:
    assert [service for service, _ in mesh_services()] == list(SERVICES)


def test_every_annotated_rule_becomes_a_binding() -> None:
    bindings = all_bindings()
    assert len(bindings) == annotated_rules()
    assert len(bindings) > 150


def test_the_table_builds_without_conflicts_and_reaches_every_binding() -> None:
    router = build_router(mesh_services())
    for binding in all_bindings():
        path = sample_path(binding)
        found = router.match(binding.http_method, path)
        assert isinstance(found, PathMatch), (binding.rpc_name, path)
        assert (found.target.rpc_name, found.target.path) == (binding.rpc_name, binding.path), path


def test_quickstart_routes_are_bound_to_their_rpcs() -> None:
    router = build_router(mesh_services())
    expected = {
        ("POST", "/v1/auth:register"): "chatmesh.identity.v1.IdentityService.Register",
        ("POST", "/v1/auth:login"): "chatmesh.identity.v1.IdentityService.Login",
        ("POST", "/v1/auth:refresh"): "chatmesh.identity.v1.IdentityService.Refresh",
        ("POST", "/v1/auth:logout"): "chatmesh.identity.v1.IdentityService.Logout",
        ("GET", "/v1/users/me"): "chatmesh.identity.v1.IdentityService.GetUser",
        ("POST", "/v1/api-keys"): "chatmesh.identity.v1.IdentityService.CreateApiKey",
        ("POST", "/v1/admin/channels"): "chatmesh.model_router.v1.ModelRouterService.CreateChannel",
        ("POST", "/v1/conversations"): "chatmesh.conversation.v1.ConversationService.CreateConversation",
        (
            "POST",
            "/v1/conversations/c1/messages:send",
        ): "chatmesh.conversation.v1.ConversationService.SendMessage",
        ("GET", "/v1/conversations/c1/messages"): "chatmesh.conversation.v1.ConversationService.ListMessages",
        ("POST", "/v1/chat/completions"): "chatmesh.model_router.v1.ModelRouterService.ChatCompletion",
        ("GET", "/v1/models"): "chatmesh.model_router.v1.ModelRouterService.ListModels",
    }
    for (method, path), rpc in expected.items():
        found = router.match(method, path)
        assert isinstance(found, PathMatch), path
        assert found.target.rpc_name == rpc


def test_bindings_know_their_call_shape() -> None:
    by_name = {b.rpc_name: b for b in all_bindings()}
    send = by_name["chatmesh.conversation.v1.ConversationService.SendMessage"]
    assert send.kind is CallKind.SERVER_STREAM
    assert send.resume_field is not None and send.resume_field.name == "after_event_id"
    assert [f.name for f in send.event_id_path] == ["event", "event_id"]
    upload = by_name["chatmesh.knowledge.v1.KnowledgeService.UploadDocument"]
    assert upload.kind is CallKind.CLIENT_STREAM
    assert upload.chunk_field is not None and upload.chunk_field.name == "chunk"
    register = by_name["chatmesh.identity.v1.IdentityService.Register"]
    assert register.public
    assert not by_name["chatmesh.identity.v1.IdentityService.GetUser"].public
    subscribe = by_name["chatmesh.notification.v1.NotificationService.Subscribe"]
    assert subscribe.resume_field is not None and subscribe.resume_field.name == "last_event_id"
    assert by_name["chatmesh.model_router.v1.ModelRouterService.ChatCompletion"].model_field is not None


def test_bad_rules_stop_the_build(monkeypatch: pytest.MonkeyPatch) -> None:
    from gateway.transcoding import bindings as module

    _, descriptor = mesh_services()[0]
    method = descriptor.methods_by_name["GetUser"]
    rule = method.GetOptions().Extensions[annotations_pb2.http]
    broken = type(rule)()
    broken.CopyFrom(rule)
    broken.response_body = "no_such_field"
    monkeypatch.setattr(module, "_rules", lambda m: iter([broken]) if m is method else iter([]))
    with pytest.raises(BindingError, match="no_such_field"):
        bindings_for("identity", descriptor)
