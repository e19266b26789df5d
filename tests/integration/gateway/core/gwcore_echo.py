"""A test-only contract (chatmesh.gwtest.v1.EchoService) compiled at test time, and its servicer.

The gateway has never heard of this service: serving it proves routes come from the
descriptors alone. Its RPCs echo what they received (fields, metadata), so every
path/query/body mapping rule can be checked by a round trip.
"""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import grpc_tools
from chatmesh.api.v1 import options_pb2  # noqa: F401  (in the pool before the test file needs it)
from google.api import annotations_pb2
from google.protobuf import (  # noqa: F401  (the well-known types the test file imports)
    descriptor_pb2,
    descriptor_pool,
    duration_pb2,
    field_mask_pb2,
    message_factory,
    struct_pb2,
    timestamp_pb2,
    wrappers_pb2,
)
from google.protobuf.descriptor import ServiceDescriptor
from grpc_status import rpc_status

from mesh.errors import (
    FieldViolation,
    InvalidArgument,
    NotFound,
    ResourceExhausted,
    Unavailable,
    to_rpc_status,
)
from mesh.errors import abort as abort_with

REPO = Path(__file__).resolve().parents[4]
PACKAGE = "chatmesh.gwtest.v1"
SERVICE = f"{PACKAGE}.EchoService"

ECHO_PROTO = """
syntax = "proto3";
package chatmesh.gwtest.v1;

import "chatmesh/api/v1/options.proto";
import "google/api/annotations.proto";
import "google/protobuf/duration.proto";
import "google/protobuf/field_mask.proto";
import "google/protobuf/struct.proto";
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";

enum Color {
  COLOR_UNSPECIFIED = 0;
  COLOR_RED = 1;
  COLOR_GREEN = 2;
}

message Inner {
  string id = 1;
  int32 count = 2;
  repeated string tags = 3;
  Inner deeper = 4;
}

message EchoRequest {
  string name = 1;
  int32 i32 = 2;
  int64 i64 = 3;
  uint32 u32 = 4;
  uint64 u64 = 5;
  bool flag = 6;
  double dbl = 7;
  float flt = 8;
  bytes raw = 9;
  Color color = 10;
  repeated string tags = 11;
  repeated int64 ids = 12;
  repeated Color colors = 13;
  Inner inner = 14;
  map<string, string> labels = 15;
  map<string, int32> counts = 16;
  google.protobuf.Timestamp when = 17;
  google.protobuf.Duration wait = 18;
  google.protobuf.FieldMask mask = 19;
  google.protobuf.Int64Value maybe = 20;
  google.protobuf.Struct extra = 21;
  oneof choice {
    string alpha = 22;
    Inner beta = 23;
  }
  string after_event_id = 24;
  string display_name = 25;
  string model = 26;
}

message EchoResponse {
  EchoRequest echo = 1;
  repeated string metadata = 2;
  string event_id = 3;
}

message UploadMeta {
  string filename = 1;
  string mime_type = 2;
  int64 size_bytes = 3;
  string title = 4;
  map<string, string> labels = 5;
}

message UploadRequest {
  string name = 1;
  oneof payload {
    UploadMeta metadata = 2;
    bytes chunk = 3;
  }
}

message UploadResponse {
  string name = 1;
  UploadMeta metadata = 2;
  int64 received = 3;
  int32 chunks = 4;
  string sha256 = 5;
  int32 max_chunk = 6;
}

service EchoService {
  rpc Get(EchoRequest) returns (EchoResponse) {
    option (google.api.http) = {get: "/v1/echo/{name}"};
  }
  rpc GetSpecial(EchoRequest) returns (EchoResponse) {
    option (chatmesh.api.v1.public) = true;
    option (google.api.http) = {get: "/v1/echo/special"};
  }
  rpc GetResource(EchoRequest) returns (EchoResponse) {
    option (google.api.http) = {
      get: "/v1/{name=tenants/*/users/*}"
      additional_bindings {get: "/v2/{name=tenants/*/users/*}/profile"}
    };
  }
  rpc GetPath(EchoRequest) returns (EchoResponse) {
    option (google.api.http) = {get: "/v1/files/{name=**}"};
  }
  rpc Nested(EchoRequest) returns (EchoResponse) {
    option (google.api.http) = {get: "/v1/inner/{inner.id}/items/{i64}"};
  }
  rpc Create(EchoRequest) returns (EchoResponse) {
    option (google.api.http) = {
      post: "/v1/echo"
      body: "*"
    };
  }
  rpc Update(EchoRequest) returns (EchoResponse) {
    option (google.api.http) = {
      patch: "/v1/echo/{name}"
      body: "inner"
      response_body: "echo"
    };
  }
  rpc Act(EchoRequest) returns (EchoResponse) {
    option (google.api.http) = {
      post: "/v1/echo/{name}:act"
      body: "*"
      additional_bindings {
        put: "/v1/acts/{name}"
        body: "inner"
      }
    };
  }
  rpc Metadata(EchoRequest) returns (EchoResponse) {
    option (google.api.http) = {
      get: "/v1/metadata"
      response_body: "metadata"
    };
  }
  rpc Fail(EchoRequest) returns (EchoResponse) {
    option (google.api.http) = {
      post: "/v1/echo:fail"
      body: "*"
    };
  }
  rpc Stream(EchoRequest) returns (stream EchoResponse) {
    option (google.api.http) = {get: "/v1/streams/{name}"};
  }
  rpc Events(EchoRequest) returns (stream EchoResponse) {
    option (google.api.http) = {
      post: "/v1/streams/{name}:events"
      body: "*"
      response_body: "echo"
    };
  }
  rpc Upload(stream UploadRequest) returns (UploadResponse) {
    option (google.api.http) = {
      post: "/v1/uploads/{name}:upload"
      body: "*"
    };
  }
}
"""


