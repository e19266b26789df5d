import json

import pytest
from google.protobuf import descriptor_pb2, descriptor_pool
from google.protobuf.descriptor import ServiceDescriptor

from mesh.clients import RETRY_POLICY, build_service_config, build_target, channel_options, retryable_methods
from mesh.clients.config import resolve_target
from mesh.clients.registry import service_info
from mesh.config import load_settings


def _service_descriptor() -> ServiceDescriptor:
    """A service declared the way the contracts do it, with idempotency levels on methods."""
    file = descriptor_pb2.FileDescriptorProto(name="chatmesh/test/v1/test.proto", package="chatmesh.test.v1")
    file.message_type.add(name="Msg")
    service = file.service.add(name="TestService")
    levels = {
        "GetThing": descriptor_pb2.MethodOptions.NO_SIDE_EFFECTS,
        "PutThing": descriptor_pb2.MethodOptions.IDEMPOTENT,
        "CreateThing": None,
        "ListThings": descriptor_pb2.MethodOptions.NO_SIDE_EFFECTS,
    }
    for name, level in levels.items():
        method = service.method.add(
            name=name, input_type=".chatmesh.test.v1.Msg", output_type=".chatmesh.test.v1.Msg"
        )
        if level is not None:
            method.options.idempotency_level = level
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return pool.FindServiceByName("chatmesh.test.v1.TestService")


def test_only_idempotent_methods_are_retryable() -> None:
    assert retryable_methods(_service_descriptor()) == ["GetThing", "PutThing", "ListThings"]


def test_service_config_balances_and_retries_only_listed_methods() -> None:
    config = build_service_config("chatmesh.test.v1.TestService", ["GetThing", "PutThing"])
    assert config == {
        "loadBalancingConfig": [{"round_robin": {}}],
        "methodConfig": [
            {
                "name": [
                    {"service": "chatmesh.test.v1.TestService", "method": "GetThing"},
                    {"service": "chatmesh.test.v1.TestService", "method": "PutThing"},
                ],
                "retryPolicy": {
                    "maxAttempts": 4,
                    "initialBackoff": "0.1s",
                    "maxBackoff": "2s",
                    "backoffMultiplier": 2,
                    "retryableStatusCodes": ["UNAVAILABLE"],
                },
            }
        ],
    }
    assert "timeout" not in json.dumps(config)


def test_service_config_without_retryable_methods_only_balances() -> None:
    assert build_service_config("chatmesh.test.v1.TestService", []) == {
        "loadBalancingConfig": [{"round_robin": {}}]
    }
    assert RETRY_POLICY["maxAttempts"] == 4


def test_channel_options_carry_limits_keepalive_and_the_service_config() -> None:
    settings = load_settings(grpc_keepalive_seconds=12.5, grpc_max_message_bytes=4096)
    options = dict(channel_options(settings, {"loadBalancingConfig": [{"round_robin": {}}]}))
    assert options["grpc.keepalive_time_ms"] == 12500
    assert options["grpc.keepalive_timeout_ms"] > 0
    assert options["grpc.max_send_message_length"] == 4096
    assert options["grpc.max_receive_message_length"] == 4096
    assert options["grpc.enable_retries"] == 1
    assert json.loads(options["grpc.service_config"]) == {"loadBalancingConfig": [{"round_robin": {}}]}


def test_targets_list_every_instance() -> None:
    assert build_target(["10.0.0.1:5", "10.0.0.2:6"]) == "ipv4:10.0.0.1:5,10.0.0.2:6"
    assert build_target(["[::1]:5", "[fe80::2]:6"]) == "ipv6:[::1]:5,[fe80::2]:6"
    assert build_target(["identity.internal:50051"]) == "dns:///identity.internal:50051"
    with pytest.raises(ValueError):
        build_target(["a.internal:1", "b.internal:2"])
    with pytest.raises(ValueError):
        build_target([])


async def test_several_hostnames_are_resolved_into_one_target() -> None:
    assert await resolve_target(["localhost:7001", "127.0.0.1:7002"]) == "ipv4:127.0.0.1:7001,127.0.0.1:7002"
    assert await resolve_target(["10.0.0.1:5"]) == "ipv4:10.0.0.1:5"


def test_registry_follows_the_generated_code_layout() -> None:
    info = service_info("model_router")
    assert info.full_name == "chatmesh.model_router.v1.ModelRouterService"
    assert info.grpc_module == "chatmesh.model_router.v1.model_router_pb2_grpc"
    assert info.pb2_module == "chatmesh.model_router.v1.model_router_pb2"
    assert info.stub_class == "ModelRouterServiceStub"
    assert info.proto_name == "ModelRouterService"
