"""A small contract built in the test, covering every proto3 JSON rule and http mapping the
OpenAPI generator must get right, independent of how the real contracts evolve."""

from __future__ import annotations

from chatmesh.api.v1 import options_pb2
from google.api import annotations_pb2, http_pb2
from google.protobuf import descriptor_pb2, descriptor_pool
from google.protobuf.descriptor import Descriptor, ServiceDescriptor

PACKAGE = "chatmesh.edgetest.v1"
F = descriptor_pb2.FieldDescriptorProto
OPTIONAL, REPEATED = F.LABEL_OPTIONAL, F.LABEL_REPEATED


def _field(
    message: descriptor_pb2.DescriptorProto,
    name: str,
    number: int,
    kind: int,
    type_name: str = "",
    label: int = OPTIONAL,
    oneof_index: int | None = None,
) -> None:
    field = message.field.add(name=name, number=number, type=kind, label=label)
    if type_name:
        field.type_name = type_name
    if oneof_index is not None:
        field.oneof_index = oneof_index


def _everything(file: descriptor_pb2.FileDescriptorProto) -> None:
    message = file.message_type.add(name="Everything")
    scalars = [
        ("a_double", F.TYPE_DOUBLE), ("a_float", F.TYPE_FLOAT), ("an_int32", F.TYPE_INT32),
        ("an_int64", F.TYPE_INT64), ("a_uint32", F.TYPE_UINT32), ("a_uint64", F.TYPE_UINT64),
        ("a_sint64", F.TYPE_SINT64), ("a_fixed64", F.TYPE_FIXED64), ("a_bool", F.TYPE_BOOL),
        ("a_string", F.TYPE_STRING), ("some_bytes", F.TYPE_BYTES),
    ]  # fmt: skip
    for number, (name, kind) in enumerate(scalars, start=1):
        _field(message, name, number, kind)
    _field(message, "color", 20, F.TYPE_ENUM, f".{PACKAGE}.Color")
    _field(message, "created_at", 21, F.TYPE_MESSAGE, ".google.protobuf.Timestamp")
    _field(message, "ttl", 22, F.TYPE_MESSAGE, ".google.protobuf.Duration")
    _field(message, "update_mask", 23, F.TYPE_MESSAGE, ".google.protobuf.FieldMask")
    _field(message, "attributes", 24, F.TYPE_MESSAGE, ".google.protobuf.Struct")
    _field(message, "nickname", 25, F.TYPE_MESSAGE, ".google.protobuf.StringValue")
    _field(message, "budget", 26, F.TYPE_MESSAGE, ".google.protobuf.Int64Value")
    _field(message, "anything", 27, F.TYPE_MESSAGE, ".google.protobuf.Value")
    _field(message, "tags", 30, F.TYPE_STRING, label=REPEATED)
    _field(message, "children", 31, F.TYPE_MESSAGE, f".{PACKAGE}.Everything", REPEATED)
    _field(message, "labels", 32, F.TYPE_MESSAGE, f".{PACKAGE}.Everything.LabelsEntry", REPEATED)
    entry = message.nested_type.add(name="LabelsEntry")
    entry.options.map_entry = True
    _field(entry, "key", 1, F.TYPE_STRING)
    _field(entry, "value", 2, F.TYPE_INT64)
    message.oneof_decl.add(name="target")
    _field(message, "user_id", 40, F.TYPE_STRING, oneof_index=0)
    _field(message, "group_id", 41, F.TYPE_STRING, oneof_index=0)
    _field(message, "nested", 42, F.TYPE_MESSAGE, f".{PACKAGE}.Inner")
    inner = file.message_type.add(name="Inner")
    _field(inner, "depth", 1, F.TYPE_INT32)
    _field(inner, "when", 2, F.TYPE_MESSAGE, ".google.protobuf.Timestamp")
    _field(inner, "colors", 3, F.TYPE_ENUM, f".{PACKAGE}.Color", REPEATED)
    color = file.enum_type.add(name="Color")
    for number, name in enumerate(["COLOR_UNSPECIFIED", "COLOR_RED", "COLOR_BLUE"]):
        color.value.add(name=name, number=number)


def _method(
    service: descriptor_pb2.ServiceDescriptorProto,
    name: str,
    rule: http_pb2.HttpRule,
    *,
    public: bool = False,
    server_streaming: bool = False,
    client_streaming: bool = False,
    output: str = "Reply",
) -> None:
    method = service.method.add(
        name=name,
        input_type=f".{PACKAGE}.{name}Request",
        output_type=f".{PACKAGE}.{output}",
        server_streaming=server_streaming,
        client_streaming=client_streaming,
    )
    method.options.Extensions[annotations_pb2.http].CopyFrom(rule)
    if public:
        method.options.Extensions[options_pb2.public] = True  # type: ignore[index]


