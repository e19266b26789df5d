from chatmesh.orchestrator.v1 import agents_pb2 as _agents_pb2
from chatmesh.orchestrator.v1 import generation_pb2 as _generation_pb2
from chatmesh.orchestrator.v1 import tools_pb2 as _tools_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import descriptor as _descriptor
from typing import ClassVar as _ClassVar

DESCRIPTOR: _descriptor.FileDescriptor
