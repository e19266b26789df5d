from chatmesh.model_router.v1 import channel_keys_pb2 as _channel_keys_pb2
from chatmesh.model_router.v1 import channels_pb2 as _channels_pb2
from chatmesh.model_router.v1 import inference_pb2 as _inference_pb2
from chatmesh.model_router.v1 import quota_pb2 as _quota_pb2
from chatmesh.model_router.v1 import routing_pb2 as _routing_pb2
from chatmesh.model_router.v1 import usage_pb2 as _usage_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import descriptor as _descriptor
from typing import ClassVar as _ClassVar

DESCRIPTOR: _descriptor.FileDescriptor