def _requests(file: descriptor_pb2.FileDescriptorProto) -> None:
    reply = file.message_type.add(name="Reply")
    _field(reply, "item", 1, F.TYPE_MESSAGE, f".{PACKAGE}.Everything")
    _field(reply, "total", 2, F.TYPE_INT64)
    get = file.message_type.add(name="GetThingRequest")
    _field(get, "thing_id", 1, F.TYPE_STRING)
    _field(get, "page_size", 2, F.TYPE_INT32)
    _field(get, "filter", 3, F.TYPE_MESSAGE, f".{PACKAGE}.Inner")
    _field(get, "ids", 4, F.TYPE_STRING, label=REPEATED)
    _field(get, "since", 5, F.TYPE_MESSAGE, ".google.protobuf.Timestamp")
    _field(get, "everything", 6, F.TYPE_MESSAGE, f".{PACKAGE}.Everything", REPEATED)
    update = file.message_type.add(name="UpdateThingRequest")
    _field(update, "name", 1, F.TYPE_STRING)
    _field(update, "thing", 2, F.TYPE_MESSAGE, f".{PACKAGE}.Everything")
    _field(update, "update_mask", 3, F.TYPE_MESSAGE, ".google.protobuf.FieldMask")
    act = file.message_type.add(name="ActRequest")
    _field(act, "thing_id", 1, F.TYPE_STRING)
    _field(act, "reason", 2, F.TYPE_STRING)
    _field(act, "force", 3, F.TYPE_BOOL)
    watch = file.message_type.add(name="WatchRequest")
    _field(watch, "thing_id", 1, F.TYPE_STRING)
    _field(watch, "after_event_id", 2, F.TYPE_STRING)
    upload = file.message_type.add(name="UploadRequest")
    _field(upload, "folder_id", 1, F.TYPE_STRING)
    _field(upload, "title", 2, F.TYPE_STRING)
    _field(upload, "chunk", 3, F.TYPE_BYTES)
    file.message_type.add(name="PingRequest")


def _service(file: descriptor_pb2.FileDescriptorProto) -> None:
    service = file.service.add(name="ThingService")
    get = http_pb2.HttpRule(get="/v1/things/{thing_id}")
    get.additional_bindings.add(get="/v1/legacy/things/{thing_id}")
    _method(service, "GetThing", get)
    _method(
        service,
        "UpdateThing",
        http_pb2.HttpRule(patch="/v1/{name=spaces/*/things/*}", body="thing", response_body="item"),
    )
    _method(service, "Act", http_pb2.HttpRule(post="/v1/things/{thing_id}:act", body="*"), public=True)
    _method(service, "Watch", http_pb2.HttpRule(get="/v1/things/{thing_id}:watch"), server_streaming=True)
    _method(
        service,
        "Upload",
        http_pb2.HttpRule(post="/v1/folders/{folder_id}/files:upload", body="*"),
        client_streaming=True,
    )
    _method(service, "Ping", http_pb2.HttpRule(get="/v1/*/ping"))


def _build() -> descriptor_pb2.FileDescriptorProto:
    file = descriptor_pb2.FileDescriptorProto(
        name="chatmesh/edgetest/v1/edgetest.proto",
        package=PACKAGE,
        syntax="proto3",
        dependency=[
            "google/api/annotations.proto",
            "chatmesh/api/v1/options.proto",
            "google/protobuf/timestamp.proto",
            "google/protobuf/duration.proto",
            "google/protobuf/field_mask.proto",
            "google/protobuf/struct.proto",
            "google/protobuf/wrappers.proto",
        ],
    )
    _everything(file)
    _requests(file)
    _service(file)
    return file


def _load() -> descriptor_pool.DescriptorPool:
    from google.protobuf import duration_pb2, field_mask_pb2, struct_pb2, timestamp_pb2, wrappers_pb2

    assert all((duration_pb2, field_mask_pb2, struct_pb2, timestamp_pb2, wrappers_pb2))
    pool = descriptor_pool.Default()
    try:
        pool.FindFileByName("chatmesh/edgetest/v1/edgetest.proto")
    except KeyError:
        pool.Add(_build())
    return pool


POOL = _load()
EVERYTHING: Descriptor = POOL.FindMessageTypeByName(f"{PACKAGE}.Everything")
SERVICE: ServiceDescriptor = POOL.FindServiceByName(f"{PACKAGE}.ThingService")