def _compile() -> descriptor_pb2.FileDescriptorSet:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "chatmesh" / "gwtest" / "v1" / "echo.proto"
        source.parent.mkdir(parents=True)
        source.write_text(ECHO_PROTO)
        out = Path(tmp) / "echo.pb"
        googleapis = Path(annotations_pb2.__file__).resolve().parent.parent.parent
        well_known = Path(grpc_tools.__file__).resolve().parent / "_proto"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "grpc_tools.protoc",
                f"--proto_path={tmp}",
                f"--proto_path={REPO / 'proto'}",
                f"--proto_path={googleapis}",
                f"--proto_path={well_known}",
                "--include_imports",
                f"--descriptor_set_out={out}",
                str(source.relative_to(tmp)),
            ],
            check=True,
        )
        return descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())


def echo_service() -> ServiceDescriptor:
    """The EchoService descriptor, added to the default pool once per process."""
    pool = descriptor_pool.Default()
    try:
        return pool.FindServiceByName(SERVICE)
    except KeyError:
        pass
    for file in _compile().file:
        try:
            pool.FindFileByName(file.name)
        except KeyError:
            pool.Add(file)
    return pool.FindServiceByName(SERVICE)


def message_class(name: str) -> Any:
    echo_service()
    return message_factory.GetMessageClass(
        descriptor_pool.Default().FindMessageTypeByName(f"{PACKAGE}.{name}")
    )


@dataclass
class EchoState:
    """What the servicer saw, for tests to inspect."""

    cancelled: asyncio.Event = field(default_factory=asyncio.Event)
    stream_started: asyncio.Event = field(default_factory=asyncio.Event)
    first_chunk: asyncio.Event = field(default_factory=asyncio.Event)
    upload_cancelled: asyncio.Event = field(default_factory=asyncio.Event)
    upload_started: asyncio.Event = field(default_factory=asyncio.Event)
    uploads_completed: int = 0
    metadata: list[tuple[str, Any]] = field(default_factory=list)
    deadlines: list[float | None] = field(default_factory=list)


