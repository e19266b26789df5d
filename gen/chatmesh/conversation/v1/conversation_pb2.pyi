from chatmesh.api.v1 import options_pb2 as _options_pb2
from chatmesh.conversation.v1 import conversations_pb2 as _conversations_pb2
from chatmesh.conversation.v1 import messages_pb2 as _messages_pb2
from chatmesh.conversation.v1 import sharing_pb2 as _sharing_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import descriptor as _descriptor
from typing import ClassVar as _ClassVar

DESCRIPTOR: _descriptor.FileDescriptor
