"""Server reflection under both names grpcurl knows: ``grpc.reflection.v1`` and ``v1alpha``.

grpcio-reflection ships only v1alpha, while newer grpcurl (and grpcui, Postman) ask for
v1 first. The two protocols are the same messages with the same field numbers in a
different package, so the v1alpha servicer answers v1 calls unchanged; only the name
the handler is registered under differs. So that ``grpcurl describe`` can also describe
the v1 service itself, an equivalent ``grpc/reflection/v1/reflection.proto`` is derived
from the v1alpha descriptor and added to the default pool when no real one is there.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import grpc
import grpc.aio
from google.protobuf import descriptor_pb2, descriptor_pool
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from grpc_reflection.v1alpha._async import ReflectionServicer  # public as reflection.aio; typed here

__all__ = ["REFLECTION_SERVICES", "V1ALPHA_SERVICE", "V1_SERVICE", "enable_reflection"]

V1ALPHA_SERVICE = "grpc.reflection.v1alpha.ServerReflection"
V1_SERVICE = "grpc.reflection.v1.ServerReflection"
REFLECTION_SERVICES = (V1_SERVICE, V1ALPHA_SERVICE)
_V1_FILE = "grpc/reflection/v1/reflection.proto"
_V1ALPHA_PREFIX = ".grpc.reflection.v1alpha."
_V1_PREFIX = ".grpc.reflection.v1."


def _renamed(type_name: str) -> str:
    if type_name.startswith(_V1ALPHA_PREFIX):
        return _V1_PREFIX + type_name[len(_V1ALPHA_PREFIX) :]
    return type_name


def _rename_message(message: descriptor_pb2.DescriptorProto) -> None:
    for field in message.field:
        if field.HasField("type_name"):
            field.type_name = _renamed(field.type_name)
    for nested in message.nested_type:
        _rename_message(nested)


def _ensure_v1_descriptor(pool: descriptor_pool.DescriptorPool) -> None:
    try:
        pool.FindFileByName(_V1_FILE)
        return
    except KeyError:
        pass
    proto = descriptor_pb2.FileDescriptorProto()
    reflection_pb2.DESCRIPTOR.CopyToProto(proto)
    proto.name = _V1_FILE
    proto.package = "grpc.reflection.v1"
    proto.ClearField("options")
    for message in proto.message_type:
        _rename_message(message)
    for service in proto.service:
        for method in service.method:
            method.input_type = _renamed(method.input_type)
            method.output_type = _renamed(method.output_type)
    pool.AddSerializedFile(proto.SerializeToString())


def enable_reflection(service_names: Iterable[str], server: Any) -> None:
    """Serve reflection (v1 and v1alpha) listing ``service_names`` plus both reflection services.

    ``server`` is a ``grpc.aio.Server`` or anything with its two registration methods
    (the mesh passes a :class:`mesh.handlers.LayeredRegistrar`).
    """
    pool = descriptor_pool.Default()
    _ensure_v1_descriptor(pool)
    names = [*dict.fromkeys([*service_names, *REFLECTION_SERVICES])]
    servicer = ReflectionServicer(names, pool=pool)
    reflection_pb2_grpc.add_ServerReflectionServicer_to_server(servicer, server)
    v1_handler = grpc.stream_stream_rpc_method_handler(
        servicer.ServerReflectionInfo,
        request_deserializer=reflection_pb2.ServerReflectionRequest.FromString,
        response_serializer=reflection_pb2.ServerReflectionResponse.SerializeToString,
    )
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler(V1_SERVICE, {"ServerReflectionInfo": v1_handler}),)
    )