FAILURES = {
    "invalid": lambda: InvalidArgument("bad name", [FieldViolation("name", "must be nice")]),
    "missing": lambda: NotFound("no such echo"),
    "exhausted": lambda: ResourceExhausted("slow down", retry_after=2.5),
    "unavailable": lambda: Unavailable("down", retry_after=1),
}


class EchoServicer:
    """Handlers for every EchoService RPC, registered through a generic handler."""

    def __init__(self, state: EchoState) -> None:
        self.state = state
        self.request = message_class("EchoRequest")
        self.response = message_class("EchoResponse")
        self.upload_request = message_class("UploadRequest")
        self.upload_response = message_class("UploadResponse")

    def _reply(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        md = [(k, v) for k, v in context.invocation_metadata() or ()]
        self.state.metadata = md
        self.state.deadlines.append(context.time_remaining())
        shown = [f"{k}={v if isinstance(v, str) else v.hex()}" for k, v in md]
        return self.response(echo=request, metadata=shown)

    async def unary(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        await context.send_initial_metadata((("x-echo", "yes"),))
        return self._reply(request, context)

    async def fail(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        make = FAILURES.get(request.name)
        if make is None:
            raise RuntimeError("boom")
        await abort_with(context, make(), "gwtest")

    async def stream(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        self.state.stream_started.set()
        try:
            count = request.i32 or 3
            for index in range(count):
                if request.dbl:
                    await asyncio.sleep(request.dbl)
                reply = self._reply(request, context)
                if request.flag:
                    reply.event_id = f"ev-{request.after_event_id or '0'}-{index + 1}"
                yield reply
            if request.name == "fail":
                rich = rpc_status.to_status(to_rpc_status(NotFound("went away"), "gwtest"))
                await context.abort(rich.code, rich.details, rich.trailing_metadata)
        except asyncio.CancelledError:
            self.state.cancelled.set()
            raise

    async def upload(self, requests: Any, context: grpc.aio.ServicerContext) -> Any:
        first = None
        received = chunks = max_chunk = 0
        digest = hashlib.sha256()
        self.state.upload_started.set()
        try:
            async for message in requests:
                if first is None:
                    first = message
                    continue
                self.state.first_chunk.set()
                received += len(message.chunk)
                max_chunk = max(max_chunk, len(message.chunk))
                chunks += 1
                digest.update(message.chunk)
            # A client's cancel can reach the handler as an end of stream first, then as a
            # cancellation: like a real service, "commit" only after a moment of work.
            await asyncio.sleep(0.05)
        except asyncio.CancelledError:
            self.state.upload_cancelled.set()
            raise
        self.state.uploads_completed += 1
        assert first is not None
        return self.upload_response(
            name=first.name,
            metadata=first.metadata,
            received=received,
            chunks=chunks,
            sha256=digest.hexdigest(),
            max_chunk=max_chunk,
        )

    def handler(self) -> grpc.GenericRpcHandler:
        def unary(behavior: Any) -> grpc.RpcMethodHandler:
            return grpc.unary_unary_rpc_method_handler(
                behavior, request_deserializer=self.request.FromString, response_serializer=_serialize
            )

        handlers = {name: unary(self.unary) for name in _UNARY}
        handlers["Fail"] = unary(self.fail)
        for name in ("Stream", "Events"):
            handlers[name] = grpc.unary_stream_rpc_method_handler(
                self.stream, request_deserializer=self.request.FromString, response_serializer=_serialize
            )
        handlers["Upload"] = grpc.stream_unary_rpc_method_handler(
            self.upload, request_deserializer=self.upload_request.FromString, response_serializer=_serialize
        )
        return grpc.method_handlers_generic_handler(SERVICE, handlers)


_UNARY = ("Get", "GetSpecial", "GetResource", "GetPath", "Nested", "Create", "Update", "Act", "Metadata")


def _serialize(message: Any) -> bytes:
    return bytes(message.SerializeToString())


async def start_echo_server(state: EchoState) -> tuple[grpc.aio.Server, str]:
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((EchoServicer(state).handler(),))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    return server, f"127.0.0.1:{port}"
